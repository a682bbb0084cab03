"""退回 and 撤回: rewind a case to an earlier user task, or to its initiator's form, and go on from there.

Built on ``BpmnWorkflow.reset_from_task_id`` as ``shared/docs/sending-back.md`` describes it. Only completed tasks
on the current task's own path are targets (a target off the path leaves two live branches). A dry run on a copy
tells what the reset would remove; a return that would run again a service task whose handler is not
``repeatable``, or throw again a message the other side already has, is refused with the step's name: the
registry must never see one change twice. The earlier entry comes back as the form's prefill, the reason on top.
"""

from __future__ import annotations

import json
from copy import deepcopy
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import IntermediateThrowEvent, SendTask
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.spiff.specs.defaults import ServiceTask
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import store
from engine.registry import given
from engine.runner import record_event, record_waiting_state, run_engine
from engine.scripts import SCRIPT_ENGINE
from engine.verbs import Verb, check_enabled
from models.base import utcnow
from models.errors import DomainError
from models.user import User
from models.workflow import InboxTask, ProcessInstance, ProcessVersion, TaskStatus


@dataclass(frozen=True)
class Target:
    """An earlier step the case may be sent back to; ``blocked`` says why not, when it may not."""

    task_uuid: str
    bpmn_id: str
    name: str
    lane: str
    done_by: str
    blocked: str


def _ancestors(task: Any) -> Any:
    """The task's path back to the root (the path actually taken), crossing from a subprocess into its caller."""
    while task is not None:
        yield task
        if task.parent is not None:
            task = task.parent
        elif task.workflow.parent_task_id is not None:
            task = task.workflow.top_workflow.get_task_from_id(task.workflow.parent_task_id)
        else:
            task = None


def _is_initiator_form(task: Any) -> bool:
    return isinstance(task.task_spec, StartEvent) and bool(store.properties(task.task_spec).get("formKey"))


def _candidates(current: Any) -> list[Any]:
    """Completed user tasks (and the initiator's start form) on the current task's path, latest per step."""
    top = current.workflow.top_workflow
    found = []
    for task in _ancestors(current):
        if task is current or task.state != TaskState.COMPLETED:
            continue
        if task.task_spec.manual or (_is_initiator_form(task) and task.workflow is top):
            found.append(task)
        if task.id in top.subprocesses:  # a finished call activity on the path: its user tasks too
            found.extend(top.subprocesses[task.id].get_tasks(state=TaskState.COMPLETED, manual=True))
    found.sort(key=lambda t: t.last_state_change)
    latest = {t.task_spec.bpmn_id: t for t in found}
    allowed = _allowed_targets(current)
    latest_only = [t for t in found if latest[t.task_spec.bpmn_id] is t]
    return [t for t in latest_only if allowed is None or t.task_spec.bpmn_id in allowed]


def _allowed_targets(current: Any) -> set[str] | None:
    """Policy staff may narrow the targets of a step: property ``returnTargets`` = bpmn ids, comma separated."""
    raw = store.properties(current.task_spec).get("returnTargets", "")
    return {part.strip() for part in raw.replace("，", ",").split(",") if part.strip()} or None


def _name(task: Any) -> str:
    return str(task.task_spec.bpmn_name or task.task_spec.bpmn_id)


def _throws_message(spec: Any) -> bool:
    if not isinstance(spec, IntermediateThrowEvent | EndEvent | SendTask):
        return False
    return isinstance(getattr(spec, "event_definition", None), MessageEventDefinition)


def _side_effects(removed: list[Any]) -> list[str]:
    """Completed steps between the target and now that changed something a second run would change again."""
    found = []
    for task in removed:
        if task.state != TaskState.COMPLETED:
            continue
        spec = task.task_spec
        if store.properties(spec).get("returnBarrier") == "true":
            found.append(_name(task))
        elif isinstance(spec, ServiceTask) and spec.operation_name not in given().repeatable:
            found.append(_name(task))
        elif _throws_message(spec):
            found.append(_name(task))
    return list(dict.fromkeys(found))


def _copy(instance: ProcessInstance, workflow: BpmnWorkflow) -> BpmnWorkflow:
    dct = json.loads(store.STATE_SERIALIZER.serialize_json(workflow))
    dct["spec"], dct["subprocess_specs"] = store.spec_for(instance.version)
    copy: BpmnWorkflow = store.STATE_SERIALIZER.from_dict(dct)
    copy.script_engine = SCRIPT_ENGINE
    return copy


def _dry_run(instance: ProcessInstance, workflow: BpmnWorkflow, target: Any) -> list[Any]:
    """What resetting to ``target`` would remove, found on a throw-away copy of the workflow."""
    copy = _copy(instance, workflow)
    removed: list[Any] = copy.reset_from_task_id(target.id)
    return removed


def barrier_message(target_name: str, effects: list[str]) -> str:
    steps = "、".join(f"「{name}」" for name in effects)
    return f"退回到「{target_name}」会再次执行已完成的{steps}，不能退回；请按流程继续办理"


def _completer(session: Session, instance: ProcessInstance, task: Any) -> User | None:
    if _is_initiator_form(task):
        return instance.initiator
    return session.scalar(
        select(User)
        .join(InboxTask, InboxTask.completed_by_id == User.id)
        .where(InboxTask.task_uuid == str(task.id), InboxTask.status == TaskStatus.DONE)
        .order_by(InboxTask.id.desc())
        .limit(1)
    )


def targets(session: Session, instance: ProcessInstance, row: InboxTask) -> list[Target]:
    """The earlier steps this task may be sent back to, each with the reason it is blocked (if it is)."""
    workflow = store.load(instance)
    current = workflow.get_task_from_id(UUID(row.task_uuid or ""))
    found = []
    for task in _candidates(current):
        effects = _side_effects(_dry_run(instance, workflow, task))
        done_by = _completer(session, instance, task)
        found.append(
            Target(
                task_uuid=str(task.id),
                bpmn_id=task.task_spec.bpmn_id,
                name="发起人（" + _name(task) + "）" if _is_initiator_form(task) else _name(task),
                lane=store.effective_lane(task) or "",
                done_by=done_by.full_name if done_by else "",
                blocked=barrier_message(_name(task), effects) if effects else "",
            )
        )
    return found


def _prefill(version: ProcessVersion, task: Any) -> dict[str, Any]:
    """What the target's form entered, in the form's own terms (sending-back.md §5, §6)."""
    if _is_initiator_form(task):
        fields = [field.name for field in store.form_class(version, store.properties(task.task_spec)["formKey"])()]
        return {name: task.data[name] for name in fields if name in task.data}
    before = task.parent.data if task.parent is not None else {}
    delta = {k: v for k, v in task.data.items() if k not in before or before[k] != v}
    variable = getattr(task.task_spec, "variable", None)
    if variable and isinstance(delta.get(variable), dict):
        return dict(delta[variable])
    return delta


def rewind(
    session: Session,
    instance: ProcessInstance,
    workflow: BpmnWorkflow,
    target: Any,
    *,
    actor: User,
    notice: str,
    holder: User | None,
) -> None:
    """Reset the workflow to ``target`` (refusing side effects), keep the earlier entry and ``notice`` for the
    new inbox row, and save. A start event is saved, never run: it waits for its initiator like a user task."""
    effects = _side_effects(_dry_run(instance, workflow, target))
    if effects:
        raise DomainError(barrier_message(_name(target), effects))
    prefill = deepcopy(_prefill(instance.version, target))
    initiator_form = _is_initiator_form(target)
    # A start event's data is the case's first data: reset with it, or a second return would bring back the
    # values of the very first submission (sending-back.md §6).
    workflow.reset_from_task_id(target.id, data=deepcopy(target.data) if initiator_form else None)
    target.internal_data["returned"] = {
        "notice": notice,
        "prefill": {"data": prefill, "display": []},
        "holder_id": holder.id if holder is not None and holder.active else None,
    }
    if initiator_form:
        store.save(session, instance, workflow)
        record_waiting_state(session, instance)
    else:
        run_engine(session, instance, workflow, actor, lambda: None)


def send_back(
    session: Session, instance: ProcessInstance, row: InboxTask, *, actor: User, target_uuid: str, reason: str
) -> Target:
    """退回: the caller holds the case lock and has checked that ``actor`` may act on ``row``."""
    reason = reason.strip()
    if not reason:
        raise DomainError("请填写退回原因")
    check_enabled(instance, row.bpmn_id, Verb.RETURN)
    workflow = store.load(instance)
    current = workflow.get_task_from_id(UUID(row.task_uuid or ""))
    chosen = next((t for t in _candidates(current) if str(t.id) == target_uuid), None)
    if chosen is None:
        raise DomainError("只能退回到本业务已办理过的步骤")
    holder = _completer(session, instance, chosen)
    name = "发起人" if _is_initiator_form(chosen) else _name(chosen)
    row.status, row.completed_at, row.completed_by_id = TaskStatus.DONE, utcnow(), actor.id
    rewind(
        session,
        instance,
        workflow,
        chosen,
        actor=actor,
        notice=f"{actor.org.name} {actor.full_name} 退回：{reason}",
        holder=holder,
    )
    record_event(
        session,
        instance,
        "returned",
        bpmn_id=row.bpmn_id,
        title=f"{row.title}：退回至「{name}」",
        actor=actor,
        display=[("退回原因", reason)],
    )
    return Target(target_uuid, chosen.task_spec.bpmn_id, name, "", holder.full_name if holder else "", "")


def withdrawable(session: Session, instance: ProcessInstance, actor: User) -> tuple[Any, str]:
    """(the actor's last completed step, "") when 撤回 is possible, else (None, why not)."""
    workflow = store.load(instance)
    mine = session.scalars(
        select(InboxTask)
        .where(
            InboxTask.instance_id == instance.id,
            InboxTask.completed_by_id == actor.id,
            InboxTask.status == TaskStatus.DONE,
            InboxTask.task_uuid.is_not(None),
        )
        .order_by(InboxTask.completed_at.desc(), InboxTask.id.desc())
    ).first()
    task = None
    if mine is not None:
        task = _task_or_none(workflow, mine.task_uuid or "")
    elif instance.initiator_id == actor.id:
        task = next((t for t in workflow.get_tasks(state=TaskState.COMPLETED) if _is_initiator_form(t)), None)
    if task is None or task.state != TaskState.COMPLETED:
        return None, "没有可撤回的办理"
    ready = store.waiting_for_people(workflow)
    if not any(task in list(_ancestors(r))[1:] for r in ready):
        return None, "业务已不在您办理后的下一步，不能撤回"
    removed = _dry_run(instance, workflow, task)
    if any(t.task_spec.manual and t.state == TaskState.COMPLETED for t in removed):
        return None, "下一步已有人办理，不能撤回"
    claimed = session.scalar(
        select(InboxTask.id).where(
            InboxTask.instance_id == instance.id,
            InboxTask.status == TaskStatus.OPEN,
            InboxTask.claimed_by_id.is_not(None),
            InboxTask.claimed_by_id != actor.id,
        )
    )
    if claimed is not None:
        return None, "下一步已被认领办理，不能撤回"
    effects = _side_effects(removed)
    if effects:
        return None, barrier_message(_name(task), effects)
    return task, ""


def _task_or_none(workflow: BpmnWorkflow, task_uuid: str) -> Any:
    try:
        return workflow.get_task_from_id(UUID(task_uuid))
    except Exception:  # a task removed by an earlier return: TaskNotFoundException
        return None


def withdraw(session: Session, instance: ProcessInstance, *, actor: User) -> str:
    """撤回: the caller holds the case lock. Returns the name of the step the actor takes back."""
    task, why_not = withdrawable(session, instance, actor)
    if task is None:
        raise DomainError(why_not)
    check_enabled(instance, task.task_spec.bpmn_id, Verb.WITHDRAW)
    workflow = task.workflow.top_workflow
    name = _name(task)
    rewind(session, instance, workflow, task, actor=actor, notice=f"{actor.full_name} 撤回了「{name}」", holder=actor)
    record_event(session, instance, "withdrawn", bpmn_id=task.task_spec.bpmn_id, title=f"撤回「{name}」", actor=actor)
    return name
