"""CSRF, cookies, login throttling, redirects and headers."""

from __future__ import annotations

import io
import os
import re
from datetime import timedelta

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from conftest import PASSWORD
from models.base import utcnow
from webapp import create_app
from webapp.config import ROOT, Config
from webapp.security import LoginThrottle


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


# -- content-security policy, cookies, login rate, upload limits (issue 18) --------------------------------------------


def test_the_content_security_policy_allows_no_inline_script_or_style(client):
    policy = client.get("/login").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
    # Only bpmn-js's own toolbar icons may carry a style attribute, each allowed by its hash.
    assert all(token.startswith("'sha256-") for token in directives["style-src-attr"].split()[1:])


JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")  # template code, not markup: only=..., online=...


def test_no_template_has_inline_scripts_styles_or_event_handlers():
    inline = re.compile(r"style=|<style|<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+=|javascript:", re.IGNORECASE)
    found = [
        f"{path.relative_to(ROOT)}:{no}: {line.strip()}"
        for path in sorted((ROOT / "webapp" / "templates").rglob("*.html"))
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if inline.search(JINJA.sub("", line))
    ]
    assert not found, "move these into webapp/static (xueji.css classes, .js files):\n" + "\n".join(found)


def test_cookies_are_secure_unless_turned_off_for_local_http(csrf_client):
    assert os.environ.get("XUEJI_SECURE_COOKIES") is not None or (
        Config.SESSION_COOKIE_SECURE and Config.REMEMBER_COOKIE_SECURE
    )
    assert Config.SESSION_COOKIE_HTTPONLY and Config.REMEMBER_COOKIE_HTTPONLY
    headers = csrf_client.get("/login").headers
    assert headers["Strict-Transport-Security"] == "max-age=31536000"


def test_many_failed_logins_from_one_address_are_slowed_down(client, app):
    app.config["LOGIN_IP_MAX_FAILURES"] = 3
    app.extensions["xueji_login_throttle"].max_failures = 3
    for name in ("nobody-1", "nobody-2", "nanming-county"):  # across accounts, so no account lock helps
        assert client.post("/login", data={"username": name, "password": "wrong"}).status_code == 200
    refused = client.post("/login", data={"username": "nanming-county", "password": PASSWORD})
    assert refused.status_code == 429
    assert "此网络地址登录失败次数过多，请5分钟后再试" in refused.get_data(as_text=True)
    elsewhere = client.post(
        "/login", data={"username": "nanming-county", "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.0.0.7"}
    )
    assert elsewhere.status_code == 302


def test_successful_logins_do_not_count(client, app):
    app.extensions["xueji_login_throttle"].max_failures = 1
    for _ in range(3):
        assert client.post("/login", data={"username": "nanming-county", "password": PASSWORD}).status_code == 302
        client.post("/logout")


def test_the_login_limit_forgets_failures_after_its_window(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr("webapp.security.time.monotonic", lambda: now[0])
    throttle = LoginThrottle(max_failures=2, window_seconds=300)
    throttle.failed("10.1.1.1")
    now[0] += 100
    throttle.failed("10.1.1.1")
    assert throttle.wait_seconds("10.1.1.1") == 201 and throttle.wait_seconds("10.1.1.2") == 0
    now[0] += 201
    assert throttle.wait_seconds("10.1.1.1") == 0


def multipart(fields: dict[str, object]) -> dict[str, object]:
    """The body built in memory: the test client's own encoder spools big files to a temporary file it never
    closes (a ResourceWarning)."""
    boundary, body = encode_multipart(fields)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def test_a_body_over_the_limit_is_refused_unread_in_chinese(login_as, student_of):
    pupil = student_of("nanming-xx-registrar")
    client = login_as("nanming-xx-registrar")
    big = {"reason": "x", "attachments": FileStorage(io.BytesIO(b"%PDF-" + b"0" * (17 * 1024 * 1024)), "证明.pdf")}
    page = client.post(f"/students/{pupil.id}/start/status_change", **multipart(big))
    assert page.status_code == 413
    assert "上传的文件过大：此页面最多接受 16 MB，请压缩或拆分成几个文件后分批上传" in page.get_data(as_text=True)


def test_the_higher_limit_of_an_import_holds_with_csrf_protection_on(csrf_client):
    login_page = csrf_client.get("/login")
    csrf_client.post(
        "/login",
        data={"username": "nanming-xx-registrar", "password": PASSWORD, "csrf_token": token(login_page)},
    )
    fields = {
        "csrf_token": token(csrf_client.get("/registration/import")),
        "business_type": "新生注册",
        "file": FileStorage(io.BytesIO(b"%PDF-" + b"0" * (20 * 1024 * 1024)), "学生.xlsx"),
    }
    page = csrf_client.post("/registration/import", **multipart(fields))
    assert page.status_code == 302 and "/jobs/" in page.location  # taken, and checked by a job (not a 413)


def test_an_import_may_be_bigger_but_must_be_a_workbook(login_as):
    client = login_as("nanming-xx-registrar")
    not_xlsx = {
        "business_type": "新生注册",
        "file": FileStorage(io.BytesIO(b"%PDF-" + b"0" * (20 * 1024 * 1024)), "学生.xlsx"),
    }
    page = client.post("/registration/import", **multipart(not_xlsx))
    assert page.status_code == 302 and "/jobs/" in page.location  # taken, and checked by a job (not a 413)
    results = login_as("nanming-county").post(
        "/admissions/results/import",
        data={"file": (io.BytesIO(b"\x89PNG\r\n\x1a\n"), "结果.xlsx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "文件不是有效的Excel（.xlsx）文件" in results.get_data(as_text=True)
