"""Which diagram variables a diagram writes and which its conditions read (issue 16): the publish check refuses a
condition that reads a variable nothing writes, and a designed form whose field would overwrite a variable a
service task reads.

Writers: the engine at start (``engine.api.start``), each form (its fields, or the task's ``variableName``), each
service task's result variable, each script's assignments (script task, pre- and post-scripts) and each received
message's variable. The analysis is per diagram, not per path: a condition may still read a variable written only
on another branch, which the scenarios catch.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable, Iterator
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.spiff.specs.defaults import ServiceTask

from engine.store import properties

# What engine.api.start puts into every case's data before the first step runs.
STARTED_WITH = frozenset({"student_id", "student_name", "school_id", "initiator_id", "to_school_id"})
# The restricted script engine's globals (engine.scripts): not variables.
PROVIDED = frozenset(dir(builtins)) | {"datetime", "timedelta", "timezone"}


def task_specs(spec: Any, subprocess_specs: dict[str, Any]) -> Iterator[Any]:
    for process_spec in [spec, *subprocess_specs.values()]:
        yield from (t for t in process_spec.task_specs.values() if getattr(t, "bpmn_id", None))


def names_read(expression: str) -> set[str]:
    """The free names an expression or script reads (names it binds itself, as a comprehension's, excluded)."""
    try:
        tree = ast.parse(expression, mode="exec")
    except SyntaxError:
        return set()  # the parser reports it
    bound = {
        node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del)
    }
    bound |= {arg.arg for node in ast.walk(tree) if isinstance(node, ast.Lambda) for arg in node.args.args}
    loaded = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    return loaded - bound - PROVIDED


def names_assigned(script: str | None) -> set[str]:
    if not script:
        return set()
    try:
        tree = ast.parse(script, mode="exec")
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}


def written(
    spec: Any, subprocess_specs: dict[str, Any], form_fields: dict[str, list[str]]
) -> dict[str, list[tuple[Any, str]]]:
    """Each variable the diagram writes → (task spec, what writes it: 表单/服务任务/脚本/消息). ``form_fields``: the
    field names of each form key (hand-written and designed)."""
    found: dict[str, list[tuple[Any, str]]] = {}
    for task_spec in task_specs(spec, subprocess_specs):
        for name, kind in _writes(task_spec, form_fields):
            found.setdefault(name, []).append((task_spec, kind))
    return found


def _writes(task_spec: Any, form_fields: dict[str, list[str]]) -> Iterable[tuple[str, str]]:
    form_key = properties(task_spec).get("formKey")
    if form_key and (task_spec.manual or isinstance(task_spec, StartEvent)):
        wrapper = getattr(task_spec, "variable", None)
        yield from ((name, "表单") for name in ([wrapper] if wrapper else form_fields.get(form_key, [])))
    if isinstance(task_spec, ServiceTask) and task_spec.result_variable:
        yield task_spec.result_variable, "服务任务"
    for script in (getattr(task_spec, attribute, None) for attribute in ("script", "prescript", "postscript")):
        yield from ((name, "脚本") for name in names_assigned(script))
    definition = getattr(task_spec, "event_definition", None)
    for attribute in ("message_var", "variable"):
        name = getattr(definition, attribute, None)
        if isinstance(name, str) and name:
            yield name, "消息"


def conditions(spec: Any, subprocess_specs: dict[str, Any]) -> Iterator[tuple[Any, str, str]]:
    """(gateway, target task name, condition) of every conditioned flow."""
    for task_spec in task_specs(spec, subprocess_specs):
        for condition, target in getattr(task_spec, "cond_task_specs", None) or []:
            expression = getattr(condition, "args", (None,))[0]  # SpiffWorkflow's _BpmnCondition(expression)
            if isinstance(expression, str) and expression.strip():
                yield task_spec, target, expression


def service_reads(spec: Any, subprocess_specs: dict[str, Any]) -> dict[str, list[Any]]:
    """Each variable a service task's parameter expressions read → those service tasks."""
    found: dict[str, list[Any]] = {}
    for task_spec in task_specs(spec, subprocess_specs):
        if isinstance(task_spec, ServiceTask):
            for parameter in (task_spec.operation_params or {}).values():
                for name in names_read(str(parameter.get("value", ""))):
                    found.setdefault(name, []).append(task_spec)
    return found
