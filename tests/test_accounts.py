"""Accounts and roles (F-05, issue 14 item 1) on the demo world: each level's administrator manages only its
subtree, roles by 角色配置 and by level, the forced password change, the policy, lockout, sealing of dormant
accounts by the tick and reopening, and the audit trail of each change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from conftest import PASSWORD
from handlers import accounts
from models.audit import AuditEvent
from models.base import utcnow
from models.errors import DomainError
from models.org import OrgLevel, OrgUnit
from models.user import Role, User

TEMP = "Temp@2026x"
MINE = "Mine@2026xy"


def school(session: Any, username: str) -> OrgUnit:
    return session.scalars(select(User).where(User.username == username)).one().org


def new_account(client: Any, org: OrgUnit, username: str, *roles: Role, password: str = TEMP) -> Any:
    return client.post(
        "/admin/users/new",
        data={
            "username": username,
            "full_name": "新用户",
            "org_id": org.id,
            "roles": [role.value for role in roles],
            "password": password,
            "confirm": password,
        },
    )


def log_in(client: Any, username: str, password: str) -> Any:
    client.post("/logout")
    return client.post("/login", data={"username": username, "password": password})


def actions(session: Any, user_id: int) -> list[str]:
    """The account's changes (its sign-ins and sign-outs are in the trail too: tests/test_signin.py)."""
    query = select(AuditEvent.action).where(
        AuditEvent.entity == "user",
        AuditEvent.entity_id == user_id,
        AuditEvent.action.not_in(("login", "login.failed", "logout")),
    )
    return list(session.scalars(query.order_by(AuditEvent.id)))


def test_a_county_administrator_manages_only_its_county(session, login_as, user):
    client = login_as("nanming-admin")
    own, other = school(session, "nanming-xx-registrar"), school(session, "yunyan-xx-registrar")
    assert new_account(client, other, "yy-new", Role.SCHOOL_REGISTRAR).status_code == 404
    assert session.scalar(select(User.id).where(User.username == "yy-new")) is None
    with pytest.raises(DomainError, match="只能在本单位及下级单位"):
        accounts.create_user(
            session,
            user("nanming-admin"),
            username="yy-new",
            full_name="某",
            org=other,
            roles=[Role.SCHOOL_REGISTRAR],
            password=TEMP,
            policy=accounts.PasswordPolicy(),
        )
    assert client.get(f"/admin/users/{user('yunyan-xx-registrar').id}").status_code == 404
    assert client.post(f"/admin/users/{user('yunyan-xx-registrar').id}/disable").status_code == 404
    assert client.get(f"/admin/users/{user('guizhou-admin').id}").status_code == 404  # above it: not its business
    listed = client.get("/admin/users?q=registrar").get_data(as_text=True)
    assert "nanming-xx-registrar" in listed and "yunyan-xx-registrar" not in listed

    created = new_account(client, own, "nm-teacher2", Role.HOMEROOM_TEACHER, Role.SCHOOL_REVIEWER)
    assert created.status_code == 302
    made = user("nm-teacher2")
    assert made.roles == {Role.HOMEROOM_TEACHER, Role.SCHOOL_REVIEWER} and made.must_change_password
    assert actions(session, made.id) == ["user.create"]
    # A county officer's role does not fit a school, whatever the administrator's rights.
    wrong = new_account(client, own, "nm-wrong", Role.COUNTY_OFFICER)
    assert wrong.status_code == 422 and "不能给" in wrong.get_data(as_text=True)
    weak = new_account(client, own, "nm-weak", Role.SCHOOL_REGISTRAR, password="abc12345")
    assert weak.status_code == 422 and "密码太简单" in weak.get_data(as_text=True)
    assert login_as("nanming-county").get("/admin/users").status_code == 403  # an officer is no administrator


def test_role_configuration_limits_what_a_level_grants(session, login_as, user):
    county = user("nanming-admin").org
    province = login_as("guizhou-security")  # roles and permissions: the security administrator (三员分立)
    page = province.get("/admin/roles")
    assert page.status_code == 200 and "角色配置" in page.get_data(as_text=True)
    saved = province.post(
        "/admin/roles",
        data={
            "province": [Role.ADMINISTRATOR.value, Role.PROVINCE_OFFICER.value],
            "city": [Role.CITY_OFFICER.value, Role.COUNTY_OFFICER.value],
            "county": [Role.COUNTY_OFFICER.value, Role.SCHOOL_REGISTRAR.value],  # no 系统管理员, no 班主任
        },
    )
    assert saved.status_code == 302
    grants = accounts.grants(session, county.parent.parent_id)
    assert grants[OrgLevel.COUNTY] == {Role.COUNTY_OFFICER, Role.SCHOOL_REGISTRAR}
    client = login_as("nanming-admin")
    refused = new_account(client, county, "nm-admin2", Role.ADMINISTRATOR)
    assert refused.status_code == 422 and "系统管理员" in refused.get_data(as_text=True)
    assert (
        new_account(client, school(session, "nanming-xx-registrar"), "nm-t3", Role.HOMEROOM_TEACHER).status_code == 422
    )
    assert new_account(client, county, "nm-officer2", Role.COUNTY_OFFICER).status_code == 302
    assert login_as("nanming-admin").get("/admin/roles").status_code == 403  # only the province configures
    assert login_as("guizhou-admin").get("/admin/roles").status_code == 403  # and not its system administrator
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "role_grant.save")).one()
    assert event.after["county"] == ["county_officer", "school_registrar"]


def test_first_login_forces_a_password_change(session, login_as, client, user):
    new_account(login_as("nanming-admin"), school(session, "nanming-cz-registrar"), "nm-cz-new", Role.SCHOOL_REGISTRAR)
    first = log_in(client, "nm-cz-new", TEMP)
    assert first.status_code == 302 and first.location.startswith("/account/password")
    elsewhere = client.get("/students/")
    assert elsewhere.status_code == 302 and elsewhere.location.startswith("/account/password")
    page = client.get("/account/password").get_data(as_text=True)
    assert 'data-testid="password-forced"' in page
    same = client.post("/account/password", data={"current": TEMP, "new": TEMP, "confirm": TEMP})
    assert "不能与当前密码相同" in same.get_data(as_text=True)
    weak = client.post("/account/password", data={"current": TEMP, "new": "password1", "confirm": "password1"})
    assert "密码太简单" in weak.get_data(as_text=True)
    wrong = client.post("/account/password", data={"current": "Nope@2026x", "new": MINE, "confirm": MINE})
    assert "当前密码不正确" in wrong.get_data(as_text=True)
    done = client.post("/account/password", data={"current": TEMP, "new": MINE, "confirm": MINE})
    assert done.status_code == 302
    assert client.get("/students/").status_code == 200
    assert log_in(client, "nm-cz-new", MINE).location == "/"
    assert not user("nm-cz-new").must_change_password
    assert actions(session, user("nm-cz-new").id) == ["user.create", "user.change_password"]


def test_password_change_on_demand(login_as):
    client = login_as("nanming-xx-teacher")
    assert client.get("/account/password").status_code == 200
    done = client.post("/account/password", data={"current": PASSWORD, "new": MINE, "confirm": MINE})
    assert done.status_code == 302
    assert log_in(client, "nanming-xx-teacher", MINE).status_code == 302


def test_lockout_after_failures_and_reset_by_a_superior(session, app, client, login_as, user):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        failed = log_in(client, "nanming-xx-reviewer", "Wrong@2026x")
        assert "用户名或密码错误" in failed.get_data(as_text=True)
    locked = log_in(client, "nanming-xx-reviewer", PASSWORD)
    assert locked.status_code == 200 and "账号已暂时锁定" in locked.get_data(as_text=True)
    target = user("nanming-xx-reviewer")
    admin = login_as("nanming-admin")
    assert "已锁定" in admin.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert admin.post(f"/admin/users/{target.id}/reset", data={"password": TEMP}).status_code == 302
    reopened = log_in(client, "nanming-xx-reviewer", TEMP)
    assert reopened.status_code == 302 and reopened.location.startswith("/account/password")
    assert actions(session, target.id) == ["user.reset_password"]


def test_disabled_accounts_cannot_log_in(session, login_as, client, user):
    admin = login_as("nanming-admin")
    target = user("nanming-cz-teacher")
    assert admin.post(f"/admin/users/{target.id}/disable").status_code == 302
    refused = admin.post(f"/admin/users/{user('nanming-admin').id}/disable")
    assert refused.status_code == 422 and "不能停用自己的账号" in refused.get_data(as_text=True)
    assert "该账号已停用" in log_in(client, "nanming-cz-teacher", PASSWORD).get_data(as_text=True)
    stranger = log_in(client, "nanming-cz-teacher", "Wrong@2026x").get_data(as_text=True)
    assert "用户名或密码错误" in stranger and "停用" not in stranger  # only the password's holder learns why
    login_as("nanming-admin").post(f"/admin/users/{target.id}/enable")
    assert log_in(client, "nanming-cz-teacher", PASSWORD).status_code == 302
    assert actions(session, target.id) == ["user.disable", "user.enable"]


def test_the_tick_seals_dormant_accounts_and_the_superior_reopens_them(session, app, client, login_as, user):
    dormant, recent = user("meitan-gz-teacher"), user("meitan-gz-reviewer")
    days = app.config["ACCOUNT_DORMANT_DAYS"]
    dormant.last_active_at = utcnow() - timedelta(days=days + 1)
    recent.last_active_at = utcnow() - timedelta(days=days - 1)
    session.commit()
    result = app.test_cli_runner().invoke(args=["xueji", "tick"])
    assert result.exit_code == 0 and "封存了 1 个长期未用账号" in result.output
    session.expire_all()
    assert dormant.sealed_at is not None and recent.sealed_at is None
    assert "已被封存" in log_in(client, "meitan-gz-teacher", PASSWORD).get_data(as_text=True)
    seal = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.seal")).one()
    assert seal.entity_id == dormant.id and seal.actor_id is None
    assert login_as("nanming-admin").post(f"/admin/users/{dormant.id}/reopen").status_code == 404  # not its county
    admin = login_as("meitan-admin")
    assert "已封存" in admin.get(f"/admin/users/{dormant.id}").get_data(as_text=True)
    assert admin.post(f"/admin/users/{dormant.id}/reopen").status_code == 302
    assert log_in(client, "meitan-gz-teacher", PASSWORD).status_code == 302
    again = app.test_cli_runner().invoke(args=["xueji", "tick"])
    assert "封存了 0 个长期未用账号" in again.output
    assert actions(session, dormant.id) == ["user.seal", "user.reopen"]


def test_roles_given_above_stay_when_a_lower_administrator_edits(session, login_as, user):
    target = user("nanming-xx-reviewer")
    province = login_as("guizhou-admin")
    province.post(
        f"/admin/users/{target.id}",
        data={"full_name": "南明审核", "roles": [Role.SCHOOL_REVIEWER.value, Role.SCHOOL_REGISTRAR.value]},
    )
    session.expire_all()
    assert target.roles == {Role.SCHOOL_REVIEWER, Role.SCHOOL_REGISTRAR}
    accounts.save_grants(
        session,
        user("guizhou-security"),
        {level: [Role.SCHOOL_REVIEWER] for level in accounts.CONFIGURABLE_LEVELS},
    )
    session.commit()
    county = login_as("nanming-admin")
    saved = county.post(
        f"/admin/users/{target.id}", data={"full_name": "王老师", "roles": [Role.SCHOOL_REVIEWER.value]}
    )
    assert saved.status_code == 302
    session.expire_all()
    assert target.full_name == "王老师" and target.roles == {Role.SCHOOL_REVIEWER, Role.SCHOOL_REGISTRAR}
