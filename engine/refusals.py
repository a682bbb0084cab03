"""Why a diagram cannot be published, in Chinese a policy officer can act on.

SpiffWorkflow and the BPMN schema explain a refusal in English ("A Service Task must have an operator"), and the
parser sometimes fails with its own TypeError on diagrams exported by other modelers. Each refusal here names the
file, the line and the element (kind, label and id) when known, says what is wrong and what to change; an
English message nobody has translated yet is kept, after a Chinese lead, so that nothing is lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

# What the parser raises on its own bugs (e.g. a TypeError for an event naming an undefined signal); caught
# with ValidationException so that an unusual export is refused, not a 500.
PARSER_CRASHES: tuple[type[Exception], ...] = (
    TypeError,
    AttributeError,
    KeyError,
    IndexError,
    ValueError,
    AssertionError,
)

NAMESPACES = {
    "http://www.omg.org/spec/BPMN/20100524/MODEL": "bpmn:",
    "http://www.omg.org/spec/BPMN/20100524/DI": "bpmndi:",
    "http://www.omg.org/spec/DD/20100524/DC": "dc:",
    "http://www.omg.org/spec/DD/20100524/DI": "di:",
    "http://spiffworkflow.org/bpmn/schema/1.0/core": "spiffworkflow:",
}

KINDS = {
    "process": "流程",
    "task": "任务",
    "userTask": "用户任务",
    "manualTask": "人工任务",
    "serviceTask": "服务任务",
    "scriptTask": "脚本任务",
    "sendTask": "发送任务",
    "receiveTask": "接收任务",
    "businessRuleTask": "业务规则任务",
    "callActivity": "调用活动",
    "subProcess": "子流程",
    "transaction": "事务子流程",
    "adHocSubProcess": "自由子流程",
    "exclusiveGateway": "排他网关",
    "parallelGateway": "并行网关",
    "inclusiveGateway": "包容网关",
    "eventBasedGateway": "事件网关",
    "complexGateway": "复杂网关",
    "startEvent": "开始事件",
    "endEvent": "结束事件",
    "intermediateCatchEvent": "中间捕获事件",
    "intermediateThrowEvent": "中间抛出事件",
    "boundaryEvent": "边界事件",
    "sequenceFlow": "连线",
}

_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]


def _rule(pattern: str, text: str | Callable[[re.Match[str]], str]) -> _Rule:
    return re.compile(pattern, re.DOTALL), (text if callable(text) else lambda _m: text)


_ENGINE: list[_Rule] = [
    _rule(
        r"A Service Task must have an operator",
        "服务任务没有指定处理程序：请在属性面板中为它选择本系统已注册的处理程序（spiffworkflow:serviceTaskOperator）",
    ),
    _rule(
        r"Non-default exclusive outgoing sequence flow without condition",
        "排他网关的这条出口连线没有条件：请为它填写条件表达式，或在网关上把它设为默认连线",
    ),
    _rule(
        r"Multiple outgoing flows are not supported for tasks of type",
        "此元素有多条出口连线，本系统不支持从任务直接分支：请在它之后加一个网关，由网关分出各条连线",
    ),
    _rule(r"No start event found", "流程没有开始事件：请加一个开始事件，并用连线接到第一个环节"),
    _rule(
        r"Process (.+?) is not executable",
        lambda m: f'流程「{m[1]}」标记为不可执行（isExecutable="false"）：请在建模工具中把它设为可执行后重新导出',
    ),
    _rule(
        r"There is no support implemented for this task type",
        "本系统不支持这种元素：请改用用户任务、服务任务、排他网关、并行网关或事件",
    ),
    _rule(
        r"When looking for a task spec, we found two items.*\((.*)\)",
        lambda m: f"连线指向的元素「{m[1]}」不存在（或与另一元素 id 相同）：请重新连接这条连线",
    ),
    _rule(r"Duplicate process ID: (.+)", lambda m: f"文件中有两个 id 都是「{m[1]}」的流程：请改掉其中一个的 id"),
    _rule(
        r"The process '(.+?)' was not found",
        lambda m: f"调用活动引用的流程「{m[1]}」不在这个文件中：请把被调用的流程放进同一文件，或改为子流程",
    ),
    _rule(r'No "calledElement" attribute for Call Activity', "调用活动没有指定要调用的流程（calledElement）"),
    _rule(
        r"Exactly one start event is required in a SubWorkflow Task; found (\d+)",
        lambda m: f"子流程必须有且只有一个开始事件（现在有 {m[1]} 个）",
    ),
    _rule(r"A SubWorkflow Must contain an End event", "子流程没有结束事件：请加一个结束事件"),
    _rule(r"A multiinstance task must specify", "多实例任务必须指定实例数（loopCardinality）或输入集合中的一种"),
    _rule(r"A loopMaximum or loopCondition must be specified", "循环任务必须指定最大循环次数或循环条件"),
    _rule(r"The loop (?:input|output) data reference is missing", "多实例任务引用的输入或输出数据没有在数据定义中声明"),
    _rule(r"Cancel Events may only be used with transactions", "取消事件只能用在事务子流程中"),
    _rule(r"Invalid Script Task", "脚本任务没有脚本内容"),
    _rule(r"Conditional event definition with missing condition", "条件事件没有填写条件"),
    _rule(
        r"Unknown Time Specification|Time Specification Error", "定时事件的时间格式无法识别（应为 ISO 8601，如 PT72H）"
    ),
    _rule(
        r"Expected an? (\w+) node",
        lambda m: f"事件引用的{_DEFINITIONS.get(m[1].lower(), m[1])}定义不存在：请在文件中定义它，或删除这个引用",
    ),
    _rule(
        r"(Signal|Error|Escalation|Correlation|Message|Data Store) identifier is missing",
        lambda m: f"{_DEFINITIONS.get(m[1].lower(), m[1])}定义缺少 id",
    ),
    _rule(r"Could not find messageRef", "消息事件没有引用任何消息（messageRef）"),
    _rule(
        r"Cannot resolve data(?:Input|Output)Association (.+)",
        lambda m: f"数据关联引用的数据对象「{m[1]}」不存在",
    ),
    _rule(
        r"Sequential ordering for ad hoc subprocesses|Ad hoc subprocesses may not contain",
        "本系统不支持这种自由子流程（顺序执行，或含开始、结束事件）",
    ),
    # SpiffWorkflow 3.2 reports an event naming an undefined signal, error or escalation by failing inside its
    # own error path; the message is its TypeError, wrapped.
    _rule(
        r"TypeError\(.*raise_validation_exception\(\) got an unexpected keyword argument",
        "事件引用的信号、错误、升级或消息定义不存在：请在文件中定义它，或删除这个引用",
    ),
    _rule(
        r"^(\w+(?:Error|Exception))\((.*)\)$",
        lambda m: f"流程引擎无法解析此元素（本系统不支持其结构，或它不完整；技术信息：{m[1]}: {m[2]}）",
    ),
]

_DEFINITIONS: dict[str, str] = {
    "message": "消息",
    "signal": "信号",
    "error": "错误",
    "escalation": "升级",
    "correlation": "关联",
}

# The XSD's messages (libxml2), after namespaces are shortened to prefixes.
_SCHEMA: list[_Rule] = [
    _rule(r"Element '([^']+)': This element is not expected", lambda m: f"元素 {m[1]} 不应出现在此处"),
    _rule(
        r"Element '([^']+)': Missing child element\(s\)\. Expected is(?: one of)? \( ?(.+?) ?\)",
        lambda m: f"元素 {m[1]} 缺少必需的子元素（可为：{m[2]}）",
    ),
    _rule(
        r"Element '([^']+)', attribute '([^']+)': The attribute '[^']+' is not allowed",
        lambda m: f"元素 {m[1]} 不允许有属性 {m[2]}",
    ),
    _rule(
        r"Element '([^']+)': The attribute '([^']+)' is required but missing",
        lambda m: f"元素 {m[1]} 缺少必需的属性 {m[2]}",
    ),
    _rule(
        r"Element '([^']+)', attribute '([^']+)': '([^']*)' is not a valid value of the atomic type '([^']+)'",
        lambda m: f"元素 {m[1]} 的属性 {m[2]} 的值「{m[3]}」无效（应为 {m[4]}）",
    ),
    _rule(r"No match found for key-sequence \['([^']*)'\]", lambda m: f"引用的 id「{m[1]}」在文件中不存在"),
    _rule(r"Duplicate key-sequence \['([^']*)'\]", lambda m: f"id「{m[1]}」在文件中出现了不止一次"),
]


def translate(message: str) -> str:
    """A SpiffWorkflow message in Chinese; an unknown one with a Chinese lead and the English kept."""
    message = message.strip().rstrip(".").strip()
    for pattern, text in _ENGINE:
        if found := pattern.search(message):
            return text(found)
    if message.startswith("Element '"):
        return schema(message)
    return f"流程引擎拒绝了此流程图（{message}）"


def schema(message: str) -> str:
    """A BPMN XSD message of libxml2 in Chinese."""
    for uri, prefix in NAMESPACES.items():
        message = message.replace("{" + uri + "}", prefix)
    message = message.strip().rstrip(".").strip()
    for pattern, text in _SCHEMA:
        if found := pattern.search(message):
            return f"不符合 BPMN 2.0 标准：{text(found)}"
    return f"不符合 BPMN 2.0 标准（{message}）"


def of_engine(exc: ValidationException, filename: str) -> str:
    """A ValidationException of the parser or the schema, as one refusal naming where it is."""
    raw = str(exc.args[0]) if exc.args else str(exc)
    return f"{_where(filename, exc)}：{translate(raw)}"


def of_crash(exc: Exception, filename: str) -> str:
    """The parser failed with an exception of its own (not a ValidationException)."""
    return f"{filename}：{translate(f'{type(exc).__name__}({exc!s})')}"


def missing_process(filename: str, process_key: str, processes: Mapping[str, Any]) -> str:
    """No executable process with the file's id: say whether it is there but marked not executable, and which
    processes the file does have (``processes``: id → SpiffWorkflow ProcessParser)."""
    found = processes.get(process_key)
    if found is not None and not found.process_executable:
        return (
            f"{filename}：流程{_label(found.node.get('name'), process_key)}标记为不可执行"
            '（isExecutable="false"）：请在建模工具中把它设为可执行后重新导出'
        )
    others = "、".join(_label(p.node.get("name"), pid) for pid, p in processes.items())
    hint = f"；文件中的流程：{others}，请把要发布的流程的 id 改为「{process_key}」" if others else ""
    return f"{filename}：文件中没有 id 为「{process_key}」的流程{hint}"


def _where(filename: str, exc: ValidationException) -> str:
    where = filename
    line = getattr(exc, "line_number", "")
    if line:
        where += f" 第{line}行"
    element_id, name = getattr(exc, "id", "") or "", getattr(exc, "name", "") or ""
    if element_id or name:
        tag = (getattr(exc, "tag", "") or "").removeprefix("bpmn:")
        where += f" {KINDS.get(tag, '元素')}{_label(name, element_id)}"
    return where


def _label(name: str | None, element_id: str) -> str:
    return f"「{name}」（{element_id}）" if name and name != element_id else f"「{element_id}」"
