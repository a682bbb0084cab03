"""在办业务清理 (F-34): put a student back as it was before a cancelled case started."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select

from handlers.registry import HandlerContext
from models import audit
from models.audit import AuditEvent
from models.student import Student, StudentStatus

# The record fields a case may have changed, and how to read them back from an audit event.
RESTORABLE: dict[str, Callable[[Any], Any]] = {
    "status": StudentStatus,
    "class_id": lambda v: v,
    "suspected_dropout_since": lambda v: date.fromisoformat(v) if v else None,
}


def restore_student(ctx: HandlerContext) -> dict[str, Any]:
    """Undo, newest first, every change the case made to its student (R12: the process is cancelled, not approved).
    Called by ``engine.cancel`` in its transaction; writes one audit event when something was restored."""
    if ctx.case.student_id is None:
        return {}
    student = ctx.session.get_one(Student, ctx.case.student_id)
    changes = ctx.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.instance_id == ctx.case.id, AuditEvent.entity == "student")
        .order_by(AuditEvent.id.desc())
    ).all()
    restored: dict[str, Any] = {}
    for change in changes:
        restored.update({key: value for key, value in change.before.items() if key in RESTORABLE})
    if not restored:
        return {}
    before = {key: _plain(getattr(student, key)) for key in restored}
    for key, value in restored.items():
        setattr(student, key, RESTORABLE[key](value))
    audit.record(
        ctx.session,
        actor=ctx.actor,
        action="在办业务清理",
        entity="student",
        entity_id=student.id,
        before=before,
        after=restored,
        instance_id=ctx.case.id,
    )
    return restored


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
