"""疑似辍学 / 辍学 (F-28): marked after 3 school days of unexplained absence, 辍学 after 7 with the registrar's
confirmation. The thresholds are parameters of processes/dropout.bpmn (configurable by publishing, F-53). School
days are working days on the national holiday calendar (Q-15): 国庆 does not count as absence."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from handlers.registry import HandlerContext, handler
from models import audit, transitions
from models.business_calendar import CHINA, WorkingCalendar, local_date
from models.errors import DomainError
from models.holidays import working_calendar
from models.student import Student, StudentStatus
from models.system_settings import setting


def _flag(ctx: HandlerContext, student: Student, value: date | None, action: str) -> None:
    before = student.suspected_dropout_since
    student.suspected_dropout_since = value
    audit.record(
        ctx.session,
        actor=ctx.actor,
        action=action,
        entity="student",
        entity_id=student.id,
        before={"suspected_dropout_since": before.isoformat() if before else None},
        after={"suspected_dropout_since": value.isoformat() if value else None},
        instance_id=ctx.case.id,
    )


@handler("dropout.mark_suspected", results={"since": "date", "absent_days": "int", "escalate_at": "datetime"})
def mark_suspected(
    ctx: HandlerContext, *, student_id: int, first_absent_on: str, suspect_days: int, dropout_days: int
) -> dict[str, Any]:
    """Set 疑似辍学 when the absence has lasted ``suspect_days`` school days; return when to propose 辍学. The
    diagram's parameters are the seed values; the province's 基本系统设置 (F-53), read now, take their place, so that
    a province changes its thresholds without publishing a diagram."""
    student = ctx.session.get_one(Student, student_id)
    suspect_days = setting(ctx.session, student.school_id, "dropout_suspect_days")
    dropout_days = setting(ctx.session, student.school_id, "dropout_days")
    transitions.check(student, StudentStatus.DROPOUT)
    first, today = date.fromisoformat(first_absent_on), local_date(ctx.now)
    if first > today:
        raise DomainError("缺课开始日期不能晚于今天")
    calendar = working_calendar(ctx.session)
    days = calendar.school_days_between(first, today)
    if days < suspect_days:
        raise DomainError(f"无故缺课未满{suspect_days}个上学日（目前{days}天），不能标记疑似辍学")
    _flag(ctx, student, today, "疑似辍学")
    return {
        "since": today.isoformat(),
        "absent_days": days,
        "escalate_at": escalation_moment(calendar, first, dropout_days),
    }


def escalation_moment(calendar: WorkingCalendar, first_absent_on: date, dropout_days: int) -> str:
    """When the timer proposes 辍学: the start of the ``dropout_days``-th school day of the absence (already past
    when the absence is reported late: the proposal then comes at once)."""
    return datetime.combine(
        calendar.nth_school_day(first_absent_on, dropout_days), time(0, 0), tzinfo=CHINA
    ).isoformat()


@handler("dropout.clear", results={"returned_on": "date"})
def clear(ctx: HandlerContext, *, student_id: int) -> dict[str, Any]:
    """The student is back: the flag goes (F-28 step 4)."""
    student = ctx.session.get_one(Student, student_id)
    if student.suspected_dropout_since is not None:
        _flag(ctx, student, None, "返校，取消疑似辍学")
    return {"returned_on": local_date(ctx.now).isoformat()}


@handler("dropout.mark_dropout", results={"dropout_on": "date"})
def mark_dropout(ctx: HandlerContext, *, student_id: int) -> dict[str, Any]:
    """T8: the registrar confirmed 辍学; the county is informed through its counts (Q-15: no approval)."""
    student = ctx.session.get_one(Student, student_id)
    since = student.suspected_dropout_since
    transitions.change_status(
        ctx.session,
        student,
        StudentStatus.DROPOUT,
        actor=ctx.actor,
        action="辍学",
        instance_id=ctx.case.id,
        extra={"suspected_since": since.isoformat() if since else None},
    )
    student.suspected_dropout_since = None
    return {"dropout_on": local_date(ctx.now).isoformat()}
