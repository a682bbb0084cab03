"""CSRF, cookies, login throttling, redirects and headers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from conftest import PASSWORD
from models.base import utcnow
from webapp import create_app


@pytest.fixture
def csrf_client(connection):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "csrf-test",
            "DB_ENGINE": connection,
            "DB_SESSION_OPTIONS": {"join_transaction_mode": "create_savepoint"},
            "SESSION_COOKIE_SECURE": True,
        }
    )
    return app.test_client()


def token(page) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.get_data(as_text=True)).group(1)


def test_csrf_is_enforced_on_login_and_on_tasks(csrf_client, flows, user, student_of):
    case = flows(
        "mistaken_deletion",
        student=student_of("nanming-xx-registrar"),
        by=user("nanming-xx-registrar"),
        reason="误录入",
    )
    task_id = case.open_task("county_review").id
    refused = csrf_client.post("/login", data={"username": "nanming-county", "password": PASSWORD})
    assert refused.status_code == 400
    login_page = csrf_client.get("/login")
    response = csrf_client.post(
        "/login", data={"username": "nanming-county", "password": PASSWORD, "csrf_token": token(login_page)}
    )
    assert response.status_code == 302
    assert csrf_client.post(f"/tasks/{task_id}", data={"decision": "删除"}).status_code == 400
    assert case.state == "未处理"
    task_page = csrf_client.get(f"/tasks/{task_id}")
    done = csrf_client.post(
        f"/tasks/{task_id}", data={"decision": "删除", "confirmed": "1", "csrf_token": token(task_page)}
    )
    assert done.status_code == 302 and case.state == "已删除"


def test_session_cookie_flags(csrf_client):
    login_page = csrf_client.get("/login")
    response = csrf_client.post(
        "/login", data={"username": "nanming-county", "password": PASSWORD, "csrf_token": token(login_page)}
    )
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_repeated_failures_lock_the_account(client, user, session):
    for _ in range(5):
        page = client.post("/login", data={"username": "meitan-county", "password": "wrong"})
        assert "用户名或密码错误" in page.get_data(as_text=True)
    locked = client.post("/login", data={"username": "meitan-county", "password": PASSWORD})
    assert locked.status_code == 200 and "账号已暂时锁定" in locked.get_data(as_text=True)
    account = user("meitan-county")
    session.refresh(account)
    account.locked_until = utcnow() - timedelta(minutes=1)
    session.commit()
    assert client.post("/login", data={"username": "meitan-county", "password": PASSWORD}).status_code == 302


def test_unknown_user_gets_the_same_message(client):
    page = client.post("/login", data={"username": "nobody", "password": "x"})
    assert "用户名或密码错误" in page.get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_login_never_redirects_off_site(client, target):
    response = client.post(f"/login?next={target}", data={"username": "nanming-county", "password": PASSWORD})
    assert response.location == "/"


def test_login_follows_a_local_next(client):
    response = client.post("/login?next=/cases/mine", data={"username": "nanming-county", "password": PASSWORD})
    assert response.location == "/cases/mine"


def test_security_headers(client):
    headers = client.get("/login").headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in headers["Content-Security-Policy"]


def test_demo_password_only_in_demo_mode(client, app):
    assert PASSWORD not in client.get("/login").get_data(as_text=True)
    app.config["DEMO_MODE"] = True
    app.jinja_env.globals["demo_mode"] = True
    page = client.get("/login").get_data(as_text=True)
    assert PASSWORD in page and "nanming-xx-registrar" in page


def test_vendor_assets_are_served_locally_and_nothing_else(client):
    for url in ("/vendor/bootstrap/css/bootstrap.min.css", "/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js"):
        with client.get(url) as response:
            assert response.status_code == 200
    assert client.get("/vendor/lodash/lodash.js").status_code == 404
    assert client.get("/vendor/bootstrap/../../package.json").status_code == 404
