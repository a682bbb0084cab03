"""One province deployed on its own (issue 15): what it knows of the messages exchanged with other provinces.

The outbox is ``exchange_message`` itself (status ``outbox`` → ``sent`` → ``confirmed``). The inbox keeps the id of
every message received, written in the same transaction as its effect, so a message delivered twice has one
effect; a message that arrives before an earlier one of the same case is kept (``received``) until its turn.
A message refused on arrival (malformed, unknown version, bad signature) is a dead letter, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, enum_column, utcnow
from models.exchange import ExchangeMessage, MessageStatus


class InboxStatus(StrEnum):
    RECEIVED = "received"  # kept until the messages before it (same case) are applied
    APPLIED = "applied"
    REJECTED = "rejected"  # valid, but the case refused it (error kept), as a local delivery would


INBOX_LABELS = {
    InboxStatus.RECEIVED: "已接收（等待前序消息）",
    InboxStatus.APPLIED: "已生效",
    InboxStatus.REJECTED: "被拒绝",
}


class InboxMessage(Base):
    __tablename__ = "federation_inbox"
    __table_args__ = (Index("ix_federation_inbox_case", "origin", "correlation", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    origin: Mapped[str] = mapped_column(String(6))
    name: Mapped[str] = mapped_column(String(100))
    correlation: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sent_at: Mapped[datetime | None]  # the sender's clock: end-to-end latency
    status: Mapped[InboxStatus] = mapped_column(enum_column(InboxStatus, 10), default=InboxStatus.RECEIVED)
    error: Mapped[str] = mapped_column(String(500), default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[datetime | None]


class CasePeer(Base):
    """The other province of a case's messages, and how far each direction has come (the order of messages)."""

    __tablename__ = "federation_peer"

    correlation: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str] = mapped_column(String(6))
    sent_seq: Mapped[int] = mapped_column(default=0)
    applied_seq: Mapped[int] = mapped_column(default=0)


class DeadLetter(Base):
    """A message refused on arrival; the body is kept as received so the operator may retry it."""

    __tablename__ = "federation_dead_letter"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(64), default="")
    origin: Mapped[str] = mapped_column(String(16), default="")
    reason: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retried_at: Mapped[datetime | None]


@dataclass(frozen=True)
class Overview:
    """What the province operator sees of the exchange (issue 15 item 5)."""

    outgoing: dict[str, int]  # outbox / sent / confirmed / failed
    incoming: dict[InboxStatus, int]
    oldest_unsent: datetime | None  # when the oldest message still in the outbox was written
    dead_letters: list[DeadLetter]
    rejected: list[InboxMessage]


def overview(session: Session, dead_shown: int = 100) -> Overview:
    out_states = (MessageStatus.OUTBOX, MessageStatus.SENT, MessageStatus.CONFIRMED, MessageStatus.FAILED)
    counted = dict(
        session.execute(
            select(ExchangeMessage.status, func.count())
            .where(ExchangeMessage.destination != "", ExchangeMessage.status.in_(out_states))
            .group_by(ExchangeMessage.status)
        ).all()
    )
    incoming = dict(session.execute(select(InboxMessage.status, func.count()).group_by(InboxMessage.status)).all())
    return Overview(
        outgoing={state.value: counted.get(state, 0) for state in out_states},
        incoming={state: incoming.get(state, 0) for state in InboxStatus},
        oldest_unsent=session.scalar(
            select(func.min(ExchangeMessage.created_at)).where(ExchangeMessage.status == MessageStatus.OUTBOX)
        ),
        dead_letters=list(session.scalars(select(DeadLetter).order_by(DeadLetter.id.desc()).limit(dead_shown))),
        rejected=list(
            session.scalars(
                select(InboxMessage)
                .where(InboxMessage.status == InboxStatus.REJECTED)
                .order_by(InboxMessage.id.desc())
                .limit(dead_shown)
            )
        ),
    )
