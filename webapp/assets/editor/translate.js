// The editor in Chinese: bpmn-js asks its `translate` service for every palette entry, context-pad button, popup
// menu and message; this one answers from the community zh-CN table (npm bpmn-js-i18n-zh) and, where that table
// has no entry or says it in a way our users do not (e.g. 「任务」 for a user task), from XueJi's own words.
import community from "bpmn-js-i18n-zh/lib/bpmn-js/index.js";

export const OWN = {
  "Activate hand tool": "手形工具（拖动画布）",
  "Activate lasso tool": "套索工具（框选元素）",
  "Activate create/remove space tool": "空间工具（插入或删除空白）",
  "Activate global connect tool": "连线工具",
  "Ad-hoc": "自由子流程",
  "Ad-hoc sub-process": "自由子流程",
  "Ad-hoc sub-process (collapsed)": "自由子流程（折叠）",
  "Ad-hoc sub-process (expanded)": "自由子流程（展开）",
  "Event based instantiating Gateway": "事件网关（启动流程）",
  "Parallel Event based instantiating Gateway": "并行事件网关（启动流程）",
  "Expanded pool/participant": "展开的泳池",
  "Open {element}": "打开{element}",
  "Create user task": "创建用户任务",
  "Create service task": "创建服务任务",
  "Create intermediate/boundary event": "创建中间事件或边界事件",
  "Create pool/participant": "创建泳池（参与者）",
  "Create expanded sub-process": "创建展开的子流程",
  "Create data object reference": "创建数据对象引用",
  "Create data store reference": "创建数据存储引用",
  "Create group": "创建分组",
  "Create text annotation": "创建文本注解",
  "Append user task": "追加用户任务",
  "Append service task": "追加服务任务",
  "Append text annotation": "追加文本注解",
  "Add text annotation": "添加文本注解",
  "Append element": "追加元素",
  "Append Element": "追加元素",
  "Create element": "创建元素",
  "Delete": "删除",
  "Set color": "设置颜色",
  "Search in diagram": "在流程图中搜索",
  "Add lane above": "在上方添加泳道",
  "Add lane below": "在下方添加泳道",
  "Divide into two lanes": "分为两条泳道",
  "Divide into three lanes": "分为三条泳道",
  "Change type": "更改类型",
  "Change element": "更改元素",
  "Connect to other element": "连接到其他元素",
  "Connect using sequence/message flow or association": "用连线连接",
  "Connect using association": "用关联连接",
  "Connect using data input association": "用数据输入关联连接",
  "Task": "任务",
  "User task": "用户任务",
  "Service task": "服务任务",
  "Script task": "脚本任务",
  "Exclusive gateway": "排他网关",
  "Parallel gateway": "并行网关",
  "Search": "搜索",
  "No matching entries found.": "没有匹配的项目",
};

const TABLE = { ...community, ...OWN };

export function translate(template, replacements) {
  replacements = replacements || {};
  const text = TABLE[template] || template;
  return text.replace(/{([^}]+)}/g, (_, key) => (key in replacements ? TABLE[replacements[key]] || replacements[key] : `{${key}}`));
}

export default { translate: ["value", translate] };
