"""跨省招生 (F-43) through the web: a Guizhou junior school starts it under 招生入学, the counties and the
graduation province act in their inboxes, the admitting school pulls the archive."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from models import transitions
from models.org import OrgUnit
from models.student import Student, StudentStatus, has_national_id

ADMITTING, COUNTY = "nanming-cz-registrar", "nanming-county"
BJ_SCHOOL, BJ_COUNTY = "dongcheng-xx-registrar", "dongcheng-county"


def text(response) -> str:
    return response.get_data(as_text=True)


def act(login_as, username: str, title: str, **data: str) -> None:
    client = login_as(username)
    inbox = text(client.get("/"))
    assert title in inbox, (username, title)
    [task_id] = re.findall(r'href="/tasks/(\d+)"', inbox)
    assert client.post(f"/tasks/{task_id}", data=data).status_code == 302


def test_the_page_offers_other_provinces_and_the_stages_the_school_teaches(login_as):
    page = text(login_as(ADMITTING).get("/admissions/cross-province"))
    assert "北京市" in page and ">贵州省<" not in page
    assert 'value="junior"' in page and 'value="senior"' not in page
    assert 'data-testid="nav-cross-province-admission"' in page


def test_cross_province_admission_through_the_web(login_as, session, user, student_of, clock):
    graduate = student_of(BJ_SCHOOL)
    transitions.change_status(session, graduate, StudentStatus.GRADUATED, actor=None, action="毕业")
    graduate.graduated_on = date(2026, 7, 1)
    session.commit()
    beijing = session.scalars(select(OrgUnit).where(OrgUnit.name == "北京市")).one()

    client = login_as(ADMITTING)
    refused = client.post("/admissions/cross-province", data={"from_province_id": str(beijing.id)})
    assert refused.status_code == 422 and "请填写全国学籍号" in text(refused)
    response = client.post(
        "/admissions/cross-province",
        data={
            "from_province_id": str(beijing.id),
            "student_name": graduate.name,
            "national_student_id": graduate.national_student_id,
            "stage": "junior",
            "reason": "随父母来黔工作",
        },
    )
    assert response.status_code == 302
    page = text(client.get(response.location))
    assert f"毕业后跨省就学（转入）：{graduate.name}" in page and "转入学校审核通过" in page
    assert "毕业省份" in page and "北京市" in page

    act(login_as, COUNTY, "转入区县审核", decision="通过")
    act(login_as, BJ_COUNTY, "跨省转出区县审核", decision="通过")
    act(login_as, ADMITTING, "调档", action="调档")
    session.expire_all()
    arrived = session.scalars(
        select(Student).where(has_national_id(graduate.national_student_id), Student.status == StudentStatus.IN_SCHOOL)
    ).one()
    assert (arrived.school_id, arrived.class_id) == (user(ADMITTING).org_id, None)
    assert session.get(Student, graduate.id).status == StudentStatus.TRANSFERRED_OUT


def test_a_primary_school_is_told_it_admits_no_graduates(login_as):
    page = text(login_as("nanming-xx-registrar").get("/admissions/cross-province"))
    assert "本校没有初中或高中阶段，不招收毕业生" in page
