"""The engine's message exchange: outbox rows in the sender's transaction, routing by correlation key and
awaited message, message start events, undeliverable and refused messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

import engine as wf
from models.exchange import ExchangeMessage, MessageStatus
from models.org import OrgUnit
from models.workflow import CaseStatus, ProcessInstance

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def ping_pong(session):
    """Two tiny diagrams: ``ping`` throws a message and waits for the answer; ``pong`` starts on it."""
    for name in ("exchange_ping.bpmn", "exchange_pong.bpmn"):
        wf.publish(session, (DATA / name).read_bytes(), filename=name)


def messages(session, correlation: str) -> list[ExchangeMessage]:
    return session.scalars(
        select(ExchangeMessage).where(ExchangeMessage.correlation == correlation).order_by(ExchangeMessage.id)
    ).all()


@pytest.fixture
def ping(ping_pong, session, user, student_of) -> ProcessInstance:
    beijing = session.scalars(select(OrgUnit).where(OrgUnit.name == "北京市")).one()
    registrar = user("nanming-xx-registrar")
    case = wf.start(
        session,
        "exchange_ping",
        student_id=student_of("nanming-xx-registrar").id,
        actor=registrar,
        data={"beijing_id": beijing.id},
    )
    session.refresh(case)
    return case


def test_a_message_starts_the_receiving_process_and_the_answer_comes_back(ping, session):
    case = ping
    ping_message, pong_answer = messages(session, case.correlation_key)
    assert (ping_message.name, ping_message.status, pong_answer.name, pong_answer.status) == (
        "ping",
        MessageStatus.DELIVERED,
        "pong",
        MessageStatus.DELIVERED,
    )
    pong = session.get(ProcessInstance, ping_message.receiver_instance_id)
    assert (pong.process_key, pong.correlation_key, pong.status) == (
        "exchange_pong",
        case.correlation_key,
        CaseStatus.COMPLETED,
    )
    assert pong.org.name == "北京市"  # the payload's to_org_id: the case belongs to the other province
    assert pong_answer.receiver_instance_id == case.id
    assert pong_answer.payload == {"echo": case.student.name}
    session.refresh(case)
    assert (case.state_label, case.status, case.waiting_for) == ("已应答", CaseStatus.COMPLETED, "")


def test_a_message_nobody_waits_for_is_kept_as_undeliverable(ping, session):
    message = wf.relay(session, ping.id, "nobody_listens", {"x": 1})
    assert message.status == MessageStatus.UNDELIVERABLE


def test_a_message_start_without_a_receiving_organisation_is_refused(ping_pong, session):
    session.add(ExchangeMessage(name="ping", correlation="c-1", payload={"to_org_id": 999999}))
    session.commit()
    assert wf.deliver(session) == 1
    [message] = messages(session, "c-1")
    assert (message.status, message.error) == (MessageStatus.FAILED, "消息中没有有效的接收机构（to_org_id）")
    assert session.scalars(select(ProcessInstance).where(ProcessInstance.correlation_key == "c-1")).all() == []


def test_delivery_only_reaches_cases_waiting_for_that_message(ping_pong, session):
    beijing = session.scalars(select(OrgUnit).where(OrgUnit.name == "北京市")).one()
    session.add(ExchangeMessage(name="pong", correlation="c-2", payload={"to_org_id": beijing.id}))
    session.commit()
    wf.deliver(session)
    [message] = messages(session, "c-2")
    assert message.status == MessageStatus.UNDELIVERABLE
