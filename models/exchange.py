"""The exchange standing in for the national relay (F-31, F-32; architecture.md §2.7, §6).

A message is a row written in the sender's transaction; the engine delivers it later, in its own transaction,
to the open case with the same correlation key that waits for it, or starts the process whose start event
catches it. The two provinces of a cross-province transfer talk only through these rows.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, enum_column, utcnow


class CrossProvinceKind(StrEnum):
    """What a cross-province request is: the same diagrams and states serve both (F-43 reuses F-31's states)."""

    TRANSFER = "跨省转学"  # F-31, F-32
    ADMISSION = "毕业后跨省就学"  # F-43 跨省招生: a graduate admitted by a school of another province


class MessageStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    UNDELIVERABLE = "undeliverable"  # nobody waits for it and no process starts with it
    FAILED = "failed"  # the receiver refused it (error kept); a stuck request the relay may return (打回)
    # A province deployed on its own (federation/): the message leaves through the broker.
    OUTBOX = "outbox"  # waiting for the relay to publish it
    SENT = "sent"  # the broker confirmed it (publisher confirm)
    CONFIRMED = "confirmed"  # the receiving province's receipt came back: applied there


class ExchangeMessage(Base):
    __tablename__ = "exchange_message"
    __table_args__ = (Index("ix_exchange_message_status", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    correlation: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sender_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))  # None: the relay
    receiver_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    status: Mapped[MessageStatus] = mapped_column(enum_column(MessageStatus, 15), default=MessageStatus.PENDING)
    error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    # Between provinces deployed apart (federation/): the message's id on the wire, the province code it goes to,
    # its place among the messages of its case to that province (the receiver applies them in this order).
    uid: Mapped[str | None] = mapped_column(String(36), unique=True)
    destination: Mapped[str] = mapped_column(String(6), default="")
    seq: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]


def failures_by_correlation(session: Session, correlations: list[str]) -> dict[str, str]:
    """Why messages of these cases were refused (shown to the relay beside the stuck requests, F-31 1-7)."""
    failed = session.scalars(
        select(ExchangeMessage)
        .where(ExchangeMessage.status == MessageStatus.FAILED, ExchangeMessage.correlation.in_(correlations))
        .order_by(ExchangeMessage.id)
    )
    return {message.correlation: message.error for message in failed}
