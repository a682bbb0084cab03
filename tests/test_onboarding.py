"""Onboarding a real bureau (issue 14 item 0): an empty, migrated database, the ``create-admin`` command, a workbook
of 3 cities, 30 counties and 3,000 schools uploaded and imported through the pages, re-imported without
duplicates, and a county officer account created and logged in — no demo data anywhere."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from openpyxl import Workbook
from python_calamine import CalamineWorkbook
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from conftest import own_database
from handlers import orgs
from models.audit import AuditEvent
from models.org import Campus, OrgLevel, OrgUnit, School
from models.user import Role, User
from webapp import create_app
from webapp.db import make_engine

ADMIN_PASSWORD = "Sheng@Guan2026"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def empty_connection(tmp_path: Path) -> Iterator[Connection]:
    """A database with no table at all: SQLite in a temporary folder, or a PostgreSQL database of its own."""
    with own_database("empty", tmp_path, build=make_engine) as engine, engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def fresh_app(empty_connection: Connection, tmp_path: Path) -> Any:
    return create_app(
        {
            "TESTING": True,
            "IMPORT_DIR": tmp_path / "imports",
            "SECRET_KEY": "test-secret",
            "DB_ENGINE": empty_connection,
            "DB_SESSION_OPTIONS": {"join_transaction_mode": "create_savepoint"},
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "DEMO_MODE": False,
            "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        }
    )


def province_workbook(cities: int = 3, counties: int = 10, schools: int = 100, *, renamed: str = "") -> bytes:
    """贵州省 as the national school code list gives it: ``cities`` × ``counties`` × ``schools`` schools."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(orgs.SCHOOL_SHEET)
    sheet.append([header for _key, header in orgs.SCHOOL_COLUMNS])
    kinds = (("21", "小学", ""), ("31", "初级中学", ""), ("34", "完全中学", ""), ("51", "特殊教育学校", "小学、初中"))
    for c in range(cities):
        city_code = f"52{c + 1:02d}00"
        for k in range(counties):
            county_code = f"52{c + 1:02d}{k + 1:02d}"
            for n in range(schools):
                category, school_type, stages = kinds[n % len(kinds)]
                code = f"{category}52{c + 1:02d}{k + 1:02d}{n:02d}"
                name = renamed if renamed and (c, k, n) == (0, 0, 0) else f"第{c + 1}市第{k + 1}县第{n + 1}校"
                sheet.append(
                    [
                        code,
                        name,
                        school_type,
                        stages,
                        city_code,
                        f"第{c + 1}市",
                        county_code,
                        f"第{c + 1}市第{k + 1}县",
                        "",
                        "",
                    ]
                )
    campuses = book.create_sheet(orgs.CAMPUS_SHEET)
    campuses.append([header for _key, header in orgs.CAMPUS_COLUMNS])
    campuses.append(["2152010100", "东校区", "520101001001", "张校长", "0851-1234567"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def create_admin(app: Any, password: str, confirm: str | None = None) -> Any:
    return app.test_cli_runner().invoke(
        args=[
            "xueji",
            "create-admin",
            "--province-code",
            "520000",
            "--province-name",
            "贵州省",
            "--username",
            "gz-admin",
        ],
        input=f"{password}\n{confirm or password}\n",
    )


def login(client: Any, username: str, password: str) -> Any:
    client.post("/logout")
    return client.post("/login", data={"username": username, "password": password})


SECRETS: dict[str, str] = {}


def admin_login(client: Any, username: str, password: str) -> Any:
    """An administrator's sign-in: the password, then the second factor, bound with an authenticator app (the test
    computes the codes) at the first sign-in and asked for at every one after."""
    first = login(client, username, password)
    assert first.status_code == 302, first.get_data(as_text=True)
    if first.location.startswith("/login/enroll"):
        page = client.get("/login/enroll").get_data(as_text=True)
        SECRETS[username] = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
        done = client.post("/login/enroll", data={"code": pyotp.TOTP(SECRETS[username]).now()})
        assert done.status_code == 200 and "恢复码" in done.get_data(as_text=True)
        return done
    assert first.location.startswith("/login/verify")
    return client.post("/login/verify", data={"code": pyotp.TOTP(SECRETS[username]).now()})


def upload(client: Any, data: bytes) -> tuple[Any, str]:
    """Upload for the dry run; returns the page and the upload's token (from the commit form's action)."""
    page = client.post("/admin/orgs/import", data={"file": (io.BytesIO(data), "学校.xlsx")})
    body = page.get_data(as_text=True)
    marker = "/admin/orgs/import/"
    token = body.split(marker, 1)[1].split('"', 1)[0].split("/", 1)[0] if marker in body else ""
    return page, token


def count(session: Session, level: OrgLevel) -> int:
    return session.scalar(select(func.count()).select_from(OrgUnit).where(OrgUnit.level == level)) or 0


def county_officer_works(client: Any, session: Session) -> None:
    """The province administrator creates a county officer; the account logs in and changes its password."""
    county = session.scalars(
        select(OrgUnit).where(OrgUnit.division_code == "520305", OrgUnit.level == OrgLevel.COUNTY)
    ).one()
    created = client.post(
        "/admin/users/new",
        data={
            "username": "c305-officer",
            "full_name": "王主管",
            "org_id": county.id,
            "roles": [Role.COUNTY_OFFICER.value],
            "password": "Temp@2026x",
            "confirm": "Temp@2026x",
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    first = login(client, "c305-officer", "Temp@2026x")
    assert first.status_code == 302 and "/account/password" in first.location
    changed = client.post(
        "/account/password", data={"current": "Temp@2026x", "new": "Mine@2026xy", "confirm": "Mine@2026xy"}
    )
    assert changed.status_code == 302
    assert login(client, "c305-officer", "Mine@2026xy").location.endswith("/")
    home = client.get("/", follow_redirects=True)
    assert home.status_code == 200 and "第3市第5县" in home.get_data(as_text=True)


def test_a_fresh_database_becomes_a_working_province(fresh_app, empty_connection):
    weak = create_admin(fresh_app, "123456")
    assert weak.exit_code != 0 and "密码太短" in weak.output
    mismatch = create_admin(fresh_app, ADMIN_PASSWORD, "Other@Pass2026")
    assert mismatch.exit_code != 0
    result = create_admin(fresh_app, ADMIN_PASSWORD)
    assert result.exit_code == 0, result.output
    assert ADMIN_PASSWORD not in result.output and "已建立贵州省的系统管理员 gz-admin" in result.output
    session = Session(bind=empty_connection, join_transaction_mode="create_savepoint")
    assert session.scalar(select(func.count()).select_from(User)) == 1
    admin = session.scalars(select(User)).one()
    assert admin.roles == {Role.ADMINISTRATOR} and admin.password_hash.startswith("scrypt:")

    client = fresh_app.test_client()
    assert admin_login(client, "gz-admin", ADMIN_PASSWORD).status_code == 200  # enrolled, recovery codes shown
    template = client.get("/admin/orgs/template")
    assert template.status_code == 200 and template.mimetype == XLSX
    assert CalamineWorkbook.from_filelike(io.BytesIO(template.data)).sheet_names == ["学校", "校区"]

    workbook = province_workbook()
    page, token = upload(client, workbook)
    body = page.get_data(as_text=True)
    assert "新建地市3个、区县30个、学校3000所" in body and token
    assert count(session, OrgLevel.SCHOOL) == 0  # the dry run wrote nothing
    done = client.post(f"/admin/orgs/import/{token}")
    assert "已导入" in done.get_data(as_text=True)
    session.expire_all()
    assert (count(session, OrgLevel.CITY), count(session, OrgLevel.COUNTY), count(session, OrgLevel.SCHOOL)) == (
        3,
        30,
        3000,
    )
    school = session.scalars(select(School).where(School.school_code == "5152031011")).one()
    assert school.org.name == "第3市第10县第12校" and school.stages == "primary,junior"
    assert school.record_authority.name == "第3市第10县" and school.org.parent.parent.name == "第3市"
    assert school.org.path == f"{school.record_authority.path}{school.org_id}/"
    assert session.scalars(select(Campus.name)).all() == ["东校区"]

    # Importing again (one school renamed) updates that school and creates nothing.
    page, token = upload(client, province_workbook(renamed="贵阳市第一实验小学"))
    assert "新建地市0个、区县0个、学校0所；更新学校1所，未变化2999所" in page.get_data(as_text=True)
    client.post(f"/admin/orgs/import/{token}")
    session.expire_all()
    assert count(session, OrgLevel.SCHOOL) == 3000
    renamed = session.scalars(select(School).where(School.school_code == "2152010100")).one()
    assert renamed.org.name == "贵阳市第一实验小学"
    assert session.scalar(select(func.count()).select_from(Campus)) == 1
    imports = session.scalars(select(AuditEvent).where(AuditEvent.action == "org.import")).all()
    assert [len(event.after["new_schools"]) for event in imports] == [3000, 0]
    assert imports[1].after["changed_schools"] == ["2152010100"]

    county_officer_works(client, session)
    the_other_two_administrators(client, session)


def the_other_two_administrators(client: Any, session: Session) -> None:
    """三员分立 from the first administrator: it appoints the province's security and audit administrators, who
    bind their own second factor at their first sign-in; the security administrator then configures roles."""
    province = session.scalars(select(OrgUnit).where(OrgUnit.level == OrgLevel.PROVINCE)).one()
    admin_login(client, "gz-admin", ADMIN_PASSWORD)
    for username, role in (("gz-security", Role.SECURITY_ADMINISTRATOR), ("gz-audit", Role.AUDIT_ADMINISTRATOR)):
        data = {"username": username, "full_name": username, "org_id": province.id, "password": "Temp@2026x"}
        created = client.post("/admin/users/new", data={**data, "roles": [role.value], "confirm": "Temp@2026x"})
        assert created.status_code == 302, created.get_data(as_text=True)
    assert client.get("/admin/roles").status_code == 403  # not the system administrator's any more
    admin_login(client, "gz-security", "Temp@2026x")
    client.post("/account/password", data={"current": "Temp@2026x", "new": "Sec@2026xyz", "confirm": "Sec@2026xyz"})
    assert client.get("/admin/roles").status_code == 200
    admin_login(client, "gz-audit", "Temp@2026x")
    client.post("/account/password", data={"current": "Temp@2026x", "new": "Aud@2026xyz", "confirm": "Aud@2026xyz"})
    assert client.get("/access-log/users", query_string={"username": "gz-security"}).status_code == 200


def test_failed_rows_come_back_as_a_workbook_and_the_rest_is_imported(fresh_app, empty_connection):
    assert create_admin(fresh_app, ADMIN_PASSWORD).exit_code == 0
    book = Workbook()
    sheet = book.active
    sheet.title = orgs.SCHOOL_SHEET
    sheet.append([header for _key, header in orgs.SCHOOL_COLUMNS])
    good = ["2152010101", "甲小学", "小学", "", "520100", "贵阳市", "520102", "南明区", "", ""]
    sheet.append(good)
    sheet.append(["21520101", "乙小学", "小学", "", "520100", "贵阳市", "520102", "南明区", "", ""])  # short code
    sheet.append(["2152010102", "丙学校", "特殊教育学校", "", "520100", "贵阳市", "520102", "南明区", "", ""])
    sheet.append(["2152010101", "甲小学重复", "小学", "", "520100", "贵阳市", "520102", "南明区", "", ""])
    sheet.append(["=1+1", "丁小学", "大学", "", "520100", "贵阳市", "520202", "某县", "", ""])
    sheet["A6"].data_type = "s"  # typed as text: the failed-rows workbook must keep it text
    buffer = io.BytesIO()
    book.save(buffer)
    client = fresh_app.test_client()
    admin_login(client, "gz-admin", ADMIN_PASSWORD)
    page, token = upload(client, buffer.getvalue())
    body = page.get_data(as_text=True)
    assert "学校1所" in body and "有4行有错误" in body
    client.post(f"/admin/orgs/import/{token}")
    failed = client.get(f"/admin/orgs/import/{token}/failed")
    assert failed.status_code == 200 and failed.mimetype == XLSX
    rows = CalamineWorkbook.from_filelike(io.BytesIO(failed.data)).get_sheet_by_name("学校").to_python()
    assert [row[1] for row in rows[1:]] == ["乙小学", "丙学校", "甲小学重复", "丁小学"]
    reasons = [row[-1] for row in rows[1:]]
    assert "10位数字" in reasons[0] and "请填写学段" in reasons[1] and "与第2行" in reasons[2]
    assert "办学类型应为" in reasons[3] and "前4位" in reasons[3]
    assert rows[4][0] == "=1+1"  # a text cell, not a formula
    session = Session(bind=empty_connection, join_transaction_mode="create_savepoint")
    assert session.scalars(select(OrgUnit.name).where(OrgUnit.level == OrgLevel.SCHOOL)).all() == ["甲小学"]


def test_the_import_pages_are_the_province_administrators(app, login_as):
    client = login_as("nanming-admin")
    assert client.get("/admin/orgs/import").status_code == 403
    assert client.get("/admin/users").status_code == 200
    assert login_as("guizhou-province").get("/admin/orgs/import").status_code == 403
    assert login_as("guizhou-admin").get("/admin/orgs/import").status_code == 200


def test_the_province_administrator_edits_units_and_schools(session, login_as, user):
    client = login_as("guizhou-admin")
    school = user("nanming-xx-registrar").org
    county = school.parent
    found = client.get(f"/admin/orgs?q={school.school.school_code}").get_data(as_text=True)
    assert school.name in found and "南明区" in found
    page = client.get(f"/admin/orgs/{school.id}").get_data(as_text=True)
    assert school.school.school_code in page and "不可修改" in page
    empty = client.post(
        f"/admin/orgs/{school.id}",
        data={"name": "南明实验小学", "school_type": "小学", "stages": ["primary"], "address": "", "name_en": " "},
    )
    assert empty.status_code == 422 and "没有请填“无”" in empty.get_data(as_text=True)
    saved = client.post(
        f"/admin/orgs/{school.id}",
        data={
            "name": "南明实验小学",
            "school_type": "九年一贯制学校",
            "stages": ["primary", "junior"],
            "name_en": "无",
        },
    )
    assert saved.status_code == 302
    assert (
        client.post(f"/admin/orgs/{county.id}", data={"name": "南明新区", "division_code": "520102"}).status_code == 302
    )
    session.expire_all()
    assert (school.name, school.school.stages, county.name) == ("南明实验小学", "primary,junior", "南明新区")
    events = session.scalars(select(AuditEvent).where(AuditEvent.action.in_(["school.update", "org.update"]))).all()
    assert [(e.action, e.before["name"], e.after["name"]) for e in events] == [
        ("school.update", "南明第一小学", "南明实验小学"),
        ("org.update", "南明区", "南明新区"),
    ]
    assert login_as("nanming-admin").get(f"/admin/orgs/{school.id}").status_code == 403
