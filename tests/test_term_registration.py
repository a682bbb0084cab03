"""入学注册 / 延期注册 / 未办理注册手续 / 学期注册 (F-15): deadlines of 10 and 5 working days from the term's start on
the national holiday calendar, late registration only through the county's red-header request (F-60)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from handlers import term_registration as reg
from models.business_calendar import WorkingCalendar
from models.calendar import current_term
from models.document_flow import DocCategory, DocStatus, DocumentRequest
from models.errors import DomainError
from models.holidays import working_calendar
from models.org import Cohort, SchoolClass
from models.student import Student, StudentStatus
from models.term_registration import RegistrationKind, RegistrationOutcome, deadline, unconfirmed

SCHOOL = "nanming-xx-registrar"
WEEKDAYS = WorkingCalendar()


@pytest.mark.parametrize(
    ("start", "kind", "last"),
    [
        (date(2026, 9, 1), RegistrationKind.TERM, date(2026, 9, 7)),  # Tue: Tue–Fri, then Monday
        (date(2026, 9, 1), RegistrationKind.ADMISSION, date(2026, 9, 14)),
        (date(2026, 8, 29), RegistrationKind.TERM, date(2026, 9, 4)),  # a Saturday start counts from Monday
    ],
)
def test_deadlines_are_counted_in_working_days(start, kind, last):
    assert deadline(WEEKDAYS, start, kind) == last


def test_deadlines_skip_the_national_holidays(session):
    """2026: 中秋 25–27 Sep, 国庆 1–7 Oct off, Saturday 10 Oct worked (the demo loads the State Council's calendar)."""
    calendar = working_calendar(session)
    assert deadline(calendar, date(2026, 9, 28), RegistrationKind.TERM) == date(2026, 10, 9)
    assert deadline(calendar, date(2026, 9, 28), RegistrationKind.ADMISSION) == date(2026, 10, 15)


@pytest.fixture
def term(session, user):
    term = current_term(session, user(SCHOOL).org_id)
    term.start_date = date(2026, 9, 1)
    session.commit()
    return term


def pupil(session, user, *, newest: bool) -> Student:
    order = Cohort.cohort_year.desc() if newest else Cohort.cohort_year
    return session.scalars(
        select(Student)
        .join(SchoolClass, SchoolClass.id == Student.class_id)
        .join(Cohort, Cohort.id == SchoolClass.cohort_id)
        .where(Student.school_id == user(SCHOOL).org_id, Student.status == StudentStatus.IN_SCHOOL)
        .order_by(order, Student.id)
    ).first()


def test_term_registration_within_five_working_days_then_only_by_request(session, user, term):
    student = pupil(session, user, newest=False)
    assert student in unconfirmed(session, student.school_id, term.id)
    with pytest.raises(DomainError, match=r"学期注册须在开学后5个工作日内（2026-09-07前）办理.*学期注册补注册"):
        reg.register(session, user(SCHOOL), student, term, on=date(2026, 9, 8))
    session.add(
        DocumentRequest(
            county_id=student.school.school.record_authority_id,
            category=DocCategory.RED_HEADER,
            doc_type="学期注册补注册",
            title="补注册",
            status=DocStatus.CLOSED,
            submitted_at=date(2026, 9, 8),
            created_by_id=user("nanming-county").id,
        )
    )
    row = reg.register(session, user(SCHOOL), student, term, on=date(2026, 9, 9))
    assert (row.kind, row.outcome, row.late) == (RegistrationKind.TERM, RegistrationOutcome.REGISTERED, True)
    assert student not in unconfirmed(session, student.school_id, term.id)
    with pytest.raises(DomainError, match="本学期已注册，不能重复办理"):
        reg.register(session, user(SCHOOL), student, term, on=date(2026, 9, 9))


def test_on_time_term_registration(session, user, term):
    student = pupil(session, user, newest=False)
    row = reg.register(session, user(SCHOOL), student, term, on=date(2026, 9, 7))
    assert not row.late


def test_new_students_register_within_ten_working_days_or_defer(session, user, term):
    student = pupil(session, user, newest=True)
    assert reg.deadline_of(session, term, RegistrationKind.ADMISSION) == date(2026, 9, 14)
    with pytest.raises(DomainError, match="延期注册须填写家长申请的原因"):
        reg.defer(session, user(SCHOOL), student, term, on=date(2026, 9, 3), reason=" ")
    deferred = reg.defer(session, user(SCHOOL), student, term, on=date(2026, 9, 3), reason="家长申请：随父母在外地")
    assert deferred.outcome == RegistrationOutcome.DEFERRED
    registered = reg.register(session, user(SCHOOL), student, term, on=date(2026, 9, 14))
    assert (registered.id, registered.outcome) == (deferred.id, RegistrationOutcome.REGISTERED)


def test_a_new_student_neither_registered_nor_deferred_is_marked_after_the_deadline(session, user, term):
    student = pupil(session, user, newest=True)
    with pytest.raises(DomainError, match="入学注册期限（2026-09-14）未过"):
        reg.mark_not_registered(session, user(SCHOOL), student, term, on=date(2026, 9, 14))
    reg.mark_not_registered(session, user(SCHOOL), student, term, on=date(2026, 9, 15))
    session.refresh(student)
    assert student.status == StudentStatus.DELETED
    older = pupil(session, user, newest=False)
    with pytest.raises(DomainError, match="只有新生可以标记为未办理注册手续"):
        reg.mark_not_registered(session, user(SCHOOL), older, term, on=date(2026, 9, 15))


def test_the_school_page_lists_unconfirmed_students_and_registers_them(session, user, login_as, client):
    from models.base import utcnow
    from models.business_calendar import local_date

    term = current_term(session, user(SCHOOL).org_id)
    term.start_date = local_date(utcnow())
    session.commit()
    student = pupil(session, user, newest=False)
    login_as(SCHOOL)
    page = client.get("/term-registration/").get_data(as_text=True)
    assert "学期注册截止" in page and student.name in page
    client.post("/term-registration/", data={"action": "register", "student_id": str(student.id)})
    assert student not in unconfirmed(session, student.school_id, term.id)
    refused = client.post("/term-registration/", data={"action": "defer", "student_id": str(student.id)})
    assert refused.status_code == 302
    assert "只有新生可以延期注册" in client.get("/term-registration/").get_data(as_text=True)
