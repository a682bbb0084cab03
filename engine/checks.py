"""What publishing checks beyond the XSD: every lane, form and handler a diagram names must exist here."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.spiff.specs.defaults import NoneTask, ServiceTask

from engine import variables
from engine.lanes import LANES
from engine.registry import given
from engine.store import properties
from engine.verbs import Verb, unknown_verbs
from forms import FORMS


def _name(task_spec: Any) -> str:
    return f"「{task_spec.bpmn_name or task_spec.bpmn_id}」（{task_spec.bpmn_id}）"


def _problems_of(task_spec: Any, *, called: bool, designed: Collection[str]) -> list[str]:
    problems = []
    name = _name(task_spec)
    if isinstance(task_spec, NoneTask):  # other modelers' plain "Task": neither a person's step nor the system's
        return [
            f"任务 {name} 没有类型：请在建模工具中把它改为用户任务（由人办理，指定泳道和表单）"
            "或服务任务（由系统办理，指定处理程序）"
        ]
    form_key = properties(task_spec).get("formKey")
    if task_spec.manual:
        if task_spec.lane is None and not called:
            problems.append(f"用户任务 {name} 不在任何泳道中")
        if not form_key:
            problems.append(f"用户任务 {name} 没有指定表单（属性 formKey）")
    due_days = properties(task_spec).get("dueWorkingDays")
    if due_days is not None and not due_days.isdigit():
        problems.append(f"元素 {name} 的办理时限（属性 dueWorkingDays）必须是工作日天数")
    if form_key and form_key not in FORMS and form_key not in designed:
        problems.append(f"元素 {name} 指定的表单「{form_key}」不存在")
    if isinstance(task_spec, ServiceTask):
        problems.extend(_operation_problems(task_spec, name))
    return problems


def _operation_problems(task_spec: Any, name: str) -> list[str]:
    """The service operation is in the catalogue and is given exactly its parameters."""
    if task_spec.operation_name not in given().handlers:
        return [f"服务任务 {name} 的处理程序「{task_spec.operation_name}」未注册"]
    operation = given().operation(task_spec.operation_name)
    given_params = set(task_spec.operation_params or {})
    known = {p.name for p in operation.parameters}
    problems = [
        f"服务任务 {name} 缺少处理程序「{operation.name}」的参数「{p.name}」（{p.type}）"
        for p in operation.parameters
        if p.required and p.name not in given_params
    ]
    if not operation.takes_any:
        usable = "、".join(sorted(known))
        problems += [
            f"服务任务 {name} 的参数「{extra}」不是处理程序「{operation.name}」的参数（可用：{usable}）"
            for extra in sorted(given_params - known)
        ]
    return problems


def problems(
    spec: Any, subprocess_specs: dict[str, Any], designed: Mapping[str, dict[str, Any]] | None = None
) -> list[str]:
    """Chinese messages, each naming the element at fault; empty when the diagram may be published. ``designed``:
    the forms the diagram itself defines (forms.designed), by key."""
    designed = designed or {}
    found: list[str] = [f"表单「{key}」与系统内置表单同名，请换一个标识" for key in designed if key in FORMS]
    unknown_lanes: dict[str, list[str]] = {}
    for process_spec, called in [(spec, False), *((s, True) for s in subprocess_specs.values())]:
        for task_spec in process_spec.task_specs.values():
            if not getattr(task_spec, "bpmn_id", None):
                continue  # the engine's own start/end bookkeeping tasks
            if task_spec.lane is not None and task_spec.lane not in LANES:
                unknown_lanes.setdefault(task_spec.lane, []).append(_name(task_spec))
            found.extend(_problems_of(task_spec, called=called, designed=designed))
    found.extend(_verb_problems(spec, subprocess_specs))
    found.extend(data_problems(spec, subprocess_specs, designed))
    lanes = [
        f"泳道「{lane}」没有对应的机构解析规则（可用泳道：{'、'.join(LANES)}），无法分派：{'、'.join(names)}"
        for lane, names in unknown_lanes.items()
    ]
    return lanes + found


def _form_fields(
    spec: Any, subprocess_specs: dict[str, Any], designed: Mapping[str, dict[str, Any]]
) -> dict[str, list[str]]:
    keys = {properties(t).get("formKey") for t in variables.task_specs(spec, subprocess_specs)} - {None, ""}
    fields = {key: [f["name"] for f in definition["fields"]] for key, definition in designed.items()}
    fields.update({key: FORMS[key].variables() for key in keys if key in FORMS})
    return fields


def data_problems(spec: Any, subprocess_specs: dict[str, Any], designed: Mapping[str, dict[str, Any]]) -> list[str]:
    """A condition reading a variable nothing writes (it would fail, or silently branch, on a real case), and a
    designed form's field that would overwrite a variable a service task reads from elsewhere."""
    writers = variables.written(spec, subprocess_specs, _form_fields(spec, subprocess_specs, designed))
    known = set(writers) | variables.STARTED_WITH
    found = []
    for gateway, target, condition in variables.conditions(spec, subprocess_specs):
        for missing in sorted(variables.names_read(condition) - known):
            found.append(
                f"网关 {_name(gateway)} 通往「{target}」的条件「{condition}」读取的变量「{missing}」"
                "没有任何表单或服务任务写入"
            )
    for name, readers in variables.service_reads(spec, subprocess_specs).items():
        for task_spec, kind in writers.get(name, []):
            key = properties(task_spec).get("formKey")
            others = [w for w, _ in writers[name] if properties(w).get("formKey") != key]
            if kind != "表单" or key not in designed or not (others or name in variables.STARTED_WITH):
                continue
            found.append(
                f"表单「{key}」的字段「{name}」与服务任务 {_name(readers[0])} 需要的变量「{name}」同名，"
                "提交时会覆盖它：请给该字段换一个字段名"
            )
    return list(dict.fromkeys(found))


ESCALATIONS = ("上级", "通知")


def _verb_problems(spec: Any, subprocess_specs: dict[str, Any]) -> list[str]:
    """The approval-verb properties of user tasks: known verb names, return targets that are earlier user tasks
    (or the initiator's start form) of the diagram, an escalation the tick knows."""
    task_specs = [
        t for p in [spec, *subprocess_specs.values()] for t in p.task_specs.values() if getattr(t, "bpmn_id", None)
    ]
    returnable = {
        t.bpmn_id for t in task_specs if t.manual or (isinstance(t, StartEvent) and properties(t).get("formKey"))
    }
    found = []
    for task_spec in task_specs:
        props, name = properties(task_spec), _name(task_spec)
        unknown = unknown_verbs(props.get("disabledVerbs", ""))
        if unknown:
            known = "、".join(v.value for v in Verb)
            found.append(f"元素 {name} 关闭的审批操作「{'、'.join(sorted(unknown))}」不存在（可用：{known}）")
        targets = {t.strip() for t in props.get("returnTargets", "").replace("，", ",").split(",") if t.strip()}
        for target in sorted(targets - returnable):
            found.append(f"元素 {name} 的退回目标「{target}」不是本流程的用户任务或发起表单")
        escalate = props.get("escalateTo")
        if escalate is not None and escalate not in ESCALATIONS:
            found.append(f"元素 {name} 的超期处理（属性 escalateTo）只能是「上级」或「通知」")
    return found


FLOW_NODES = {
    "task",
    "userTask",
    "manualTask",
    "serviceTask",
    "scriptTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "callActivity",
    "subProcess",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "endEvent",
    "boundaryEvent",
}


def unreachable(process: Any, spec: Any) -> list[str]:
    """Flow nodes of the XML that no path from a start event reaches: the parser builds the spec by walking
    from the start, so whatever it did not build was left unconnected by the author."""
    found = []
    for node in process:
        local = etree.QName(node).localname if isinstance(node.tag, str) else ""
        if local in FLOW_NODES and node.get("id") not in spec.task_specs:
            found.append(f"元素 「{node.get('name') or node.get('id')}」（{node.get('id')}） 无法从开始事件到达")
    return found


def start_form_key(spec: Any) -> str | None:
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, StartEvent) and getattr(task_spec, "bpmn_id", None):
            return properties(task_spec).get("formKey")
    return None
