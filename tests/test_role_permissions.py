"""角色权限配置 (F-05): a province switches a feature off for a role at one level; the pages and the menu of that
role at that level follow at once; other levels, roles and provinces keep it; switching on again restores it."""

from __future__ import annotations

import re

from sqlalchemy import select

from models.audit import AuditEvent

ADMIN = "guizhou-security"  # 角色权限配置 is the security administrator's (三员分立)


def everything_but(client, cell: str):
    page = client.get("/admin/permissions/").get_data(as_text=True)
    assert f'value="{cell}"' in page
    cells = [c for c in re.findall(r'name="on" value="([^"]+)"', page) if c != cell]
    return client.post("/admin/permissions/", data={"on": cells})


def test_switching_admissions_off_for_county_officers(login_as, session):
    response = everything_but(login_as(ADMIN), "county|county_officer|admissions")
    assert response.status_code == 302
    county = login_as("nanming-county")
    assert county.get("/admissions/review").status_code == 403
    assert 'href="/admissions/review"' not in county.get("/").get_data(as_text=True)  # the menu follows
    assert login_as("yunyan-county").get("/admissions/review").status_code == 403  # every county of the province
    assert login_as("nanming-county").get("/lifecycle/dropouts").status_code == 200  # other features stay
    assert login_as("nanming-xx-registrar").get("/admissions/plans").status_code == 200  # other roles stay
    assert login_as("dongcheng-county").get("/admissions/review").status_code == 200  # other provinces stay
    [entry] = session.scalars(select(AuditEvent).where(AuditEvent.action == "角色权限配置")).all()
    assert entry.after == {"switched_off": ["区县·区县学籍主管·招生入学"]}
    page = login_as(ADMIN).get("/admin/permissions/").get_data(as_text=True)
    on = [*re.findall(r'name="on" value="([^"]+)"', page), "county|county_officer|admissions"]
    assert login_as(ADMIN).post("/admin/permissions/", data={"on": on}).status_code == 302
    county = login_as("nanming-county")
    assert county.get("/admissions/review").status_code == 200
    assert 'href="/admissions/review"' in county.get("/").get_data(as_text=True)


def test_only_features_the_code_allows_are_offered(login_as):
    page = login_as(ADMIN).get("/admin/permissions/").get_data(as_text=True)
    assert 'value="school|homeroom_teacher|registration"' in page
    assert 'value="school|homeroom_teacher|processes"' not in page  # the code never lets a teacher manage flows
    assert "administrator" not in page  # administrators cannot be locked out
    assert login_as("nanming-admin").get("/admin/permissions/").status_code == 403
