"""三员分立 (issue 22 item 4): the system administrator (accounts, parameters), the security administrator (roles,
permissions, sign-in policy) and the audit administrator (reads and exports the logs, changes nothing) are each
refused the others' actions; no account holds two of them; the three read no pupil's record."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from handlers import accounts
from models.access_log import AccessLog
from models.errors import DomainError
from models.user import Role, UserRole

SYSTEM, SECURITY, AUDIT = "guizhou-admin", "guizhou-security", "guizhou-audit"
ROLES_FORM = {
    "province": [Role.PROVINCE_OFFICER.value],
    "city": [Role.CITY_OFFICER.value],
    "county": ["county_officer"],
}


def test_each_administrator_is_refused_the_others_actions(login_as, user, session):
    teacher = user("nanming-xx-teacher")
    # Accounts and parameters: the system administrator only.
    for name in (SECURITY, AUDIT):
        client = login_as(name)
        assert client.get("/admin/users").status_code == 403, name
        assert client.post(f"/admin/users/{teacher.id}/disable").status_code == 403, name
        assert client.get("/admin/orgs").status_code == 403, name
    assert login_as(SYSTEM).get("/admin/users").status_code == 200
    # Roles, permissions and the sign-in policy: the security administrator only.
    for name in (SYSTEM, AUDIT):
        client = login_as(name)
        assert client.post("/admin/roles", data=ROLES_FORM).status_code == 403, name
        assert client.post("/security/sign-in", data={"school": "1"}).status_code == 403, name
    assert login_as(SECURITY).post("/admin/roles", data=ROLES_FORM).status_code == 302
    # The logs: the audit administrator reads and exports them; the other two do not.
    for name in (SYSTEM, SECURITY):
        client = login_as(name)
        assert client.get("/access-log/users", query_string={"username": SYSTEM}).status_code == 403, name
        assert client.get("/access-log/verify").status_code == 403, name
    auditor = login_as(AUDIT)
    page = auditor.get("/access-log/users", query_string={"username": SYSTEM}).get_data(as_text=True)
    assert "省级系统管理员" in page and "登录" in page  # the system administrator's sign-ins above
    assert auditor.get("/access-log/verify").status_code == 200


def test_the_audit_administrator_changes_nothing(login_as):
    auditor = login_as(AUDIT)
    # Whatever the route, a write is refused before the view runs; its own sign-out still works.
    assert auditor.post("/workbench/views", data={"name": "x"}).status_code == 403
    assert auditor.post("/admin/roles", data=ROLES_FORM).status_code == 403
    assert auditor.post("/logout").status_code == 302


def test_the_three_administrators_read_no_pupil(login_as, student_of):
    student = student_of("nanming-xx-registrar")
    for name in ("nanming-admin", SYSTEM, SECURITY, AUDIT):
        client = login_as(name)
        assert client.get(f"/students/{student.id}").status_code == 404, name
        found = client.get("/students/", query_string={"q": student.name}).get_data(as_text=True)
        assert f"/students/{student.id}" not in found, name


def test_no_account_holds_two_administrator_roles(session, user):
    province_admin = user(SYSTEM)
    county = user("nanming-admin").org
    with pytest.raises(DomainError, match="三员分立"):
        accounts.create_user(
            session,
            province_admin,
            username="nm-two-hats",
            full_name="两顶帽子",
            org=county,
            roles=[Role.ADMINISTRATOR, Role.AUDIT_ADMINISTRATOR],
            password="Two@Hats2026",
            policy=accounts.PasswordPolicy(),
        )
    with pytest.raises(DomainError, match="三员分立"):
        accounts.update_user(
            session,
            province_admin,
            user("nanming-county"),
            full_name="王主管",
            roles=[Role.COUNTY_OFFICER, Role.SECURITY_ADMINISTRATOR],  # an officer who also administers: refused
        )
    session.rollback()
    made = accounts.create_user(
        session,
        province_admin,
        username="nm-auditor",
        full_name="审计员",
        org=county,
        roles=[Role.AUDIT_ADMINISTRATOR],
        password="Audit@Only2026",
        policy=accounts.PasswordPolicy(),
    )
    assert made.roles == {Role.AUDIT_ADMINISTRATOR}


def test_rows_written_behind_the_application_give_no_union_of_powers(session, user, login_as):
    """Two administrator roles on one account (an SQL insert, not the pages): the permission check gives none."""
    auditor = user(AUDIT)
    session.add(UserRole(user_id=auditor.id, role=Role.SECURITY_ADMINISTRATOR))
    session.commit()
    session.expire_all()
    assert not auditor.has_role(Role.AUDIT_ADMINISTRATOR) and not auditor.has_role(Role.SECURITY_ADMINISTRATOR)
    client = login_as(AUDIT)
    assert client.get("/access-log/verify").status_code == 403
    assert client.get("/admin/roles").status_code == 403


def test_the_auditor_exports_a_users_log_with_watermark_and_its_own_log_row(login_as, session, student_of, user):
    student = student_of("nanming-xx-registrar")
    login_as("nanming-county").get(f"/students/{student.id}")
    auditor = login_as(AUDIT)
    page = auditor.get("/access-log/users", query_string={"username": "nanming-county"}).get_data(as_text=True)
    assert "学生信息" in page
    exported = auditor.get("/access-log/users", query_string={"username": "nanming-county", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(exported.data)).active
    assert "省级安全审计员" in sheet.oddFooter.center.text
    assert [c.value for c in sheet[2]][2:4] == ["学生信息", student.id]
    session.expire_all()
    [row] = session.scalars(select(AccessLog).where(AccessLog.user_id == user(AUDIT).id)).all()
    assert row.page == "导出：访问日志（nanming-county）" and row.rows == 1
    # Another province's users are not the Guizhou auditor's to read.
    other = auditor.get("/access-log/users", query_string={"username": "dongcheng-county"}).get_data(as_text=True)
    assert 'data-testid="no-such-user"' in other
