"""Messages between cases (spiffworkflow.md §8): the outbox written at save, routing, message start events.

``collect`` runs inside the sender's transaction (store.save); delivery (``engine.api.deliver``) loads the
correlated receiver, or creates the case whose start event catches the message, in a transaction of its own.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store import spec_for
from models.exchange import ExchangeMessage
from models.workflow import CaseStatus, ProcessInstance, ProcessVersion

MESSAGE = "MessageEventDefinition"


def collect(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
    """Queue the messages the workflow threw (``get_events`` empties the queue: pitfall 6) and index what it
    now waits for."""
    for event in workflow.get_events():
        definition = event.event_definition
        if isinstance(definition, MessageEventDefinition):
            session.add(
                ExchangeMessage(
                    name=definition.name,
                    correlation=instance.correlation_key or "",
                    payload=dict(event.payload or {}),
                    sender_instance_id=instance.id,
                )
            )
    instance.waiting_for = " ".join(sorted(_awaited_messages(workflow)))


def _awaited_messages(workflow: BpmnWorkflow) -> set[str]:
    names = {e.name for e in workflow.waiting_events() if e.event_type == MESSAGE and e.name}
    # An event-based gateway waits on several events at once; its pending event has no name of its own.
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        for part in getattr(definition, "event_definitions", None) or [definition]:
            if isinstance(part, MessageEventDefinition):
                names.add(part.name)
    return names


def receiver_of(session: Session, message: ExchangeMessage) -> ProcessInstance | None:
    """The open case with the message's correlation key that waits for it (never the sender itself)."""
    candidates = session.scalars(
        select(ProcessInstance)
        .where(
            ProcessInstance.correlation_key == message.correlation,
            ProcessInstance.status == CaseStatus.OPEN,
            ProcessInstance.id != (message.sender_instance_id or 0),
        )
        .order_by(ProcessInstance.id)
        .with_for_update()
    ).all()
    return next((case for case in candidates if message.name in case.waiting_for.split()), None)


def message_start_version(session: Session, name: str) -> ProcessVersion | None:
    """The current version of the process whose start event catches ``name``."""
    for version in session.scalars(select(ProcessVersion).where(ProcessVersion.is_current)):
        spec, _ = spec_for(version)
        for task_spec in spec.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            if isinstance(task_spec, StartEvent) and isinstance(definition, MessageEventDefinition):
                if definition.name == name:
                    return version
    return None


def event_for(message: ExchangeMessage) -> BpmnEvent:
    # Event definitions match on exact class and name: build the spiff one (spiffworkflow.md §8).
    return BpmnEvent(MessageEventDefinition(message.name), payload=dict(message.payload))


def summary_of(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if isinstance(v, str)}
