"""Diagram versions for policy staff: validate a draft, compare two versions, move running cases to a new one.

Running cases stay on the version they started with until an officer migrates them; a case moves only where
SpiffWorkflow's diff says no step it has already done (or is doing) was changed or removed (spiffworkflow.md §11).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.util.diff import SpecDiff, diff_workflow, filter_tasks, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from engine import store
from engine.api import PublishRefused, compile_diagram, lock_case, record_event, run_engine
from models.errors import DomainError
from models.user import User
from models.workflow import CaseStatus, ProcessInstance, ProcessVersion

FIELD_LABELS = {
    "bpmn_name": "名称",
    "lane": "泳道",
    "extensions": "属性（表单、状态、服务参数等）",
    "outputs": "后续连线",
    "inputs": "前置连线",
    "script": "脚本",
    "cond_task_specs": "分支条件",
    "default_task_spec": "默认分支",
    "operation_name": "服务操作",
    "operation_params": "服务参数",
    "event_definition": "事件定义",
    "typename": "元素类型",
    "prescript": "前置脚本",
    "postscript": "后置脚本",
}


@dataclass(frozen=True)
class ElementChange:
    bpmn_id: str
    name: str
    kind: str  # added / removed / changed
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class MigrationResult:
    case_id: int
    title: str
    migrated: bool
    message: str


def validate(xml: bytes, filename: str) -> list[str]:
    """Every problem that would stop publication, in Chinese; an empty list means the draft may be published."""
    try:
        compile_diagram(xml, filename)
    except PublishRefused as refused:
        return refused.problems
    return []


def diff(old: ProcessVersion, new: ProcessVersion) -> list[ElementChange]:
    old_spec, _ = store.spec_for(old)
    new_spec, _ = store.spec_for(new)
    result = SpecDiff(store.SPEC_SERIALIZER.registry, old_spec, new_spec)
    changes = [_change(ts, "added") for ts in result.added]
    changes += [_change(ts, "removed") for ts in result.removed]
    changes += [
        _change(ts, "changed", tuple(FIELD_LABELS.get(f, f) for f in fields if f != "name"))
        for ts, fields in result.changed.items()
    ]
    changes = [c for c in changes if c.bpmn_id and (c.kind != "changed" or c.fields)]
    return changes + _form_changes(store.designed_forms(old), store.designed_forms(new))


def _form_changes(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> list[ElementChange]:
    """Designed forms added, removed or changed (the fields that differ, by label)."""
    changes = [ElementChange(k, f"表单「{d['title']}」", "added") for k, d in after.items() if k not in before]
    changes += [ElementChange(k, f"表单「{d['title']}」", "removed") for k, d in before.items() if k not in after]
    for key, new in after.items():
        old = before.get(key)
        if old is None or old == new:
            continue
        old_fields = {f["name"]: f for f in old["fields"]}
        new_fields = {f["name"]: f for f in new["fields"]}
        fields = ["表单标题"] if old["title"] != new["title"] else []
        fields += [
            f"字段「{(new_fields.get(n) or old_fields[n])['label']}」"
            for n in dict.fromkeys([*old_fields, *new_fields])
            if old_fields.get(n) != new_fields.get(n)
        ]
        if [f["name"] for f in old["fields"]] != [f["name"] for f in new["fields"]] and not fields:
            fields.append("字段顺序")
        changes.append(ElementChange(key, f"表单「{new['title']}」", "changed", tuple(fields)))
    return changes


def _change(task_spec: Any, kind: str, fields: tuple[str, ...] = ()) -> ElementChange:
    bpmn_id = getattr(task_spec, "bpmn_id", None) or ""
    return ElementChange(bpmn_id, getattr(task_spec, "bpmn_name", None) or bpmn_id, kind, fields)


def migrate(session: Session, case_ids: list[int], target: ProcessVersion, *, by: User) -> list[MigrationResult]:
    """Move each open case to ``target``, one transaction per case: a refused case stays where it was."""
    results = []
    for case_id in case_ids:
        try:
            results.append(_migrate_one(session, case_id, target, by))
            session.commit()
        except DomainError as refused:
            session.rollback()
            case = session.get(ProcessInstance, case_id)
            title = case.title if case else ""
            results.append(MigrationResult(case_id, title, False, refused.message))
    return results


def _migrate_one(session: Session, case_id: int, target: ProcessVersion, by: User) -> MigrationResult:
    instance = lock_case(session, case_id)
    if instance.process_key != target.process_key or instance.status != CaseStatus.OPEN:
        raise DomainError("只能迁移本流程在办的业务")
    if instance.version_id == target.id:
        return MigrationResult(case_id, instance.title, False, f"已在第{target.version_no}版")
    workflow = store.load(instance)
    new_spec, new_deps = store.spec_for(target)
    top, subprocess_diffs = diff_workflow(store.SPEC_SERIALIZER.registry, workflow, new_spec, new_deps)
    unsafe = filter_tasks(top.changed + top.removed, state=TaskState.COMPLETED | TaskState.STARTED)
    if unsafe or any(d is None for d in subprocess_diffs.values()):
        names = "、".join(sorted({t.task_spec.bpmn_name or t.task_spec.bpmn_id or "?" for t in unsafe})) or "子流程"
        raise DomainError(f"不能迁移：已办理的步骤在新版本中被修改或删除（{names}）")
    # migrate_workflow restarts running timers (pitfall 14): keep each deadline as it was.
    deadlines = {t.id: t.internal_data.get("event_value") for t in workflow.get_tasks(state=TaskState.WAITING)}
    migrate_workflow(top, workflow, new_spec)
    for sub_id, sub in workflow.subprocesses.items():
        migrate_workflow(subprocess_diffs[sub_id], sub, new_deps.get(sub.spec.name))
    workflow.subprocess_specs = new_deps
    for task in workflow.get_tasks(state=TaskState.WAITING):
        if deadlines.get(task.id):
            task.internal_data["event_value"] = deadlines[task.id]
    old_no = instance.version.version_no
    instance.version_id, instance.version = target.id, target
    record_event(
        session, instance, "migrated", bpmn_id=None, title=f"流程由第{old_no}版迁移到第{target.version_no}版", actor=by
    )
    run_engine(session, instance, workflow, by, lambda: None)
    return MigrationResult(case_id, instance.title, True, f"已迁移到第{target.version_no}版")
