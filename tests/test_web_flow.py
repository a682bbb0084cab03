"""The web layer end to end with the Flask test client: school asks, county decides, lists and pages agree."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

import engine.store
from models.student import Student, StudentStatus

SCHOOL = "nanming-xx-registrar"
COUNTY = "nanming-county"


def task_ids(response) -> list[int]:
    return [int(i) for i in re.findall(r'href="/tasks/(\d+)"', response.get_data(as_text=True))]


@pytest.fixture
def requested(login_as, student_of, session):
    """A deletion request made through the web by the school; returns (student id, case id)."""
    student = student_of(SCHOOL)
    client = login_as(SCHOOL)
    response = client.post(f"/students/{student.id}/start/mistaken_deletion", data={"reason": "误录入的学籍"})
    assert response.status_code == 302
    case_id = int(response.location.rsplit("/", 1)[1])
    return student.id, case_id


def test_school_requests_and_county_deletes_through_the_web(requested, login_as, session):
    student_id, case_id = requested
    client = login_as(COUNTY)
    inbox = client.get("/")
    assert "误操作删除核办" in inbox.get_data(as_text=True)
    [task_id] = task_ids(inbox)
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "误录入的学籍" in page and "核办结果" in page
    student = session.get(Student, student_id)
    assert student.national_student_id in page and student.masked_id_number in page  # the identifiers checked
    assert page.count(student.id_doc_number) == page.count(student.national_student_id)  # G + ID number only
    assert 'data-show-when-field="decision" data-show-when-value="驳回"' in page  # 驳回原因 only for 驳回
    # 删除 removes a record: the first submit asks, naming the student; nothing happens until it is confirmed.
    asked = client.post(f"/tasks/{task_id}", data={"decision": "删除"})
    assert asked.status_code == 200 and 'data-testid="confirm"' in asked.get_data(as_text=True)
    assert student.name in asked.get_data(as_text=True) and 'name="confirmed" value="1"' in asked.get_data(as_text=True)
    session.expire_all()
    assert session.get(Student, student_id).status == StudentStatus.IN_SCHOOL
    done = client.post(f"/tasks/{task_id}", data={"decision": "删除", "confirmed": "1"}, follow_redirects=True)
    assert f"「误操作删除核办」已提交：{student.name}，删除" in done.get_data(as_text=True)
    student_page = client.get(f"/students/{student_id}").get_data(as_text=True)
    assert 'data-testid="student-status">已删除' in student_page
    assert "误操作删除" in student_page
    timeline = client.get(f"/cases/{case_id}").get_data(as_text=True)
    for step in ("误操作删除", "检查申请条件", "误操作删除核办", "删除学籍", "已删除"):
        assert step in timeline
    session.expire_all()
    assert session.get(Student, student_id).status == StudentStatus.DELETED


def test_invalid_forms_are_shown_again_with_the_message_and_change_nothing(requested, login_as, student_of):
    client = login_as(SCHOOL)
    other = student_of(SCHOOL)
    response = client.post(f"/students/{other.id}/start/mistaken_deletion", data={"reason": "  "})
    assert response.status_code == 422 and "请填写删除原因" in response.get_data(as_text=True)
    client = login_as(COUNTY)
    [task_id] = task_ids(client.get("/"))
    response = client.post(f"/tasks/{task_id}", data={"decision": "驳回"})
    assert response.status_code == 422 and "驳回时必须填写驳回原因" in response.get_data(as_text=True)
    assert task_ids(client.get("/")) == [task_id]


def test_second_request_for_the_same_student_is_refused_with_a_message(requested, login_as):
    student_id, _ = requested
    client = login_as(SCHOOL)
    response = client.post(
        f"/students/{student_id}/start/mistaken_deletion", data={"reason": "再次"}, follow_redirects=True
    )
    assert "已有在办业务" in response.get_data(as_text=True)


def test_rejection_cancellation_and_the_county_list_filters(requested, login_as):
    _, case_id = requested
    county = login_as(COUNTY)
    [task_id] = task_ids(county.get("/"))
    county.post(f"/tasks/{task_id}", data={"decision": "驳回", "review_comment": "该生在读"})
    rejected = county.get("/cases/mistaken-deletions?state=已驳回").get_data(as_text=True)
    assert f'href="/cases/{case_id}"' in rejected
    assert f'href="/cases/{case_id}"' not in county.get("/cases/mistaken-deletions?state=未处理").get_data(as_text=True)
    school = login_as(SCHOOL)
    [school_task] = task_ids(school.get("/"))
    school.post(f"/tasks/{school_task}", data={"action": "取消申请"})
    mine = school.get("/cases/mine").get_data(as_text=True)
    assert f'href="/cases/{case_id}"' in mine and "已取消" in mine
    county = login_as(COUNTY)
    assert f'href="/cases/{case_id}"' in county.get("/cases/mistaken-deletions?state=已取消").get_data(as_text=True)


def test_a_task_already_handled_tells_the_second_reviewer(requested, login_as, app, user, session):
    client = login_as(COUNTY)
    [task_id] = task_ids(client.get("/"))
    assert client.post(f"/tasks/{task_id}", data={"decision": "删除", "confirmed": "1"}).status_code == 302
    again = client.post(f"/tasks/{task_id}", data={"decision": "驳回", "review_comment": "x"}, follow_redirects=True)
    assert "该任务已被处理" in again.get_data(as_text=True)


def test_inbox_is_read_from_its_table_without_loading_workflows(requested, login_as, monkeypatch):
    def refuse(_instance):
        raise AssertionError("the inbox deserialised a workflow")

    monkeypatch.setattr(engine.store, "load", refuse)
    page = login_as(COUNTY).get("/?sort=due&flow=mistaken_deletion")
    assert page.status_code == 200 and "误操作删除核办" in page.get_data(as_text=True)


def test_inbox_pages(login_as, session, user, flows, app):
    app.config["PAGE_SIZE"] = 2
    registrar = user(SCHOOL)
    students = session.scalars(
        select(Student).where(Student.school_id == registrar.org_id).order_by(Student.id).limit(3)
    ).all()
    for student in students:
        flows("mistaken_deletion", student=student, by=registrar, reason="重复")
    client = login_as(COUNTY)
    assert len(task_ids(client.get("/?page=1"))) == 2
    assert len(task_ids(client.get("/?page=2"))) == 1
