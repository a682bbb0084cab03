"""数据交换 (F-63): the change feed pages through each change once, shows nothing outside the token's
organisation, refuses revoked tokens and callers over the rate limit, and is described by its OpenAPI file."""

from __future__ import annotations

import json
import re
from datetime import timedelta, timezone
from typing import Any

from sqlalchemy import select

from models.access_log import AccessLog
from models.base import utcnow
from models.org import OrgUnit
from models.student import Student, StudentStatus


def _issue(client: Any, org_id: int, name: str = "中考报名系统") -> str:
    page = client.post("/admin/api-tokens", data={"name": name, "org_id": org_id})
    assert page.status_code == 200
    return re.search(r'data-testid="token-text">(xjf_[^<]+)<', page.text).group(1)


def _call(client: Any, token: str, **params: Any) -> Any:
    return client.get("/api/v1/students/changes", query_string=params, headers={"Authorization": f"Bearer {token}"})


def _all_pages(client: Any, token: str, limit: int, **start: Any) -> tuple[list[int], str]:
    seen: list[int] = []
    params: dict[str, Any] = {"limit": limit, **start}
    while True:
        body = _call(client, token, **params).get_json()
        seen += [item["id"] for item in body["items"]]
        if body["next_cursor"] is None:
            return seen, body["cursor"]
        params = {"limit": limit, "cursor": body["next_cursor"]}


def _students_under(session: Any, unit: OrgUnit) -> set[int]:
    return set(
        session.scalars(
            select(Student.id)
            .join(OrgUnit, OrgUnit.id == Student.school_id)
            .where(OrgUnit.path.startswith(unit.path), Student.status != StudentStatus.REGISTERING)
        )
    )


def test_paging_returns_each_change_once_within_the_scope(app, session, login_as, user):
    app.config["FEED_SETTLE_SECONDS"] = 0
    county = user("nanming-county").org
    client = login_as("nanming-admin")
    token = _issue(client, county.id)
    client.post("/logout")  # the API needs no session: the token alone

    seen, cursor = _all_pages(client, token, limit=7)
    assert len(seen) == len(set(seen))  # each once
    assert set(seen) == _students_under(session, county)  # all of 南明区, nothing of the other counties
    assert len(seen) > 7

    # Two students change: the next call from the last cursor returns exactly those two, in the order they changed.
    first, second = session.scalars(select(Student).where(Student.id.in_(seen[:2])).order_by(Student.id)).all()
    before = utcnow()
    second.profile = {**second.profile, "current_address": "贵阳市南明区新华路1号"}
    session.flush()
    first.name = first.name + "甲"
    session.flush()
    changed, cursor = _all_pages(client, token, limit=1, cursor=cursor)
    assert changed == [second.id, first.id]
    body = _call(client, token, cursor=cursor).get_json()
    assert body["items"] == [] and body["next_cursor"] is None
    # ``since`` in Beijing time means the same moment as in UTC.
    since = before.astimezone(timezone(timedelta(hours=8))).isoformat()
    assert _all_pages(client, token, limit=5, since=since)[0] == [second.id, first.id]

    item = _call(client, token, since="2000-01-01T00:00:00+08:00", limit=1000).get_json()["items"]
    shown = next(i for i in item if i["id"] == first.id)
    assert shown["name"] == first.name and shown["status_label"] == "在校" and shown["school_code"]
    logged = session.scalars(select(AccessLog).where(AccessLog.page == "数据交换接口")).all()
    assert {row.student_id for row in logged} >= set(seen)


def test_a_token_of_another_county_sees_none_of_these_students(app, session, login_as, user):
    app.config["FEED_SETTLE_SECONDS"] = 0
    client = login_as("yunyan-admin")
    token = _issue(client, user("yunyan-county").org_id)
    seen, _cursor = _all_pages(client, token, limit=500)
    assert seen and not set(seen) & _students_under(session, user("nanming-county").org)


def test_revoked_and_unknown_tokens_are_refused(app, session, login_as, user):
    client = login_as("nanming-admin")
    token = _issue(client, user("nanming-county").org_id)
    assert _call(client, token).status_code == 200
    listed = client.get("/admin/api-tokens").text
    token_id = re.search(r"/admin/api-tokens/(\d+)/revoke", listed).group(1)
    client.post(f"/admin/api-tokens/{token_id}/revoke")
    refused = _call(client, token)
    assert refused.status_code == 401 and refused.get_json()["message"] == "令牌无效或已吊销"
    assert _call(client, "xjf_" + "x" * 43).status_code == 401
    assert client.get("/api/v1/students/changes").status_code == 401
    # Another county's administrator can neither see nor revoke it.
    assert login_as("yunyan-admin").post(f"/admin/api-tokens/{token_id}/revoke").status_code == 404


def test_rate_limit_and_bad_cursor(app, login_as, user):
    app.config["FEED_RATE_PER_MINUTE"] = 2
    client = login_as("nanming-admin")
    token = _issue(client, user("nanming-county").org_id)
    bad = _call(client, token, cursor="not-a-cursor")
    assert bad.status_code == 400 and "cursor 无效" in bad.get_json()["message"]
    assert _call(client, token).status_code == 200
    limited = _call(client, token)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


def test_issue_needs_a_name_and_a_unit_of_ones_own(login_as, user):
    client = login_as("nanming-admin")
    assert (
        "请填写使用该令牌的系统名称"
        in client.post(
            "/admin/api-tokens", data={"name": " ", "org_id": user("nanming-county").org_id}, follow_redirects=True
        ).text
    )
    other = client.post("/admin/api-tokens", data={"name": "体检系统", "org_id": user("yunyan-county").org_id})
    assert other.status_code == 404


def test_openapi_description_is_served(client):
    response = client.get("/api/v1/openapi.json")
    spec = json.loads(response.data)
    assert spec["openapi"].startswith("3.")
    assert "/students/changes" in spec["paths"] and "bearer" == spec["components"]["securitySchemes"]["token"]["scheme"]
