"""The approval verbs a task offers, and who may act on a task now.

Every verb is on for every user task unless policy staff switch it off in the diagram: property
``disabledVerbs`` on the user task, Chinese names separated by commas (e.g. ``退回,加签``). The publish check
refuses unknown names (``engine.checks``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import seats, store
from models.errors import DomainError, NotFound
from models.jurisdiction import may_act
from models.user import User
from models.workflow import InboxTask, ProcessInstance, TaskKind, TaskStatus


class TaskAlreadyHandled(DomainError):
    message = "该任务已被处理"


class Verb(StrEnum):
    RETURN = "退回"
    WITHDRAW = "撤回"
    REASSIGN = "转办"
    DELEGATE = "委派"
    SIGN = "加签"
    COPY = "抄送"
    URGE = "催办"
    CLAIM = "认领"
    BULK = "批量办理"


def _split(raw: str) -> set[str]:
    return {part.strip() for part in raw.replace("，", ",").replace("、", ",").split(",") if part.strip()}


def unknown_verbs(raw: str) -> set[str]:
    return _split(raw) - {v.value for v in Verb}


def task_spec_of(instance: ProcessInstance, bpmn_id: str) -> Any:
    spec, subprocess_specs = store.spec_for(instance.version)
    for process_spec in [spec, *subprocess_specs.values()]:
        for task_spec in process_spec.task_specs.values():
            if getattr(task_spec, "bpmn_id", None) == bpmn_id:
                return task_spec
    return None


def disabled(instance: ProcessInstance, bpmn_id: str) -> set[str]:
    """The verbs switched off on this step of the case's diagram version (read from the cached spec)."""
    task_spec = task_spec_of(instance, bpmn_id)
    return _split(store.properties(task_spec).get("disabledVerbs", "")) if task_spec is not None else set()


def check_enabled(instance: ProcessInstance, bpmn_id: str, verb: Verb) -> None:
    if verb.value in disabled(instance, bpmn_id):
        raise DomainError(f"该步骤不允许{verb.value}")


def open_signs(session: Session, row: InboxTask) -> list[InboxTask]:
    return list(
        session.scalars(
            select(InboxTask).where(
                InboxTask.parent_id == row.id, InboxTask.status == TaskStatus.OPEN, InboxTask.kind == TaskKind.SIGN
            )
        )
    )


def acting_on(
    session: Session, instance: ProcessInstance, row: InboxTask, actor: User, *, signs: list[InboxTask] | None = None
) -> None:
    """Raise unless ``actor`` may act on ``row`` now. The caller holds the case lock and has read ``row`` again
    (and ``signs``, its open 加签 rows, when it read them with it)."""
    if row.status != TaskStatus.OPEN:
        raise TaskAlreadyHandled()
    if not may_act(actor, row):
        if row.claimed_by_id is not None and row.org_id == actor.org_id and row.role in actor.roles:
            holder = row.claimed_by.full_name if row.claimed_by else ""
            raise DomainError(f"该任务已由{holder}认领办理")
        raise NotFound()
    signs = open_signs(session, row) if signs is None else signs
    if signs:
        names = "、".join(s.claimed_by.full_name for s in signs if s.claimed_by)
        raise DomainError(f"该任务正在等待加签人{names}审核，审核后才能继续办理")
    if row.kind == TaskKind.TASK:
        seats.check_not_locked(session, instance, row.lane)  # F-47: the graduating school only looks on
