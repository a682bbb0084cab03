"""入学注册 / 延期注册 / 未办理注册手续 / 学期注册 (F-15): what a school records each term, with its deadlines in
working days; every entry is audited. The rows and deadlines are models/term_registration.py."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import audit, transitions
from models.calendar import Term
from models.document_flow import DocStatus, DocumentRequest
from models.errors import DomainError
from models.holidays import working_calendar
from models.org import School
from models.student import Student, StudentStatus
from models.term_registration import (
    RegistrationKind,
    RegistrationOutcome,
    TermRegistration,
    deadline,
    kind_of,
)
from models.user import User


def deadline_of(session: Session, term: Term, kind: RegistrationKind) -> date:
    return deadline(working_calendar(session), term.start_date, kind)


def _late_allowed(session: Session, school_id: int, kind: RegistrationKind, term: Term) -> bool:
    """The county's red-header request for late registration came back with its result during this term."""
    county_id = session.get_one(School, school_id).record_authority_id
    found = session.scalars(
        select(DocumentRequest.id).where(
            DocumentRequest.county_id == county_id,
            DocumentRequest.doc_type == kind.late_request,
            DocumentRequest.status == DocStatus.CLOSED,
            DocumentRequest.submitted_at >= term.start_date,
        )
    ).first()
    return found is not None


def _record(
    session: Session,
    actor: User,
    student: Student,
    term: Term,
    outcome: RegistrationOutcome,
    *,
    on: date,
    reason: str = "",
    late: bool = False,
) -> TermRegistration:
    if student.school_id != term.org_id:
        raise DomainError(f"{student.name}不是本校学生")
    existing = session.scalars(
        select(TermRegistration).where(TermRegistration.term_id == term.id, TermRegistration.student_id == student.id)
    ).first()
    if existing is not None and existing.outcome != RegistrationOutcome.DEFERRED:
        raise DomainError(f"{student.name}本学期{existing.outcome.label}，不能重复办理")
    kind = kind_of(student, term)
    row = existing or TermRegistration(term_id=term.id, student_id=student.id, kind=kind, by_id=actor.id)
    before = {"注册": existing.outcome.label} if existing else {}
    row.outcome, row.day, row.reason, row.late, row.by_id = outcome, on, reason, late, actor.id
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=kind.label,
        entity="student",
        entity_id=student.id,
        before=before,
        after={"注册": outcome.label, "学期": term.name, "日期": on.isoformat(), "原因": reason, "补注册": late},
    )
    return row


def register(session: Session, actor: User, student: Student, term: Term, *, on: date) -> TermRegistration:
    """报到/注册 within the deadline; later only once the late-registration request has its result (F-60)."""
    kind = kind_of(student, term)
    if student.status != StudentStatus.IN_SCHOOL:
        raise DomainError(f"{student.name}的学籍状态为「{student.status_label}」，不能{kind.label}")
    last = deadline_of(session, term, kind)
    late = on > last
    if late and not _late_allowed(session, student.school_id, kind, term):
        raise DomainError(
            f"{kind.label}须在开学后{kind.working_days}个工作日内（{last:%Y-%m-%d}前）办理，已超过期限；"
            f"补注册须由区县提交红头文件申请「{kind.late_request}」"
        )
    return _record(session, actor, student, term, RegistrationOutcome.REGISTERED, on=on, late=late)


def defer(session: Session, actor: User, student: Student, term: Term, *, on: date, reason: str) -> TermRegistration:
    """延期注册 (Art. 15): a new student's parents applied for deferral; a reason is required."""
    if kind_of(student, term) != RegistrationKind.ADMISSION:
        raise DomainError("只有新生可以延期注册")
    if not reason.strip():
        raise DomainError("延期注册须填写家长申请的原因")
    return _record(session, actor, student, term, RegistrationOutcome.DEFERRED, on=on, reason=reason.strip())


def mark_not_registered(session: Session, actor: User, student: Student, term: Term, *, on: date) -> TermRegistration:
    """未办理注册手续 (Art. 16): a new student neither registered within 10 working days nor deferred; reported to
    the county, no record is kept for the student."""
    kind = kind_of(student, term)
    if kind != RegistrationKind.ADMISSION:
        raise DomainError("只有新生可以标记为未办理注册手续")
    last = deadline_of(session, term, kind)
    if on <= last:
        raise DomainError(f"入学注册期限（{last:%Y-%m-%d}）未过，不能标记为未办理注册手续")
    row = _record(session, actor, student, term, RegistrationOutcome.NOT_REGISTERED, on=on)
    # Art. 16: no record is kept for the student; removed records stay queryable (§4.2 已删除, T15).
    transitions.change_status(session, student, StudentStatus.DELETED, actor=actor, action="未办理注册手续")
    session.flush()
    return row
