"""The outbox relay: publish the province's waiting messages to the broker, then mark them sent.

Marked after the broker confirms; a crash in between publishes them again, which the receiving inbox ignores
(it knows the message id). So a message is sent at least once and applied exactly once."""

from __future__ import annotations

import uuid

from kombu import Connection
from sqlalchemy import select
from sqlalchemy.orm import Session

from federation import broker, envelope
from federation.settings import Settings
from models.base import utcnow
from models.exchange import ExchangeMessage, MessageStatus


def publish_outbox(
    session: Session,
    settings: Settings,
    connection: Connection,
    limit: int = 500,
    *,
    copies: int = 1,
    newest_first: bool = False,
) -> int:
    """Publish up to ``limit`` waiting messages, oldest first; returns how many. ``copies`` and ``newest_first``
    are the tests' faults (``federation.faults``)."""
    waiting = session.scalars(
        select(ExchangeMessage)
        .where(ExchangeMessage.status == MessageStatus.OUTBOX)
        .order_by(ExchangeMessage.id.desc() if newest_first else ExchangeMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    sent_at = utcnow()
    for message in waiting:
        for _ in range(copies):
            broker.publish(connection, settings, sealed(settings, message), message.destination)
        message.status = MessageStatus.SENT
        message.sent_at = sent_at
    # One commit for the batch: a crash before it publishes the batch again, which the inbox ignores.
    session.commit()
    return len(waiting)


def sealed(settings: Settings, message: ExchangeMessage) -> bytes:
    return envelope.seal(
        {
            "id": message.uid,
            "kind": "message",
            "origin": settings.province,
            "destination": message.destination,
            "name": message.name,
            "correlation": message.correlation,
            "seq": message.seq,
            "payload": message.payload,
            "written_at": message.created_at.isoformat(),
        },
        settings.signing_key,
    )


# What the national centre may say about a province's request (F-31 1-7, 异常结束).
NATIONAL_ACTIONS = ("异常结束", "打回")


def national_action(settings: Settings, province: str, correlation: str, action: str, reason: str) -> bytes:
    """The national centre (``settings.province`` is ``NATIONAL``) ends or returns one request of ``province``:
    a signed ``xp_status`` to that case, as the embedded default's ``engine.exchange.relay`` delivers it locally.
    Published as it is (with ``broker.publish``); published again, it applies once (its id is in the body)."""
    if action not in NATIONAL_ACTIONS:
        raise ValueError(f"全国中转只能{'或'.join(NATIONAL_ACTIONS)}")
    return envelope.seal(
        {
            "id": str(uuid.uuid4()),
            "kind": "message",
            "origin": settings.province,
            "destination": province,
            "name": "xp_status",
            "correlation": correlation,
            "seq": 0,
            "payload": {"state": action, "reason": reason},
            "written_at": utcnow().isoformat(),
        },
        settings.signing_key,
    )
