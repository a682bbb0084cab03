"""Record-keeping steps of flows that change a student's record status (F-19 误操作删除)."""

from __future__ import annotations

from typing import Any

from handlers.registry import HandlerContext, handler
from models import audit, transitions
from models.errors import DomainError
from models.student import Student, StudentStatus


@handler("records.check_deletion_request", repeatable=True, results={"status": "str"})
def check_deletion_request(ctx: HandlerContext, *, student_id: int) -> dict[str, Any]:
    """Only a record that is still 在校 can be withdrawn as a mistaken registration."""
    student = ctx.session.get_one(Student, student_id)
    if student.status != StudentStatus.IN_SCHOOL:
        raise DomainError(f"学生{student.name}的学籍状态为「{student.status_label}」，不能申请误操作删除")
    return {"status": student.status.value}


@handler("records.mark_deleted", results={"deleted_at": "datetime"})
def mark_deleted(ctx: HandlerContext, *, student_id: int, reason: str) -> dict[str, Any]:
    """Set the record to 已删除; it stays queryable (§4.2). Idempotent: a retried task changes nothing twice."""
    student = ctx.session.get_one(Student, student_id)
    if student.status == StudentStatus.DELETED:
        return {"deleted_at": student.deleted_at.isoformat() if student.deleted_at else None}
    transitions.check(student, StudentStatus.DELETED)  # T15 (§4.3)
    before = {"status": student.status.value}
    student.status = StudentStatus.DELETED
    student.deleted_at = ctx.now
    audit.record(
        ctx.session,
        actor=ctx.actor,
        action="误操作删除",
        entity="student",
        entity_id=student.id,
        before=before,
        after={"status": student.status.value, "reason": reason},
        instance_id=ctx.case.id,
    )
    return {"deleted_at": ctx.now.isoformat()}
