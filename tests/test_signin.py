"""Sign-in (issue 22 item 5): the second factor for administrators and the levels a province requires it of,
recovery codes, session limits (idle, absolute, one per account), the last sign-in shown, every sign-in, failure
and sign-out in the audit trail."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import select

from conftest import PASSWORD
from models.audit import AuditEvent
from webapp.config import Config

ADMIN = "nanming-admin"
COUNTY = "nanming-county"


def trail(session, user_id=None, action=None):
    session.expire_all()
    query = select(AuditEvent).where(AuditEvent.entity == "user")
    if user_id is not None:
        query = query.where(AuditEvent.entity_id == user_id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return session.scalars(query.order_by(AuditEvent.id)).all()


def password_step(client, username, password=PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


def test_an_administrator_cannot_sign_in_without_the_second_factor(client, session, user):
    first = password_step(client, ADMIN)
    assert first.status_code == 302 and first.location.startswith("/login/verify")
    # The password alone opens nothing.
    assert client.get("/admin/users").location.startswith("/login")
    wrong = client.post("/login/verify", data={"code": "000000"})
    assert wrong.status_code == 422 and "不正确" in wrong.get_data(as_text=True)
    assert client.get("/admin/users").location.startswith("/login")
    [failure] = trail(session, user(ADMIN).id, "login.failed")
    assert failure.after["reason"] == "动态口令错误" and failure.after["address"] == "127.0.0.1"
    right = client.post("/login/verify", data={"code": pyotp.TOTP(Config.DEMO_TOTP_SECRET).now()})
    assert right.status_code == 302
    assert client.get("/admin/users").status_code == 200
    [login] = trail(session, user(ADMIN).id, "login")
    assert login.after == {"address": "127.0.0.1", "how": "totp"}


def test_the_second_step_does_not_open_without_the_first(client):
    assert client.get("/login/verify").status_code == 401
    assert client.post("/login/verify", data={"code": "123456"}).status_code == 401
    assert client.get("/login/enroll").status_code == 401


def test_first_sign_in_enrols_and_recovery_codes_sign_in_once(client, session, user):
    admin = user(ADMIN)
    admin.totp_secret, admin.totp_confirmed_at = None, None
    session.commit()
    assert password_step(client, ADMIN).location.startswith("/login/enroll")
    page = client.get("/login/enroll").get_data(as_text=True)
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
    assert client.post("/login/enroll", data={"code": "111111"}).status_code == 422
    done = client.post("/login/enroll", data={"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<li><code>([0-9A-F]{8}-[0-9A-F]{8})</code></li>", done.get_data(as_text=True))
    assert done.status_code == 200 and len(codes) == 10
    session.expire_all()
    assert admin.totp_secret == secret and codes[0] not in str(admin.recovery_codes)  # kept as hashes only
    client.post("/logout")
    assert password_step(client, ADMIN).location.startswith("/login/verify")
    assert client.post("/login/verify", data={"code": codes[0].lower()}).status_code == 302
    client.post("/logout")
    password_step(client, ADMIN)
    assert client.post("/login/verify", data={"code": codes[0]}).status_code == 422  # used up
    assert [e.after["how"] for e in trail(session, admin.id, "login")] == ["enroll", "recovery"]


def test_the_security_administrator_puts_a_level_under_the_second_factor(client, login_as, session, user):
    assert password_step(client, "nanming-xx-registrar").location == "/"  # password alone, by default
    security = login_as("guizhou-security")
    assert security.post("/security/sign-in", data={"school": "1"}).status_code == 302
    assert login_as(ADMIN).post("/security/sign-in", data={"school": "1"}).status_code == 403
    client.post("/logout")
    assert password_step(client, "nanming-xx-registrar").location.startswith("/login/enroll")
    assert password_step(client, COUNTY).location == "/"  # a county officer still signs in with the password
    [saved] = session.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in_policy.save")).all()
    assert saved.actor_id == user("guizhou-security").id and saved.after["school"] is True


def test_an_idle_session_ends(login_as, session, user):
    client = login_as(COUNTY)
    assert client.get("/students/").status_code == 200
    with client.session_transaction() as cookie:
        cookie["seen_at"] -= 31 * 60  # 31 minutes without a request (the default limit is 30)
    ended = client.get("/students/")
    assert ended.status_code == 302 and ended.location.startswith("/login")
    again = client.get("/students/", follow_redirects=True)
    assert "请先登录" in again.get_data(as_text=True)
    [logout] = trail(session, user(COUNTY).id, "logout")
    assert logout.after["why"] == "超时"


def test_an_active_session_still_ends_after_its_lifetime(login_as):
    client = login_as(COUNTY)
    with client.session_transaction() as cookie:
        cookie["login_at"] -= 8 * 3600 + 60
    assert client.get("/students/").location.startswith("/login")


def test_the_page_warns_before_the_end_and_shows_the_last_sign_in(login_as, client):
    login_as(COUNTY)
    page = login_as(COUNTY).get("/students/").get_data(as_text=True)
    ends_in = int(re.search(r'data-session-ends-in="(\d+)"', page).group(1))
    assert 29 * 60 < ends_in <= 30 * 60 and 'data-session-warn="120"' in page
    assert re.search(r"上次登录：\d{4}-\d\d-\d\d \d\d:\d\d（127\.0\.0\.1）", page)


def test_one_session_per_account_where_configured(app, session, user):
    app.config["SINGLE_SESSION"] = True
    first, second = app.test_client(), app.test_client()
    password_step(first, COUNTY)
    assert first.get("/students/").status_code == 200
    password_step(second, COUNTY)
    assert second.get("/students/").status_code == 200
    ended = first.get("/students/")
    assert ended.status_code == 302 and ended.location.startswith("/login")
    assert [e.after["why"] for e in trail(session, user(COUNTY).id, "logout")] == ["异地登录"]


def test_failures_and_sign_outs_are_in_the_trail(client, session, user):
    assert password_step(client, COUNTY, "wrong-password").status_code == 200
    assert password_step(client, "nobody-here", "wrong-password").status_code == 200
    password_step(client, COUNTY)
    client.post("/logout")
    events = trail(session)
    failures = [e.after for e in events if e.action == "login.failed"]
    assert [(f["username"], f["reason"]) for f in failures] == [
        (COUNTY, "用户名或密码错误"),
        ("nobody-here", "用户名或密码错误"),
    ]
    assert [e.action for e in trail(session, user(COUNTY).id)][-2:] == ["login", "logout"]


def test_wrong_codes_lock_the_account_like_wrong_passwords(client, session, user):
    password_step(client, ADMIN)
    for _ in range(5):
        assert client.post("/login/verify", data={"code": "000000"}).status_code == 422
    assert client.post("/login/verify", data={"code": pyotp.TOTP(Config.DEMO_TOTP_SECRET).now()}).status_code == 401
    locked = password_step(client, ADMIN)
    assert locked.status_code == 200 and "已暂时锁定" in locked.get_data(as_text=True)
