"""Transfers through the web (Flask test client): lookup, request, four reviewers, lists, trail, jurisdiction."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from models.org import SchoolClass
from models.student import Student

RECEIVING = "nanming-xx-registrar"
SENDING = "yunyan-xx-registrar"


def text(response) -> str:
    return response.get_data(as_text=True)


def task_ids(response) -> list[int]:
    return [int(i) for i in re.findall(r'href="/tasks/(\d+)"', text(response))]


@pytest.fixture
def student(student_of) -> Student:
    return student_of(SENDING)


def lookup(client, student: Student, name: str | None = None):
    return client.get(
        "/transfers/new",
        query_string={"national_student_id": student.national_student_id, "student_name": name or student.name},
    )


def request_transfer(client, session, student: Student, user):
    to_class = session.scalars(
        select(SchoolClass).where(SchoolClass.cohort.has(school_id=user(RECEIVING).org_id))
    ).first()
    return client.post(
        "/transfers/new",
        data={
            "national_student_id": student.national_student_id,
            "student_name": student.name,
            "to_class_id": str(to_class.id),
            "cause": "户籍变更",
            "reason": "随父母户籍迁入南明区",
        },
    )


def test_lookup_reveals_only_existence_school_and_status(login_as, student, clock):
    client = login_as(RECEIVING)
    page = text(lookup(client, student))
    assert "云岩第一小学" in page and "在校" in page
    # The national number typed in is G + the ID number; the ID number appears nowhere else.
    assert page.count(student.id_doc_number) == page.count(student.national_student_id)
    assert str(student.birth_date) not in page
    assert student.guardians[0].name not in page
    assert "未找到" in text(lookup(client, student, name="王某某"))


def test_lookup_is_for_school_registrars(login_as, student):
    assert lookup(login_as("nanming-county"), student).status_code == 403


def test_a_refused_precondition_is_shown_and_no_case_starts(login_as, session, student, user, clock):
    student.problem_type = "2"
    session.flush()
    response = request_transfer(login_as(RECEIVING), session, student, user)
    assert response.status_code == 422
    assert "问题学籍不允许转学" in text(response)


def test_cross_county_transfer_through_four_seats(login_as, session, student, user, clock):
    client = login_as(RECEIVING)
    response = request_transfer(client, session, student, user)
    assert response.status_code == 302
    case_path = response.location
    page = text(client.get(case_path))
    assert "待转入区县审核" in page and "云岩第一小学" in page and "南明第一小学" in page
    assert "随父母户籍迁入南明区" in page

    for reviewer, title in [
        ("nanming-county", "转入区县审核"),
        (SENDING, "转出学校审核"),
        ("yunyan-county", "转出区县审核"),
    ]:
        client = login_as(reviewer)
        inbox = client.get("/")
        assert title in text(inbox), reviewer
        [task_id] = task_ids(inbox)
        assert client.post(f"/tasks/{task_id}", data={"decision": "通过"}).status_code == 302

    session.expire_all()
    assert session.get(Student, student.id).school.name == "南明第一小学"
    client = login_as(RECEIVING)
    assert "转出区县审核通过" in text(client.get("/transfers/?direction=in"))
    student_page = text(client.get(f"/students/{student.id}"))
    for trail in ("转入区县审核通过", "转出学校审核通过", "审核结果：</span>通过", "南明区学籍主管", "云岩区学籍主管"):
        assert trail in student_page, trail
    case_page = text(client.get(case_path))
    assert "转出区县审核通过" in case_page and "云岩第一小学学籍管理员" in case_page

    client = login_as(SENDING)
    outgoing = text(client.get("/transfers/?direction=out"))
    assert student.name in outgoing and "转出区县审核通过" in outgoing
    assert client.get(case_path).status_code == 200  # the sending school keeps the history
    assert client.get(f"/students/{student.id}").status_code == 404  # but no longer sees the record


def test_rejection_needs_a_reason_in_the_web_form(login_as, session, student, user, clock):
    request_transfer(login_as(RECEIVING), session, student, user)
    client = login_as("nanming-county")
    [task_id] = task_ids(client.get("/"))
    response = client.post(f"/tasks/{task_id}", data={"decision": "不通过"})
    assert response.status_code == 422 and "审核不通过时必须填写原因" in text(response)
    client.post(f"/tasks/{task_id}", data={"decision": "不通过", "comment": "非本区户籍"})
    client = login_as(RECEIVING)
    page = text(client.get("/transfers/?direction=in&state=转入区县审核不通过"))
    assert student.name in page


@pytest.mark.parametrize("outsider", ["daozhen-county", "meitan-county", "zunyi-city", "daozhen-xx-registrar"])
def test_a_third_party_sees_nothing_of_the_transfer(login_as, session, student, user, clock, outsider):
    case_path = request_transfer(login_as(RECEIVING), session, student, user).location
    client = login_as(outsider)
    assert client.get(case_path).status_code == 404
    assert student.name not in text(client.get("/transfers/?direction=in"))
    assert student.name not in text(client.get("/transfers/?direction=out"))
    assert task_ids(client.get("/")) == []


def test_an_overdue_review_is_marked_in_the_inbox(login_as, session, student, user, clock):
    from datetime import timedelta

    from models.base import utcnow
    from models.workflow import InboxTask, TaskStatus

    request_transfer(login_as(RECEIVING), session, student, user)
    client = login_as("nanming-county")
    assert "已超期" not in text(client.get("/"))
    task = session.scalars(
        select(InboxTask).where(InboxTask.bpmn_id == "to_county_review", InboxTask.status == TaskStatus.OPEN)
    ).one()
    task.due_at = utcnow() - timedelta(days=1)
    session.flush()
    assert "已超期" in text(client.get("/"))


def test_the_lookup_does_not_reach_another_province(login_as, student_of, clock):
    beijing_student = student_of("dongcheng-xx-registrar")
    page = text(lookup(login_as(RECEIVING), beijing_student))
    assert "未找到" in page and "东城第一小学" not in page


def test_the_receiving_school_sees_the_case_but_not_the_record_before_completion(
    login_as, session, student, user, clock
):
    client = login_as(RECEIVING)
    case_path = request_transfer(client, session, student, user).location
    assert client.get(case_path).status_code == 200
    assert client.get(f"/students/{student.id}").status_code == 404


@pytest.mark.parametrize("outsider", ["yunyan-county", "daozhen-county", "guiyang-city", RECEIVING, SENDING])
def test_only_the_seat_opens_the_receiving_county_task(login_as, session, student, user, clock, outsider):
    request_transfer(login_as(RECEIVING), session, student, user)
    [task_id] = task_ids(login_as("nanming-county").get("/"))
    client = login_as(outsider)
    assert client.get(f"/tasks/{task_id}").status_code == 404
    assert client.post(f"/tasks/{task_id}", data={"decision": "通过"}).status_code == 404


def test_the_request_page_warns_during_the_freeze(login_as, session, user):
    from models.business_calendar import BusinessPeriod, PeriodKind

    client = login_as(RECEIVING)
    province_id = user(RECEIVING).org.ancestor_ids()[1]
    session.add(
        BusinessPeriod(
            org_id=province_id,
            business="transfer",
            kind=PeriodKind.FREEZE,
            start_md="01-01",
            end_md="12-31",
            note="测试冻结",
        )
    )
    session.flush()
    for path in ("/transfers/new", "/transfers/cross-province/new"):
        assert "业务冻结期（测试冻结）" in text(client.get(path))
