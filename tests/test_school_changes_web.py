"""学校合并、撤销 page (F-50): the county files a change of its own schools only; the city reviews it in its inbox."""

from __future__ import annotations

from sqlalchemy import select

from models.org import School
from models.workflow import ProcessInstance


def test_county_renames_its_school_and_cannot_touch_another_county(login_as, session, user):
    client = login_as("nanming-county")
    page = client.get("/school-changes/").get_data(as_text=True)
    school = session.get_one(School, user("nanming-xx-registrar").org_id)
    assert school.school_code in page and "云岩" not in page
    data = {"school_id": str(school.org_id), "kind": "更名", "new_name": "南明实验小学", "reason": "区政府文件"}
    response = client.post("/school-changes/", data=data)
    assert response.status_code == 302
    session.expire_all()
    assert (session.get(School, school.org_id).name, session.get(School, school.org_id).school_code) == (
        "南明实验小学",
        school.school_code,
    )
    other = user("yunyan-xx-registrar").org_id
    assert client.post("/school-changes/", data={**data, "school_id": str(other)}).status_code == 404
    assert login_as("nanming-xx-registrar").get("/school-changes/").status_code == 403


def test_a_refused_request_says_why_and_starts_nothing(login_as, session, user):
    client = login_as("nanming-county")
    school = user("nanming-cz-registrar").org_id
    response = client.post("/school-changes/", data={"school_id": str(school), "kind": "合并", "reason": "文件"})
    assert response.status_code == 422 and "合并须填写接收学校" in response.get_data(as_text=True)
    started = session.scalars(select(ProcessInstance).where(ProcessInstance.process_key == "school_change")).all()
    assert started == []
