"""Messages between cases (spiffworkflow.md §8): routing, message start events, delivery and the relay.

The outbox is written in the sender's transaction (``store.save``); ``deliver`` loads the correlated receiver,
or creates the case whose start event catches the message, in a transaction of its own.

A province deployed on its own (its session carries ``info["province_code"]``, see federation/) delivers nothing
of its cases' messages locally: ``deliver`` addresses each to the other province of its case and leaves it in the
outbox for the broker relay; ``apply_incoming`` is the receiving half, called by the federation inbox inside the
transaction that records the message id.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from engine import store
from engine.runner import record_event, run_engine
from models.base import utcnow
from models.errors import DomainError
from models.exchange import ExchangeMessage, MessageStatus
from models.federation import CasePeer
from models.org import OrgLevel, OrgUnit
from models.workflow import CaseParty, CaseStatus, ProcessInstance, ProcessVersion

log = logging.getLogger(__name__)


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
        .execution_options(populate_existing=True)
    ).all()
    return next((case for case in candidates if message.name in case.waiting_for.split()), None)


# spec_hash → the message names the spec's start events catch (a published spec never changes): every message
# that starts a case, or reaches none, asks; the current specs need not be read again for it.
_START_MESSAGES: dict[str, frozenset[str]] = {}


def message_start_version(session: Session, name: str) -> ProcessVersion | None:
    """The current version of the process whose start event catches ``name``."""
    current = session.execute(
        select(ProcessVersion.id, ProcessVersion.spec_hash).where(ProcessVersion.is_current).order_by(ProcessVersion.id)
    ).all()
    for version_id, spec_hash in current:
        names = _START_MESSAGES.get(spec_hash)
        if names is None:
            names = _START_MESSAGES[spec_hash] = _start_messages(session.get_one(ProcessVersion, version_id))
        if name in names:
            return session.get_one(ProcessVersion, version_id)
    return None


def _start_messages(version: ProcessVersion) -> frozenset[str]:
    spec, _ = store.spec_for(version)
    return frozenset(
        task_spec.event_definition.name
        for task_spec in spec.task_specs.values()
        if isinstance(task_spec, StartEvent)
        and isinstance(getattr(task_spec, "event_definition", None), MessageEventDefinition)
    )


def event_for(message: ExchangeMessage) -> BpmnEvent:
    # Event definitions match on exact class and name: build the spiff one (spiffworkflow.md §8).
    return BpmnEvent(MessageEventDefinition(message.name), payload=dict(message.payload))


def summary_of(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if isinstance(v, str)}


def relay(session: Session, instance_id: int, name: str, payload: dict[str, Any]) -> ExchangeMessage:
    """A message from the relay itself (e.g. a national 异常结束 or 打回) to one case, delivered at once."""
    instance = session.get_one(ProcessInstance, instance_id)
    message = ExchangeMessage(name=name, correlation=instance.correlation_key or "", payload=payload)
    session.add(message)
    session.commit()
    deliver(session)
    session.refresh(message)
    return message


def deliver(session: Session, limit: int = 1000) -> int:
    """Deliver pending messages, each in its own transaction; a refused one is kept as failed with the
    reason (the sender's case waits on: a stuck request, F-31 1-7). Returns how many were handled."""
    handled = 0
    while handled < limit:
        # Two workers never take the same message: the row stays locked until its delivery commits.
        message = session.scalars(
            select(ExchangeMessage)
            .where(ExchangeMessage.status == MessageStatus.PENDING)
            .order_by(ExchangeMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        ).first()
        if message is None:
            break
        message_id = message.id
        try:
            if own_province(session) and message.sender_instance_id is not None:
                _address(session, message)
            else:
                _deliver_one(session, message)
            session.commit()
        except (DomainError, SQLAlchemyError, LookupError) as exc:
            session.rollback()
            log.warning("message %s not delivered: %s", message_id, exc)
            failed = session.get_one(ExchangeMessage, message_id)
            failed.status = MessageStatus.FAILED
            failed.error = (getattr(exc, "message", None) or str(exc))[:500]
            session.commit()
        handled += 1
    return handled


def _deliver_one(session: Session, message: ExchangeMessage) -> None:
    incoming = event_for(message)
    receiver = receiver_of(session, message)
    if receiver is not None:
        workflow = store.load(receiver)
        _record_arrival(session, receiver, message)
        run_engine(session, receiver, workflow, None, lambda: workflow.send_event(incoming))
    else:
        version = message_start_version(session, message.name)
        if version is None:
            message.status = MessageStatus.UNDELIVERABLE
            return
        receiver = _message_started_case(session, version, message)
        _record_arrival(session, receiver, message)
        workflow = store.new_workflow(version)

        def catch_start() -> None:
            workflow.do_engine_steps()  # the message start event is now waiting
            workflow.send_event(incoming)

        run_engine(session, receiver, workflow, None, catch_start)
    message.status = MessageStatus.DELIVERED
    message.receiver_instance_id = receiver.id
    message.delivered_at = utcnow()


# What of a payload the case history shows (short texts only; a record handed over by 调档 is not repeated).
SHOWN_IN_HISTORY = {"state": "反馈", "reason": "原因", "student_name": "学生姓名", "national_student_id": "全国学籍号"}


def _record_arrival(session: Session, receiver: ProcessInstance, message: ExchangeMessage) -> None:
    sender = session.get(ProcessInstance, message.sender_instance_id) if message.sender_instance_id else None
    fields = [
        (label, message.payload[key])
        for key, label in SHOWN_IN_HISTORY.items()
        if isinstance(message.payload.get(key), str)
    ]
    title = f"收到消息：{sender.version.name if sender else '全国中转'}"
    record_event(session, receiver, "message", bpmn_id=None, title=title, actor=None, display=fields)


def _message_started_case(session: Session, version: ProcessVersion, message: ExchangeMessage) -> ProcessInstance:
    """A case started by a message belongs to ``to_org_id`` of the payload until a handler binds its subject."""
    org_id = message.payload.get("to_org_id")
    if not isinstance(org_id, int) or session.get(OrgUnit, org_id) is None:
        raise DomainError("消息中没有有效的接收机构（to_org_id）")
    instance = ProcessInstance(
        process_key=version.process_key,
        version_id=version.id,
        version=version,
        title=f"{version.name}：{message.payload.get('student_name', '')}",
        org_id=org_id,
        correlation_key=message.correlation,
        state_json="{}",
        summary=summary_of(message.payload),
    )
    session.add(instance)
    session.flush()
    session.add(CaseParty(instance_id=instance.id, org_id=org_id))
    record_event(session, instance, "started", bpmn_id=None, title=version.name, actor=None)
    return instance


def own_province(session: Session) -> str:
    """The province code of a deployment of its own; "" in the embedded default (all provinces in one database)."""
    return str(session.info.get("province_code") or "")


def _address(session: Session, message: ExchangeMessage) -> None:
    """Leave a case's message in the outbox for the relay, addressed to the other province of its case: the
    province named by ``to_org_id`` for the message that opens the exchange, then always the same one."""
    peer = session.get(CasePeer, message.correlation, with_for_update=True)
    if peer is None:
        destination = province_code_of(session, message.payload.get("to_org_id"))
        if not destination or destination == own_province(session):
            raise DomainError("消息没有指向其他省份的接收机构（to_org_id），无法发往外省")
        peer = CasePeer(correlation=message.correlation, province=destination, sent_seq=0, applied_seq=0)
        session.add(peer)
    peer.sent_seq += 1
    message.uid = str(uuid.uuid4())
    message.destination = peer.province
    message.seq = peer.sent_seq
    message.status = MessageStatus.OUTBOX


def province_code_of(session: Session, org_id: object) -> str:
    """The division code of the province an organisation belongs to ("" when there is none)."""
    unit = session.get(OrgUnit, org_id) if isinstance(org_id, int) else None
    while unit is not None and unit.level != OrgLevel.PROVINCE:
        unit = unit.parent
    return unit.division_code if unit is not None else ""


def apply_incoming(session: Session, *, name: str, correlation: str, payload: dict[str, Any]) -> ExchangeMessage:
    """The effect of a message from another province, in the caller's transaction (which records its id).

    Organisation ids mean nothing across databases: ``to_org_id`` addressed the receiving province in the
    sender's database, so it becomes this province here. Raises ``DomainError`` when the case refuses it."""
    own = own_province(session)
    payload = dict(payload)
    if "to_org_id" in payload:
        province = session.scalars(
            select(OrgUnit).where(OrgUnit.level == OrgLevel.PROVINCE, OrgUnit.division_code == own)
        ).first()
        payload["to_org_id"] = province.id if province is not None else None
    message = ExchangeMessage(name=name, correlation=correlation, payload=payload)
    session.add(message)
    session.flush()
    _deliver_one(session, message)
    return message
