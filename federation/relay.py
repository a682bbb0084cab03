"""The outbox relay: publish the province's waiting messages to the broker, then mark them sent.

Marked after the broker confirms; a crash in between publishes them again, which the receiving inbox ignores
(it knows the message id). So a message is sent at least once and applied exactly once."""

from __future__ import annotations

from kombu import Connection
from sqlalchemy import select
from sqlalchemy.orm import Session

from federation import broker, envelope
from federation.settings import Settings
from models.base import utcnow
from models.exchange import ExchangeMessage, MessageStatus


def publish_outbox(session: Session, settings: Settings, connection: Connection, limit: int = 500) -> int:
    """Publish up to ``limit`` waiting messages, oldest first; returns how many."""
    waiting = session.scalars(
        select(ExchangeMessage)
        .where(ExchangeMessage.status == MessageStatus.OUTBOX)
        .order_by(ExchangeMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for message in waiting:
        body = envelope.seal(
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
        broker.publish(connection, settings, body, message.destination)
        message.status = MessageStatus.SENT
        message.sent_at = utcnow()
    session.commit()
    return len(waiting)
