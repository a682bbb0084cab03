"""学籍异动 (F-21…F-27): the checks at application and the change on approval, for every configured type."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.registry import HandlerContext, handler
from models import audit, transitions
from models.attachment import link_to_case, parse_ids
from models.business_calendar import check_window, death_deadline_warning, local_date
from models.errors import DomainError
from models.holidays import working_calendar
from models.lifecycle import ChangeCode, StatusChangeType, WindowKind
from models.org import Cohort, SchoolClass
from models.student import Student, StudentStatus
from models.system_settings import setting
from models.user import User
from models.workflow import add_event

# 跳级 goes to the next cohort up (entered a year earlier), 留级 to the one below (F-27).
COHORT_STEP = {ChangeCode.GRADE_SKIP: -1, ChangeCode.GRADE_REPEAT: +1}


def configured_type(session: Session, code: str) -> StatusChangeType:
    """The configured type; refuses unknown and disabled types (F-54: a disabled type is not offered)."""
    try:
        row = session.get(StatusChangeType, ChangeCode(code))
    except ValueError:
        row = None
    if row is None:
        raise DomainError(f"未知的异动类型「{code}」")
    if not row.enabled:
        raise DomainError(f"异动类型「{row.label}」未启用")
    return row


def enabled_types(session: Session) -> list[StatusChangeType]:
    """The types offered to registrars (F-54: a disabled type is hidden)."""
    rows = session.scalars(select(StatusChangeType).where(StatusChangeType.enabled)).all()
    order = list(ChangeCode)
    return sorted(rows, key=lambda row: order.index(ChangeCode(row.code)))


def configure(
    session: Session,
    actor: User,
    code: str,
    *,
    enabled: bool,
    school_review: bool,
    window: str,
    reasons: list[str],
    attachments: list[str] | None = None,
) -> StatusChangeType:
    """异动类型配置 (F-54). Running cases keep the configuration they started with."""
    row = session.get(StatusChangeType, ChangeCode(code))
    if row is None:
        raise DomainError(f"未知的异动类型「{code}」")
    try:
        kind = WindowKind(window)
    except ValueError as exc:
        raise DomainError("请选择办理时间") from exc
    before = {
        "enabled": row.enabled,
        "school_review": row.school_review,
        "window": row.window.value,
        "reasons": row.reasons,
        "required_attachments": row.required_attachments,
    }
    attachments = row.required_attachments if attachments is None else attachments  # None: left as configured
    row.enabled, row.school_review, row.window, row.reasons = enabled, school_review, kind, reasons
    row.required_attachments = attachments
    after = {
        "enabled": enabled,
        "school_review": school_review,
        "window": kind.value,
        "reasons": reasons,
        "required_attachments": attachments,
    }
    audit.record(
        session,
        actor=actor,
        action="异动类型配置",
        entity="status_change_type",
        entity_id=list(ChangeCode).index(row.code) + 1,  # the table's key is the code; its position stands in
        before={"code": row.code.value, **before},
        after={"code": row.code.value, **after},
    )
    return row


@handler(
    "status_change.check_request",
    repeatable=True,
    results={"school_review": "bool", "target_status": "str", "label": "str", "warning": "str"},
)
def check_request(
    ctx: HandlerContext,
    *,
    student_id: int,
    change_type: str,
    reason: str,
    death_date: str | None,
    target_class_id: int | None,
    attachment_ids: str | None,
) -> dict[str, Any]:
    """Refuse a request outside its window, against §4.3, or without what the type requires; return the type's
    configuration as it is now (the case keeps it: later edits apply to new requests only)."""
    kind = configured_type(ctx.session, change_type)
    student = ctx.session.get_one(Student, student_id)
    today = local_date(ctx.now)
    warning = ""
    if kind.window is WindowKind.DEATH_DEADLINE:
        if not death_date:
            raise DomainError("死亡异动必须填写死亡日期")
        died = date.fromisoformat(death_date)
        if died > today:
            raise DomainError("死亡日期不能晚于今天")
        days = setting(ctx.session, student.school_id, "death_deadline_days")
        warning = death_deadline_warning(died, today, working_calendar(ctx.session), days)
        if warning:
            _warn(ctx, warning)
    else:
        check_window(kind.window, kind.label, today)
    if kind.reasons and reason not in kind.reasons:
        raise DomainError(f"「{kind.label}」的异动原因须为：{'、'.join(kind.reasons)}")
    attached = link_to_case(ctx.session, parse_ids(attachment_ids), student_id=student.id, instance_id=ctx.case.id)
    if kind.required_attachments and not attached:
        raise DomainError(f"「{kind.label}」须上传佐证材料：{'、'.join(kind.required_attachments)}")
    code = ChangeCode(change_type)
    if code in COHORT_STEP:
        _target_cohort_class(ctx.session, student, kind, code, target_class_id)
    else:
        transitions.check(student, StudentStatus(kind.target_status))
        if code is ChangeCode.RESUMPTION:
            _own_school_class(ctx.session, student, target_class_id)
    return {
        "school_review": kind.school_review,
        "target_status": StudentStatus(kind.target_status).value,
        "label": kind.label,
        "warning": warning,
    }


def _warn(ctx: HandlerContext, warning: str) -> None:
    """A warning every party of the case reads: on the case (for lists and the start page) and in its history."""
    ctx.case.summary = {**ctx.case.summary, "warning": warning}
    add_event(ctx.session, ctx.case.id, "state", title="逾期提示", fields=[("提示", warning)])


def _own_school_class(session: Session, student: Student, class_id: int | None) -> SchoolClass:
    school_class = session.get(SchoolClass, class_id) if class_id else None
    if school_class is None or session.get_one(Cohort, school_class.cohort_id).school_id != student.school_id:
        raise DomainError("转入班级必须是本校的班级")
    return school_class


def _target_cohort_class(
    session: Session, student: Student, kind: StatusChangeType, code: ChangeCode, class_id: int | None
) -> SchoolClass:
    """跳级 / 留级 only within the school and stage, into the adjacent cohort (F-27, R23)."""
    transitions.check_move(student)
    target = _own_school_class(session, student, class_id)
    current = student.school_class.cohort if student.school_class else None
    if current is None:
        raise DomainError(f"学生{student.name}没有班级，不能办理{kind.label}")
    if current.stage.value in kind.refused_stages:
        raise DomainError(f"{current.stage.label}阶段不允许{kind.label}")
    wanted = current.cohort_year + COHORT_STEP[code]
    if target.cohort.stage != current.stage or target.cohort.cohort_year != wanted:
        raise DomainError(f"{kind.label}的转入班级必须属于本校{current.stage.label}{wanted}级")
    return target


@handler("status_change.apply", results={"status": "str", "class_id": "int"})
def apply(
    ctx: HandlerContext,
    *,
    student_id: int,
    change_type: str,
    target_status: str,
    reason: str,
    target_class_id: int | None,
) -> dict[str, Any]:
    """Approved: move the record (checked again against §4.3: the record may have changed meanwhile)."""
    student = ctx.session.get_one(Student, student_id)
    code = ChangeCode(change_type)
    action = f"学籍异动：{code.label}"
    if code in COHORT_STEP:
        kind = ctx.session.get_one(StatusChangeType, code)  # checked again: the class may have changed meanwhile
        _target_cohort_class(ctx.session, student, kind, code, target_class_id)
        before = {"class_id": student.class_id}
        student.class_id = target_class_id
        audit.record(
            ctx.session,
            actor=ctx.actor,
            action=action,
            entity="student",
            entity_id=student.id,
            before=before,
            after={"class_id": target_class_id, "reason": reason},
            instance_id=ctx.case.id,
        )
    else:
        if code is ChangeCode.RESUMPTION:
            _own_school_class(ctx.session, student, target_class_id)
        transitions.change_status(
            ctx.session,
            student,
            StudentStatus(target_status),
            actor=ctx.actor,
            action=action,
            instance_id=ctx.case.id,
            extra={"reason": reason},
            class_id=target_class_id if code is ChangeCode.RESUMPTION else None,
        )
    if student.status == StudentStatus.IN_SCHOOL:
        student.suspected_dropout_since = None
    return {"status": StudentStatus(student.status).value, "class_id": student.class_id}
