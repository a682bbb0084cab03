/*
 * 属性面板: everything of the selected element that the engine reads, edited without touching the XML.
 *
 * Why a panel of our own rather than bpmn-js-properties-panel: that package brings a Preact UI whose every label,
 * tooltip and validation message would need translating and whose generic entries (Camunda's, Zeebe's) would need
 * hiding, and every spiffworkflow entry would still have to be written as its provider. What XueJi's engine reads is
 * a short, fixed list (form, state label, due days, approval verbs, lane role, condition, default flow, handler with
 * parameters, scripts, timers), and each value should be chosen from the application's own lists
 * (/processes/choices/*.json) — a plain DOM panel on the same extension points (the moddle descriptor in
 * spiffworkflow.json, `modeling.updateModdleProperties`, the `selection.changed` and `commandStack.changed`
 * events) does exactly that in Chinese, undoable like any other edit, with no inline script or style (CSP).
 */

import installDesigner from "./designer.js";
import { el, is } from "./dom.js";

const SPIFF_PROPERTIES = "spiffworkflow:Properties";
const OPERATOR = "spiffworkflow:ServiceTaskOperator";
const TIMER_KINDS = [
  ["timeDuration", "等待时长（如 PT72H、P3D）"],
  ["timeDate", "到达时刻（如 2026-09-01T08:00:00）"],
  ["timeCycle", "循环（如 R3/PT1H）"],
];



export default function PropertiesPanel(config, eventBus, modeling, moddle, bpmnFactory, elementRegistry, canvas) {
  this._config = config || {};
  this._modeling = modeling;
  this._moddle = moddle;
  this._bpmnFactory = bpmnFactory;
  this._registry = elementRegistry;
  this._canvas = canvas;
  this._choices = {
    forms: [], lanes: [], handlers: [], states: [], verbs: { verbs: [], escalations: [] }, codes: [],
    field_types: { types: {}, levels: {} },
  };
  this._element = null;
  this._container = this._config.container ? document.querySelector(this._config.container) : null;
  if (!this._container) return;

  eventBus.on("selection.changed", (event) => {
    const selected = event.newSelection.length === 1 ? event.newSelection[0] : null;
    this._element = selected && selected.type === "label" ? selected.labelTarget : selected; // a flow's name: the flow
    this.render();
  });
  eventBus.on("import.done", () => {
    this._element = null;
    this.render();
  });
  eventBus.on("commandStack.changed", () => {
    // An edit typed in the panel is applied on change (when the field loses focus); re-rendering then would take
    // away the field or button being clicked next. Edits made elsewhere (canvas, undo) re-render.
    if (!this._applying && !this._container.contains(document.activeElement)) this.render();
  });
  this._load();
}

PropertiesPanel.$inject = ["config.xuejiPanel", "eventBus", "modeling", "moddle", "bpmnFactory", "elementRegistry", "canvas"];

PropertiesPanel.prototype._load = async function () {
  const base = this._config.choicesUrl;
  if (!base) return;
  const names = ["forms", "lanes", "handlers", "states", "verbs", "codes", "field_types"];
  const answers = await Promise.all(
    names.map((name) => fetch(base.replace("LIST", name), { credentials: "same-origin" }).then((r) => (r.ok ? r.json() : null))),
  );
  names.forEach((name, i) => {
    if (answers[i] !== null) this._choices[name] = answers[i];
  });
  this._container.dataset.loaded = "true";
  this.render();
};

PropertiesPanel.prototype._quietly = function (apply) {
  this._applying = true;
  try {
    apply();
  } finally {
    this._applying = false;
  }
};

// -- reading and writing the spiffworkflow extensions ------------------------------------------------------------

PropertiesPanel.prototype._extension = function (bo, type) {
  const values = (bo.extensionElements && bo.extensionElements.get("values")) || [];
  return values.find((value) => value.$type === type);
};

PropertiesPanel.prototype._ensureExtension = function (element, bo, type, attrs) {
  let extensions = bo.extensionElements;
  if (!extensions) {
    extensions = this._bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
    this._modeling.updateModdleProperties(element, bo, { extensionElements: extensions });
  }
  let found = this._extension(bo, type);
  if (!found) {
    found = this._moddle.create(type, attrs || {});
    found.$parent = extensions;
    this._modeling.updateModdleProperties(element, extensions, { values: [...extensions.get("values"), found] });
  }
  return found;
};

PropertiesPanel.prototype._removeExtension = function (element, bo, type) {
  const extensions = bo.extensionElements;
  const found = extensions && this._extension(bo, type);
  if (found) {
    this._modeling.updateModdleProperties(element, extensions, {
      values: extensions.get("values").filter((value) => value !== found),
    });
  }
};

PropertiesPanel.prototype._property = function (bo, name) {
  const properties = this._extension(bo, SPIFF_PROPERTIES);
  const found = properties && properties.get("properties").find((p) => p.name === name);
  return found ? found.value || "" : "";
};

PropertiesPanel.prototype._setProperty = function (element, name, value) {
  const bo = element.businessObject;
  value = (value || "").trim();
  if (!value && !this._property(bo, name)) return;
  const properties = this._ensureExtension(element, bo, SPIFF_PROPERTIES);
  const list = properties.get("properties").slice();
  const index = list.findIndex((p) => p.name === name);
  if (index >= 0 && value) {
    this._modeling.updateModdleProperties(element, list[index], { value });
    return;
  }
  if (index >= 0) list.splice(index, 1);
  else {
    const created = this._moddle.create("spiffworkflow:Property", { name, value });
    created.$parent = properties;
    list.push(created);
  }
  this._modeling.updateModdleProperties(element, properties, { properties: list });
};

PropertiesPanel.prototype._body = function (bo, type) {
  const found = this._extension(bo, type);
  return found ? found.value || "" : "";
};

PropertiesPanel.prototype._setBody = function (element, type, value, target) {
  const bo = target || element.businessObject;
  value = (value || "").trim();
  if (!value) {
    this._removeExtension(element, bo, type);
    return;
  }
  const found = this._ensureExtension(element, bo, type);
  this._modeling.updateModdleProperties(element, found, { value });
};

PropertiesPanel.prototype._setOperator = function (element, name) {
  const bo = element.businessObject;
  const old = this._extension(bo, OPERATOR);
  const oldValues = {};
  if (old && old.parameterList) old.parameterList.get("parameters").forEach((p) => (oldValues[p.id] = p.value));
  this._removeExtension(element, bo, OPERATOR);
  if (!name) return;
  const handler = this._choices.handlers.find((h) => h.name === name) || { parameters: [] };
  const parameters = handler.parameters.map((p) =>
    this._moddle.create("spiffworkflow:Parameter", { id: p.name, type: p.type, value: oldValues[p.name] || p.name }),
  );
  const list = this._moddle.create("spiffworkflow:Parameters", { parameters });
  parameters.forEach((p) => (p.$parent = list));
  const resultVariable = (old && old.resultVariable) || name.split(".").pop();
  const operator = this._ensureExtension(element, bo, OPERATOR, { id: name, resultVariable });
  list.$parent = operator;
  this._modeling.updateModdleProperties(element, operator, { parameterList: list });
};

// -- the forms a task may show: the application's, and those this diagram designs (forms/designed.py) ------------

PropertiesPanel.prototype._forms = function () {
  const root = this._canvas.getRootElement().businessObject;
  const processes = is(root, "bpmn:Collaboration")
    ? (root.participants || []).map((p) => p.processRef).filter(Boolean)
    : [root];
  const designed = [];
  processes.forEach((process) => {
    const values = (process.extensionElements && process.extensionElements.get("values")) || [];
    values
      .filter((value) => value.$type === "xueji:form")
      .forEach((value) => {
        let definition;
        try {
          definition = JSON.parse(value.$body || "");
        } catch (error) {
          return; // the check under the canvas names the broken definition
        }
        if (!definition || !definition.key || !Array.isArray(definition.fields)) return;
        const choices = {};
        definition.fields.forEach((field) => {
          const table = field.code_table && this._choices.codes.find((t) => t.name === field.code_table);
          if (table) choices[field.name] = table.values.map((v) => v.value);
          else if (field.type === "yesno") choices[field.name] = ["是", "否"];
          else if (Array.isArray(field.choices)) choices[field.name] = field.choices;
        });
        designed.push({
          key: definition.key,
          title: definition.title || definition.key,
          designed: true,
          variables: definition.fields.map((field) => field.name),
          choices,
        });
      });
  });
  return [...this._choices.forms, ...designed];
};

// -- what a condition may read: the variables written on every path into the flow ----------------------------------

PropertiesPanel.prototype._variablesBefore = function (flow) {
  const seen = new Set();
  const variables = new Set(["student_id"]);
  const values = {};
  const queue = [flow.businessObject.sourceRef];
  while (queue.length) {
    const node = queue.shift();
    if (!node || seen.has(node.id)) continue;
    seen.add(node.id);
    const formKey = this._property(node, "formKey");
    const form = this._forms().find((f) => f.key === formKey);
    const wrapper = this._body(node, "spiffworkflow:VariableName");
    if (form) {
      form.variables.forEach((v) => {
        const name = wrapper ? `${wrapper}["${v}"]` : v;
        variables.add(name);
        if (form.choices && form.choices[v]) values[name] = form.choices[v];
      });
    }
    const operator = this._extension(node, OPERATOR);
    if (operator && operator.resultVariable) {
      variables.add(operator.resultVariable);
      const handler = this._choices.handlers.find((h) => h.name === operator.id);
      (handler ? handler.results || [] : []).forEach((r) => variables.add(`${operator.resultVariable}["${r.name}"]`));
    }
    (node.incoming || []).forEach((incoming) => queue.push(incoming.sourceRef));
  }
  return { variables: [...variables], values };
};

// -- rendering ---------------------------------------------------------------------------------------------------

PropertiesPanel.prototype.render = function () {
  const container = this._container;
  container.replaceChildren();
  const element = this._element;
  if (!element) {
    container.appendChild(el("p", { className: "text-muted small", text: "在流程图中选中一个元素，即可在此设置它的属性。" }));
    return;
  }
  const bo = element.businessObject;
  container.appendChild(el("h2", { className: "h6", text: this._kind(bo) }));
  container.dataset.element = bo.id;
  this._general(element, bo);
  if (is(bo, "bpmn:Lane")) this._lane(element, bo);
  if (is(bo, "bpmn:UserTask") || is(bo, "bpmn:ManualTask")) this._userTask(element, bo);
  else if (is(bo, "bpmn:StartEvent")) this._formOnly(element, bo);
  if (is(bo, "bpmn:Event") && !is(bo, "bpmn:StartEvent")) this._stateOnly(element, bo);
  if (is(bo, "bpmn:ServiceTask")) this._serviceTask(element, bo);
  if (is(bo, "bpmn:ScriptTask")) this._scriptTask(element, bo);
  if (is(bo, "bpmn:Activity")) this._scripts(element);
  if (is(bo, "bpmn:SequenceFlow")) this._flow(element, bo);
  if (is(bo, "bpmn:Event")) this._timer(element, bo);
  if (is(bo, "bpmn:Event")) this._message(element, bo);
};

PropertiesPanel.prototype._kind = function (bo) {
  const kinds = [
    ["bpmn:UserTask", "用户任务"],
    ["bpmn:ServiceTask", "服务任务"],
    ["bpmn:ScriptTask", "脚本任务"],
    ["bpmn:ManualTask", "人工任务"],
    ["bpmn:Task", "任务"],
    ["bpmn:ExclusiveGateway", "排他网关"],
    ["bpmn:ParallelGateway", "并行网关"],
    ["bpmn:Gateway", "网关"],
    ["bpmn:StartEvent", "开始事件"],
    ["bpmn:EndEvent", "结束事件"],
    ["bpmn:BoundaryEvent", "边界事件"],
    ["bpmn:Event", "中间事件"],
    ["bpmn:SequenceFlow", "连线"],
    ["bpmn:Lane", "泳道"],
    ["bpmn:Participant", "泳池（流程）"],
    ["bpmn:Process", "流程"],
  ];
  const found = kinds.find(([type]) => is(bo, type));
  return found ? found[1] : "元素";
};

PropertiesPanel.prototype._field = function (label, input, help) {
  const id = `prop-${input.dataset.prop}`;
  input.id = id;
  if (!input.className) input.className = input.tagName === "SELECT" ? "form-select form-select-sm" : "form-control form-control-sm";
  const group = el("div", { className: "mb-2" }, [el("label", { className: "form-label small mb-0", htmlFor: id, text: label }), input]);
  if (help) group.appendChild(el("div", { className: "form-text", text: help }));
  this._container.appendChild(group);
  return input;
};

PropertiesPanel.prototype._text = function (label, prop, value, apply, extra) {
  const input = el(extra && extra.multiline ? "textarea" : "input", {
    type: extra && extra.multiline ? undefined : (extra && extra.type) || "text",
    value: value || "",
    rows: extra && extra.multiline ? 3 : undefined,
    min: extra && extra.min,
    placeholder: extra && extra.placeholder,
  });
  if (extra && extra.multiline) input.value = value || "";
  input.dataset.prop = prop;
  if (extra && extra.list) input.setAttribute("list", extra.list);
  input.addEventListener("change", () => this._quietly(() => apply(input.value)));
  return this._field(label, input, extra && extra.help);
};

PropertiesPanel.prototype._select = function (label, prop, value, options, apply, help) {
  const select = el(
    "select",
    {},
    options.map(([optionValue, text]) => el("option", { value: optionValue, text, selected: optionValue === value })),
  );
  if (value && !options.some(([optionValue]) => optionValue === value)) {
    select.appendChild(el("option", { value, text: `${value}（本系统中不存在）`, selected: true }));
  }
  select.dataset.prop = prop;
  select.addEventListener("change", () => {
    apply(select.value);
    this.render();
  });
  return this._field(label, select, help);
};

PropertiesPanel.prototype._general = function (element, bo) {
  if (!is(bo, "bpmn:Lane")) {
    this._text("名称", "name", bo.name, (value) => this._modeling.updateLabel(element, value));
  }
  this._text("标识（ID）", "id", bo.id, (value) => {
    value = value.trim();
    if (!/^[A-Za-z_][\w.-]*$/.test(value)) return this._flash("标识只能由字母、数字、下划线组成，且以字母或下划线开头");
    if (value !== bo.id && this._registry.get(value)) return this._flash(`标识「${value}」已被其他元素使用`);
    this._modeling.updateProperties(element, { id: value });
  });
};

PropertiesPanel.prototype._flash = function (message) {
  this.render();
  this._container.appendChild(el("div", { className: "alert alert-warning small py-1", role: "alert", text: message }));
};

PropertiesPanel.prototype._lane = function (element, bo) {
  const options = [["", "（请选择泳道角色）"], ...this._choices.lanes.map((lane) => [lane, lane])];
  this._select("泳道角色", "lane", bo.name || "", options, (value) => this._modeling.updateLabel(element, value),
    "泳道名称决定由哪个机构、哪个岗位办理其中的步骤");
};

PropertiesPanel.prototype._formSelect = function (element, bo) {
  const options = [
    ["", "（请选择表单）"],
    ...this._forms().map((form) => [form.key, `${form.title}（${form.key}${form.designed ? "，本流程图设计" : ""}）`]),
  ];
  this._select("表单", "formKey", this._property(bo, "formKey"), options, (value) => this._setProperty(element, "formKey", value));
  const form = this._forms().find((f) => f.key === this._property(bo, "formKey"));
  if (form) {
    this._container.appendChild(el("div", { className: "form-text mb-2", text: `表单写入的变量：${form.variables.join("、")}` }));
  }
};

PropertiesPanel.prototype._stateField = function (element, bo) {
  this._text("办理状态（caseState）", "caseState", this._property(bo, "caseState"), (value) => this._setProperty(element, "caseState", value), {
    list: "xueji-states",
    help: "案件停在此处时，各方看到的状态",
  });
  this._ensureDatalist("xueji-states", this._choices.states);
};

PropertiesPanel.prototype._ensureDatalist = function (id, values) {
  let list = document.getElementById(id);
  if (!list) {
    list = el("datalist", { id });
    document.body.appendChild(list);
  }
  list.replaceChildren(...values.map((value) => el("option", { value })));
};

PropertiesPanel.prototype._formOnly = function (element, bo) {
  this._formSelect(element, bo);
};

PropertiesPanel.prototype._stateOnly = function (element, bo) {
  this._stateField(element, bo);
};

PropertiesPanel.prototype._userTask = function (element, bo) {
  this._formSelect(element, bo);
  this._designer(element, bo);
  this._text("表单数据变量（可不填）", "variableName", this._body(bo, "spiffworkflow:VariableName"),
    (value) => this._setBody(element, "spiffworkflow:VariableName", value), { help: "填写后，表单各字段写入此变量之下（如 a_form[\"decision\"]）" });
  this._stateField(element, bo);
  this._text("办理时限（工作日）", "dueWorkingDays", this._property(bo, "dueWorkingDays"),
    (value) => this._setProperty(element, "dueWorkingDays", value), { type: "number", min: 0 });
  const disabled = new Set(this._split(this._property(bo, "disabledVerbs")));
  this._checkboxes("关闭的审批操作", "disabledVerbs", this._choices.verbs.verbs.map((v) => [v, v]), disabled,
    (chosen) => this._setProperty(element, "disabledVerbs", chosen.join(",")));
  const targets = this._registry
    .filter((shape) => shape.type !== "label" && shape.id !== element.id && (is(shape.businessObject, "bpmn:UserTask") ||
      (is(shape.businessObject, "bpmn:StartEvent") && this._property(shape.businessObject, "formKey"))))
    .map((shape) => [shape.id, shape.businessObject.name || shape.id]);
  this._checkboxes("可退回到", "returnTargets", targets, new Set(this._split(this._property(bo, "returnTargets"))),
    (chosen) => this._setProperty(element, "returnTargets", chosen.join(",")));
  const escalations = [["", "（不处理）"], ...this._choices.verbs.escalations.map((e) => [e, e])];
  this._select("超期处理", "escalateTo", this._property(bo, "escalateTo"), escalations, (value) => this._setProperty(element, "escalateTo", value));
};

PropertiesPanel.prototype._split = function (raw) {
  return (raw || "").split(/[,，、]/).map((part) => part.trim()).filter(Boolean);
};

PropertiesPanel.prototype._checkboxes = function (label, prop, options, chosen, apply) {
  const group = el("fieldset", { className: "mb-2" }, [el("legend", { className: "form-label small mb-0", text: label })]);
  group.dataset.prop = prop;
  options.forEach(([value, text]) => {
    const id = `prop-${prop}-${value}`;
    const box = el("input", { type: "checkbox", className: "form-check-input", id, value, checked: chosen.has(value) });
    box.addEventListener("change", () => {
      const now = [...group.querySelectorAll("input:checked")].map((input) => input.value);
      this._quietly(() => apply(now));
    });
    group.appendChild(el("div", { className: "form-check form-check-inline" }, [box, el("label", { className: "form-check-label small", htmlFor: id, text })]));
  });
  this._container.appendChild(group);
};

PropertiesPanel.prototype._serviceTask = function (element, bo) {
  const operator = this._extension(bo, OPERATOR);
  const options = [["", "（请从服务操作目录中选择）"], ...this._choices.handlers.map((h) => [h.name, h.description ? `${h.name}：${h.description}` : h.name])];
  this._select("服务操作", "operator", operator ? operator.id : "", options, (value) => this._setOperator(element, value));
  if (!operator) return;
  const handler = this._choices.handlers.find((h) => h.name === operator.id);
  if (handler) {
    const typed = (list) => list.map((p) => `${p.name}（${p.type}${p.required === false ? "，可不填" : ""}）`).join("、") || "无";
    const catalogue = el("div", { className: "form-text mb-2 xueji-operation" }, [
      el("div", { text: handler.description || "" }),
      el("div", { text: `参数：${typed(handler.parameters)}` }),
      el("div", { text: `结果：${typed(handler.results || [])}` }),
    ]);
    catalogue.dataset.operation = handler.name;
    this._container.appendChild(catalogue);
  }
  this._text("结果变量", "resultVariable", operator.resultVariable, (value) =>
    this._modeling.updateModdleProperties(element, operator, { resultVariable: value.trim() }));
  const parameters = operator.parameterList ? operator.parameterList.get("parameters") : [];
  parameters.forEach((parameter) => {
    this._text(`参数 ${parameter.id}（${parameter.type || "任意"}）`, `param-${parameter.id}`, parameter.value,
      (value) => this._modeling.updateModdleProperties(element, parameter, { value: value.trim() }), { help: "填写表达式，如变量名 student_id" });
  });
};

PropertiesPanel.prototype._scriptTask = function (element, bo) {
  this._text("脚本", "script", bo.script, (value) => this._modeling.updateProperties(element, { scriptFormat: "python", script: value }), { multiline: true });
};

PropertiesPanel.prototype._scripts = function (element) {
  const bo = element.businessObject;
  this._text("前置脚本（可不填）", "preScript", this._body(bo, "spiffworkflow:PreScript"), (value) => this._setBody(element, "spiffworkflow:PreScript", value), { multiline: true });
  this._text("后置脚本（可不填）", "postScript", this._body(bo, "spiffworkflow:PostScript"), (value) => this._setBody(element, "spiffworkflow:PostScript", value), { multiline: true });
};

PropertiesPanel.prototype._flow = function (element, bo) {
  const source = element.source;
  const branching = source && (is(source.businessObject, "bpmn:ExclusiveGateway") || is(source.businessObject, "bpmn:InclusiveGateway"));
  if (!branching) {
    this._container.appendChild(el("p", { className: "form-text", text: "只有排他网关或包容网关的出口连线需要条件。" }));
    return;
  }
  const isDefault = source.businessObject.default === bo;
  const toggle = el("input", { type: "checkbox", className: "form-check-input", id: "prop-default", checked: isDefault });
  toggle.dataset.prop = "default";
  toggle.addEventListener("change", () => {
    this._modeling.updateProperties(source, { default: toggle.checked ? bo : undefined });
    if (toggle.checked && bo.conditionExpression) this._modeling.updateProperties(element, { conditionExpression: undefined });
    this.render();
  });
  this._container.appendChild(el("div", { className: "form-check mb-2" }, [toggle, el("label", { className: "form-check-label small", htmlFor: "prop-default", text: "默认连线（其他条件都不满足时走这条）" })]));
  if (isDefault) return;
  const condition = this._text("条件表达式", "condition", bo.conditionExpression ? bo.conditionExpression.body : "", (value) => {
    value = value.trim();
    const expression = value ? this._bpmnFactory.create("bpmn:FormalExpression", { body: value }) : undefined;
    this._modeling.updateProperties(element, { conditionExpression: expression });
  }, { multiline: true, help: "Python 表达式，如 decision == \"通过\"；点击下面的变量插入" });
  const insert = (text) => {
    condition.value = condition.value ? `${condition.value} ${text}` : text;
    condition.dispatchEvent(new Event("change"));
    condition.focus();
  };
  const chip = (text, inserted) => {
    const button = el("button", { type: "button", className: "btn btn-outline-secondary btn-sm me-1 mb-1", text });
    button.addEventListener("click", () => insert(inserted));
    return button;
  };
  const before = this._variablesBefore(element);
  const chips = el("div", { className: "mb-2 xueji-variables" }, before.variables.map((v) => chip(v, v)));
  chips.dataset.prop = "variables";
  this._container.appendChild(el("div", { className: "form-text mb-1", text: "此连线之前写入的变量：" }));
  this._container.appendChild(chips);
  Object.entries(before.values).forEach(([variable, options]) => {
    const row = el("div", { className: "mb-1 xueji-values" }, [
      el("span", { className: "form-text me-1", text: `${variable} 的取值：` }),
      ...options.map((value) => chip(value, JSON.stringify(value))),
    ]);
    row.dataset.variable = variable;
    this._container.appendChild(row);
  });
  this._codeValues(chip);
};

// A value from Appendix A's code tables (a new nationality, a sex code…), for conditions on what a service task wrote.
PropertiesPanel.prototype._codeValues = function (chip) {
  const tables = this._choices.codes;
  if (!tables.length) return;
  const options = [["", "（选择代码表，点击插入其中的取值）"], ...tables.map((t) => [t.name, t.title])];
  const select = el("select", {}, options.map(([value, text]) => el("option", { value, text, selected: value === this._codeTable })));
  select.dataset.prop = "codeTable";
  select.addEventListener("change", () => {
    this._codeTable = select.value;
    this.render();
  });
  this._field("代码表取值", select);
  const table = tables.find((t) => t.name === this._codeTable);
  if (!table) return;
  const row = el("div", { className: "mb-2 xueji-codes" },
    table.values.map((v) => chip(v.label === v.value ? v.value : `${v.value} ${v.label}`, JSON.stringify(v.value))));
  row.dataset.table = table.name;
  this._container.appendChild(row);
};

PropertiesPanel.prototype._timer = function (element, bo) {
  const definition = (bo.eventDefinitions || []).find((d) => is(d, "bpmn:TimerEventDefinition"));
  if (!definition) return;
  const current = TIMER_KINDS.find(([kind]) => definition[kind]) || TIMER_KINDS[0];
  const expression = definition[current[0]] ? definition[current[0]].body : "";
  const apply = (kind, body) => {
    const values = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
    values[kind] = body ? this._bpmnFactory.create("bpmn:FormalExpression", { body }) : undefined;
    this._modeling.updateModdleProperties(element, definition, values);
  };
  const kind = this._select("定时方式", "timerKind", current[0], TIMER_KINDS, (value) => apply(value, expression));
  this._text("定时表达式", "timer", expression, (value) => apply(kind.value, value.trim()), { help: "ISO 8601 格式" });
};

PropertiesPanel.prototype._message = function (element, bo) {
  const definition = (bo.eventDefinitions || []).find((d) => is(d, "bpmn:MessageEventDefinition"));
  if (!definition) return;
  let definitions = bo;
  while (definitions && !is(definitions, "bpmn:Definitions")) definitions = definitions.$parent;
  if (!definitions) return;
  const messages = definitions.get("rootElements").filter((root) => is(root, "bpmn:Message"));
  const current = definition.messageRef ? definition.messageRef.id : "";
  const options = [["", "（请选择消息）"], ...messages.map((m) => [m.id, m.name && m.name !== m.id ? `${m.name}（${m.id}）` : m.id])];
  this._select("消息", "messageRef", current, options, (id) =>
    this._modeling.updateModdleProperties(element, definition, { messageRef: messages.find((m) => m.id === id) }));
  this._text("新建消息（填写名称后回车）", "newMessage", "", (name) => {
    name = name.trim();
    if (!name) return;
    const message = this._bpmnFactory.create("bpmn:Message", { name });
    message.$parent = definitions;
    this._modeling.updateModdleProperties(element, definitions, { rootElements: [...definitions.get("rootElements"), message] });
    this._modeling.updateModdleProperties(element, definition, { messageRef: message });
    this.render();
  });
  this._container.appendChild(el("div", { className: "form-text mb-2", text:
    "关联：消息只送到与发出方关联的业务（由消息发起的业务沿用发出方的关联键，关联键由系统生成），无须在图中设置关联属性。" }));
  const throwing = is(bo, "bpmn:IntermediateThrowEvent") || is(bo, "bpmn:EndEvent");
  if (throwing) {
    this._text("消息内容（表达式）", "messagePayload", this._body(definition, "spiffworkflow:MessagePayload"),
      (value) => this._setBody(element, "spiffworkflow:MessagePayload", value, definition),
      { multiline: true, help: "发送给对方的数据，如 {\"student_name\": student_name}" });
  } else {
    this._text("接收变量", "messageVariable", this._body(definition, "spiffworkflow:MessageVariable"),
      (value) => this._setBody(element, "spiffworkflow:MessageVariable", value, definition),
      { help: "收到的消息内容写入此变量" });
  }
};

installDesigner(PropertiesPanel);
