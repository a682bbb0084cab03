"""疑似辍学 / 辍学 (F-28): every path of processes/dropout.bpmn, the 7th-school-day timer, counts, cleanup."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest

import engine as wf
from handlers.dropout import escalation_moment
from models import queries
from models.business_calendar import WorkingCalendar, local_date
from models.errors import DomainError
from models.holidays import working_calendar
from models.student import Student, StudentStatus
from models.workflow import CaseStatus

SCHOOL = "meitan-xx-registrar"
COUNTY = "meitan-county"


def absent_since(calendar: WorkingCalendar, school_days: int) -> str:
    """The first day of an absence that has lasted ``school_days`` school days up to today."""
    today = local_date(datetime.now(UTC))
    first = today
    while calendar.school_days_between(first, today) < school_days:
        first -= timedelta(days=1)
    return first.isoformat()


@pytest.fixture
def report(flows, user, session):
    """Report an absence of ``days`` school days up to today (counted on the demo's holiday calendar), or one
    that began on ``first_absent_on``."""

    def file(student, days, first_absent_on: str = ""):
        return flows(
            "dropout",
            student=student,
            by=user(SCHOOL),
            first_absent_on=first_absent_on or absent_since(working_calendar(session), days),
            contact_attempts="电话三次未接通，家访无人",
            unreachable="y",
        )

    return file


def record(session, student_id):
    session.expire_all()
    return session.get(Student, student_id)


def test_fewer_than_three_school_days_is_refused(report, user, student_of):
    with pytest.raises(DomainError, match="无故缺课未满3个上学日（目前2天）"):
        report(student_of(SCHOOL), 2)


def test_three_days_mark_suspected_and_a_return_clears_the_flag(report, user, student_of, session):
    student = student_of(SCHOOL)
    case = report(student, 3)
    assert case.state == "疑似辍学"
    assert case.seats() == [("follow_up", "湄潭第一小学", "school_registrar")]
    assert record(session, student.id).suspected_dropout_since == local_date(datetime.now(UTC))
    assert wf.tick(session) == 0  # the 7th school day has not come
    assert queries.dropout_counts(session, user(COUNTY)) == [("湄潭第一小学", 1, 0)]
    case.submit("follow_up", by=user(SCHOOL), outcome="已返校")
    assert (case.state, case.case.status) == ("已返校", CaseStatus.COMPLETED)
    assert (record(session, student.id).suspected_dropout_since, record(session, student.id).status) == (
        None,
        StudentStatus.IN_SCHOOL,
    )


def test_the_seventh_school_day_proposes_dropout_at_the_tick(report, user, student_of, session, monkeypatch):
    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    monkeypatch.setattr("handlers.dropout.escalation_moment", lambda calendar, first, days: soon)
    case = report(student_of(SCHOOL), 6)
    assert case.state == "疑似辍学"
    assert wf.tick(session) == 0
    time.sleep(1.1)
    assert wf.tick(session) == 1
    assert case.state == "待确认辍学"
    assert case.seats() == [("confirm_dropout", "湄潭第一小学", "school_registrar")]


def test_a_late_report_proposes_dropout_at_once_and_the_registrar_confirms(report, user, student_of, session):
    student = student_of(SCHOOL)
    case = report(student, 8)
    assert case.state == "待确认辍学"
    assert case.seats() == [("confirm_dropout", "湄潭第一小学", "school_registrar")]
    case.submit("confirm_dropout", by=user(SCHOOL), outcome="确认辍学")
    assert case.state == "已辍学"
    pupil = record(session, student.id)
    assert (pupil.status, pupil.suspected_dropout_since, pupil.open_case_id) == (StudentStatus.DROPOUT, None, None)
    assert queries.dropout_counts(session, user(COUNTY)) == [("湄潭第一小学", 0, 1)]
    assert queries.dropout_counts(session, user("nanming-county")) == []


def test_a_student_back_before_confirmation_stays_in_school(report, user, student_of, session):
    student = student_of(SCHOOL)
    case = report(student, 9)
    case.submit("confirm_dropout", by=user(SCHOOL), outcome="已返校")
    assert case.state == "已返校"
    pupil = record(session, student.id)
    assert (pupil.status, pupil.suspected_dropout_since) == (StudentStatus.IN_SCHOOL, None)


def test_cleanup_of_a_dropout_case_restores_the_student(report, user, student_of, session):
    student = student_of(SCHOOL)
    case = report(student, 4)
    wf.cancel(session, case.case.id, actor=user(COUNTY), reason="误报")
    pupil = record(session, student.id)
    assert (pupil.suspected_dropout_since, pupil.open_case_id, case.state) == (None, None, "已撤销")
    assert case.case.next_timer_at is None and case.seats() == []


def test_the_report_needs_the_unreachable_confirmation(flows, user, student_of):
    from werkzeug.datastructures import MultiDict

    from forms.dropout import ReportForm

    form = ReportForm(formdata=MultiDict({"first_absent_on": "2026-09-01", "contact_attempts": "电话"}))
    assert not form.validate()
    assert form.errors["unreachable"] == ["只有无法联系的学生才能标记疑似辍学"]


def test_national_holidays_are_no_school_days(report, student_of, session, clock):
    """国庆 2026: 1–7 October off, Saturday 10 October 调休上班 (the demo loads the State Council's calendar)."""
    clock.set(2026, 10, 9)
    student = student_of(SCHOOL)
    with pytest.raises(DomainError, match="无故缺课未满3个上学日（目前2天）"):
        report(student, 0, first_absent_on="2026-10-01")  # school days: 8 and 9 October
    case = report(student, 0, first_absent_on="2026-09-30")
    assert record(session, student.id).suspected_dropout_since == date(2026, 10, 9)
    assert case.state == "待确认辍学"  # the 7th school day is past by the real clock the engine's timers use
    # school days 30 Sep, 8, 9, 10 (Saturday worked), 12, 13, 14 Oct: the 7th begins on 14 October
    assert escalation_moment(working_calendar(session), date(2026, 9, 30), 7) == "2026-10-14T00:00:00+08:00"
