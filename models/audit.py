"""Append-only audit trail (F-64): actor, organisation, time, before and after values.

The ORM refuses updates and deletes of these rows; the migration adds database triggers that refuse them too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, event
from sqlalchemy.orm import Mapped, Session, foreign, mapped_column, relationship

from models.base import Base, utcnow
from models.user import User


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity", "entity_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # Evidence outlives what it names (an account retired, a county merged, a case archived) and is written from the
    # signed-in user: no foreign keys, which would only cost a locked look-up per row (migration 0034).
    actor_id: Mapped[int | None]  # None = the system
    actor_org_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int]
    instance_id: Mapped[int | None]
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship(primaryjoin=lambda: foreign(AuditEvent.actor_id) == User.id)


class AuditRowImmutable(Exception):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _ctx: object, _instances: object) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent):
            raise AuditRowImmutable("audit events are append-only")


def record(
    session: Session,
    *,
    actor: User | None,
    action: str,
    entity: str,
    entity_id: int,
    before: dict[str, Any],
    after: dict[str, Any],
    instance_id: int | None = None,
) -> AuditEvent:
    row = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_org_id=actor.org_id if actor else None,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before,
        after=after,
        instance_id=instance_id,
    )
    session.add(row)
    return row
