"""One engine run of one case: the human step (if any), the engine steps, the history and the save.

Shared by ``engine.api`` (start, complete, tick) and ``engine.exchange`` (message delivery).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import IntermediateCatchEvent, IntermediateThrowEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.specs.defaults import ServiceTask
from sqlalchemy import Insert, bindparam, insert, literal, select
from sqlalchemy.orm import Session

from engine import store
from engine.scripts import running
from models.base import utcnow
from models.errors import DomainError
from models.service_tasks import HandlerContext
from models.user import User
from models.workflow import (
    CaseStatus,
    InstanceEvent,
    ProcessInstance,
    add_event,
    flush_pending_events,
    history_batch,
    written_now,
)

log = logging.getLogger(__name__)


class EngineFailure(DomainError):
    message = "流程执行出错，操作未生效，请联系管理员"


def run_engine(
    session: Session, instance: ProcessInstance, workflow: Any, actor: User | None, human_step: Callable[[], None]
) -> None:
    ctx = HandlerContext(session=session, actor=actor, case=instance, now=utcnow())
    with running(ctx):
        try:
            with history_batch(session):  # the step's entries and the engine's, in one statement
                human_step()
                workflow.do_engine_steps(did_complete_task=lambda t: engine_event(session, instance, t))
        except WorkflowTaskException as exc:
            if isinstance(exc.__cause__, DomainError):
                raise exc.__cause__ from None
            log.exception("case %s failed in %s", instance.id, exc.task_spec.bpmn_id if exc.task_spec else "?")
            raise EngineFailure() from exc
        except SpiffWorkflowException as exc:
            log.exception("case %s failed", instance.id)
            raise EngineFailure() from exc
    store.save(session, instance, workflow)
    record_waiting_state(session, instance)


def _state_event_unless_shown() -> Insert:
    """The "state" history entry of ``record_event``, inserted only when the case's last shown state differs: one
    statement instead of a query and an insert (the row is the one ``record_event`` would add)."""
    events = InstanceEvent.__table__
    label = bindparam("state_label", type_=events.c.state_label.type)
    last = (
        select(events.c.state_label)
        .where(events.c.instance_id == bindparam("instance_id"), events.c.state_label != "")
        .order_by(events.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    row = select(
        bindparam("instance_id", type_=events.c.instance_id.type),
        bindparam("at", type_=events.c.at.type),
        literal("state", events.c.kind.type),
        literal(None, events.c.bpmn_id.type),
        literal("状态变更", events.c.title.type),
        literal(None, events.c.user_id.type),
        literal(None, events.c.org_id.type),
        label,
        bindparam("data", type_=events.c.data.type),
    ).where(last.is_distinct_from(label))
    columns = ["instance_id", "at", "kind", "bpmn_id", "title", "user_id", "org_id", "state_label", "data"]
    return insert(events).from_select(columns, row)


STATE_EVENT_UNLESS_SHOWN = _state_event_unless_shown()


def record_waiting_state(session: Session, instance: ProcessInstance) -> None:
    """The history shows every state the case stood in, including the waiting ones (e.g. 待转出学校审核)."""
    if not instance.state_label or instance.status != CaseStatus.OPEN:
        return
    flush_pending_events(session)  # this run's history entries come first and their states count as shown
    written_now(session).execute(
        STATE_EVENT_UNLESS_SHOWN,
        {"instance_id": instance.id, "at": utcnow(), "state_label": instance.state_label, "data": {"fields": []}},
    )


def engine_event(session: Session, instance: ProcessInstance, task: Any) -> None:
    spec = task.task_spec
    if isinstance(spec, ServiceTask):
        record_event(
            session, instance, "service", bpmn_id=spec.bpmn_id, title=spec.bpmn_name or spec.bpmn_id, actor=None
        )
    elif isinstance(spec, IntermediateThrowEvent | IntermediateCatchEvent) and store.properties(spec).get("caseState"):
        # A state the case passes through (e.g. 转入区县审核通过): kept in the history, shown as the state.
        label = store.properties(spec)["caseState"]
        instance.state_label = label
        record_event(
            session,
            instance,
            "state",
            bpmn_id=spec.bpmn_id,
            title=spec.bpmn_name or label,
            actor=None,
            state_label=label,
        )
    elif isinstance(spec, EndEvent) and getattr(spec, "bpmn_id", None):
        label = store.properties(spec).get("caseState", "")
        record_event(
            session,
            instance,
            "ended",
            bpmn_id=spec.bpmn_id,
            title=spec.bpmn_name or label,
            actor=None,
            state_label=label,
        )


def record_event(
    session: Session,
    instance: ProcessInstance,
    kind: str,
    *,
    bpmn_id: str | None,
    title: str,
    actor: User | None,
    display: Iterable[tuple[str, str]] = (),
    state_label: str = "",
) -> None:
    add_event(
        session,
        instance.id,
        kind,
        title=title,
        bpmn_id=bpmn_id,
        user_id=actor.id if actor else None,
        org_id=actor.org_id if actor else None,
        state_label=state_label,
        fields=display,
    )
