"""Cross-province transfer through the web: the Guizhou school applies for a Beijing student, Beijing reviews,
Guizhou pulls the record; each province sees only its side; the relay returns or ends stuck requests."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from handlers import HANDLERS
from models.errors import DomainError
from models.org import OrgUnit, SchoolClass
from models.student import Student, StudentStatus, has_national_id
from models.workflow import ProcessInstance

GZ_SCHOOL, GZ_COUNTY = "nanming-xx-registrar", "nanming-county"
BJ_SCHOOL, BJ_COUNTY = "dongcheng-xx-registrar", "dongcheng-county"


def text(response) -> str:
    return response.get_data(as_text=True)


def task_ids(response) -> list[int]:
    return [int(i) for i in re.findall(r'href="/tasks/(\d+)"', text(response))]


@pytest.fixture
def bj_student(student_of) -> Student:
    return student_of(BJ_SCHOOL)


def apply(client, session, user, student: Student):
    beijing = session.scalars(select(OrgUnit).where(OrgUnit.name == "北京市")).one()
    to_class = session.scalars(
        select(SchoolClass).where(SchoolClass.cohort.has(school_id=user(GZ_SCHOOL).org_id))
    ).first()
    return client.post(
        "/transfers/cross-province/new",
        data={
            "from_province_id": str(beijing.id),
            "student_name": student.name,
            "national_student_id": student.national_student_id,
            "to_class_id": str(to_class.id),
            "reason": "随父母回黔工作",
        },
    )


def act(login_as, username: str, title: str, **data: str) -> None:
    client = login_as(username)
    inbox = client.get("/")
    assert title in text(inbox), (username, title)
    [task_id] = task_ids(inbox)
    assert client.post(f"/tasks/{task_id}", data=data).status_code == 302


def test_the_form_offers_only_other_provinces(login_as):
    page = text(login_as(GZ_SCHOOL).get("/transfers/cross-province/new"))
    assert "北京市" in page and ">贵州省<" not in page


def test_cross_province_transfer_through_the_web(login_as, session, user, bj_student, clock):
    client = login_as(GZ_SCHOOL)
    response = apply(client, session, user, bj_student)
    assert response.status_code == 302
    in_path = response.location
    page = text(client.get(in_path))
    assert "转入学校审核通过" in page and "北京市" in page and bj_student.national_student_id in page

    act(login_as, GZ_COUNTY, "转入区县审核", decision="通过")
    act(login_as, BJ_SCHOOL, "跨省转出学校审核", decision="通过")
    bj = login_as(BJ_SCHOOL)
    outgoing = text(bj.get("/transfers/?direction=out"))
    assert bj_student.name in outgoing and "转出学校审核通过" in outgoing
    assert bj.get(in_path).status_code == 404  # the other province's case is not visible
    act(login_as, BJ_COUNTY, "跨省转出区县审核", decision="通过")
    act(login_as, GZ_SCHOOL, "调档", action="调档")

    client = login_as(GZ_SCHOOL)
    page = text(client.get(in_path))
    for state in (
        "转学申请已发往转出省",
        "等待转出学校审核",
        "等待转入学校调档",
        "调档申请已发往转出省",
        "学籍调档完毕",
    ):
        assert state in page, state
    incoming = text(client.get("/transfers/?direction=in"))
    assert bj_student.name in incoming and "学籍调档完毕" in incoming
    session.expire_all()
    new = session.scalars(
        select(Student).where(
            has_national_id(bj_student.national_student_id), Student.status == StudentStatus.IN_SCHOOL
        )
    ).one()
    assert new.school.name == "南明第一小学"
    assert "跨省转入" in text(client.get(f"/students/{new.id}"))
    assert session.get(Student, bj_student.id).status == StudentStatus.TRANSFERRED_OUT
    out = session.scalars(
        select(ProcessInstance).where(ProcessInstance.process_key == "transfer_cross_province_out")
    ).one()
    assert client.get(f"/cases/{out.id}").status_code == 404
    assert login_as(BJ_SCHOOL).get(f"/cases/{out.id}").status_code == 200


@pytest.fixture
def stuck_path(login_as, session, user, bj_student, monkeypatch, clock):
    def broken(ctx, **_kwargs):
        raise DomainError("转出省系统异常：附件无法读取")

    monkeypatch.setitem(HANDLERS, "xp.validate_request", broken)
    path = apply(login_as(GZ_SCHOOL), session, user, bj_student).location
    act(login_as, GZ_COUNTY, "转入区县审核", decision="通过")
    monkeypatch.undo()
    return path


def test_relay_lists_stuck_requests_with_the_error_and_returns_them(login_as, stuck_path, bj_student):
    client = login_as("national")
    page = text(client.get("/transfers/relay"))
    assert bj_student.name in page and "转出省系统异常：附件无法读取" in page
    case_id = stuck_path.rsplit("/", 1)[1]
    assert client.post("/transfers/relay", data={"action": "打回", "case_id": case_id}).status_code == 200
    response = client.post("/transfers/relay", data={"action": "打回", "case_id": case_id, "reason": "统一打回"})
    assert response.status_code == 302
    assert "转出省校验未通过" in text(login_as(GZ_SCHOOL).get(stuck_path))


def test_only_the_national_level_ends_a_request_abnormally(login_as, stuck_path):
    case_id = stuck_path.rsplit("/", 1)[1]
    province = login_as("guizhou-province")
    assert bj_name_absent(province) is False
    data = {"action": "异常结束", "case_id": case_id, "reason": "学期切换"}
    assert province.post("/transfers/relay", data=data).status_code == 403
    national = login_as("national")
    assert national.post("/transfers/relay", data=data).status_code == 302
    assert "异常结束" in text(national.get(stuck_path))
    assert login_as("beijing-province").get("/transfers/relay").status_code == 200


def bj_name_absent(client) -> bool:
    return "没有滞留的申请" in text(client.get("/transfers/relay"))


def test_the_other_province_does_not_see_a_stuck_request(login_as, stuck_path):
    assert bj_name_absent(login_as("beijing-province"))
    assert login_as(BJ_SCHOOL).get(stuck_path).status_code == 404
