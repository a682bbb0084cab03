"""疑似辍学 / 辍学 (F-28): every path of processes/dropout.bpmn, the 7th-school-day timer, counts, cleanup."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

import engine as wf
from models import queries
from models.business_calendar import local_date, school_days_between
from models.errors import DomainError
from models.student import Student, StudentStatus
from models.workflow import CaseStatus

SCHOOL = "meitan-xx-registrar"
COUNTY = "meitan-county"


def absent_since(school_days: int) -> str:
    """The first day of an absence that has lasted ``school_days`` school days up to today."""
    today = local_date(datetime.now(UTC))
    first = today
    while school_days_between(first, today) < school_days:
        first -= timedelta(days=1)
    return first.isoformat()


def report(flows, user, student, days):
    return flows(
        "dropout",
        student=student,
        by=user(SCHOOL),
        first_absent_on=absent_since(days),
        contact_attempts="电话三次未接通，家访无人",
        unreachable="y",
    )


def record(session, student_id):
    session.expire_all()
    return session.get(Student, student_id)


def test_fewer_than_three_school_days_is_refused(flows, user, student_of):
    with pytest.raises(DomainError, match="无故缺课未满3个上学日（目前2天）"):
        report(flows, user, student_of(SCHOOL), 2)


def test_three_days_mark_suspected_and_a_return_clears_the_flag(flows, user, student_of, session):
    student = student_of(SCHOOL)
    case = report(flows, user, student, 3)
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


def test_the_seventh_school_day_proposes_dropout_at_the_tick(flows, user, student_of, session, monkeypatch):
    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    monkeypatch.setattr("handlers.dropout.escalation_moment", lambda first, days: soon)
    case = report(flows, user, student_of(SCHOOL), 6)
    assert case.state == "疑似辍学"
    assert wf.tick(session) == 0
    time.sleep(1.1)
    assert wf.tick(session) == 1
    assert case.state == "待确认辍学"
    assert case.seats() == [("confirm_dropout", "湄潭第一小学", "school_registrar")]


def test_a_late_report_proposes_dropout_at_once_and_the_registrar_confirms(flows, user, student_of, session):
    student = student_of(SCHOOL)
    case = report(flows, user, student, 8)
    assert case.state == "待确认辍学"
    assert case.seats() == [("confirm_dropout", "湄潭第一小学", "school_registrar")]
    case.submit("confirm_dropout", by=user(SCHOOL), outcome="确认辍学")
    assert case.state == "已辍学"
    pupil = record(session, student.id)
    assert (pupil.status, pupil.suspected_dropout_since, pupil.open_case_id) == (StudentStatus.DROPOUT, None, None)
    assert queries.dropout_counts(session, user(COUNTY)) == [("湄潭第一小学", 0, 1)]
    assert queries.dropout_counts(session, user("nanming-county")) == []


def test_a_student_back_before_confirmation_stays_in_school(flows, user, student_of, session):
    student = student_of(SCHOOL)
    case = report(flows, user, student, 9)
    case.submit("confirm_dropout", by=user(SCHOOL), outcome="已返校")
    assert case.state == "已返校"
    pupil = record(session, student.id)
    assert (pupil.status, pupil.suspected_dropout_since) == (StudentStatus.IN_SCHOOL, None)


def test_cleanup_of_a_dropout_case_restores_the_student(flows, user, student_of, session):
    student = student_of(SCHOOL)
    case = report(flows, user, student, 4)
    wf.cancel(session, case.case.id, actor=user(COUNTY), reason="误报")
    pupil = record(session, student.id)
    assert (pupil.suspected_dropout_since, pupil.open_case_id, case.state) == (None, None, "已撤销")
    assert case.case.next_timer_at is None and case.seats() == []


def test_the_report_needs_the_unreachable_confirmation(flows, user, student_of):
    from werkzeug.datastructures import MultiDict

    from forms.dropout import ReportForm

    form = ReportForm(formdata=MultiDict({"first_absent_on": absent_since(3), "contact_attempts": "电话"}))
    assert not form.validate()
    assert form.errors["unreachable"] == ["只有无法联系的学生才能标记疑似辍学"]
