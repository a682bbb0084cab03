"""Signing in past the password (issue 22 item 5): the second factor (TOTP or a recovery code), enrolment at the
first sign-in that needs it, session limits (idle timeout, absolute lifetime, one session per account), the last
sign-in shown to the user, the province's sign-in policy, and every sign-in, failure and sign-out in the audit trail.

The password step (webapp/auth.py) hands a user who needs the second factor to ``begin``: nobody is logged in until
the code is right, so every page but these stays closed.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from handlers import signin
from models.base import utcnow
from models.errors import DomainError
from models.org import OrgLevel
from models.user import Role, User
from webapp import security
from webapp.access import me, requires
from webapp.db import db

bp = Blueprint("signin", __name__)

PENDING_SECONDS = 300  # between the password and the code
# Requests that are not the user's activity: a page polling a job's progress must not keep an idle session alive.
NOT_ACTIVITY = {"jobs.status", "static", "vendor", "signin.keepalive"}


class CodeForm(FlaskForm):
    code = StringField("动态口令或恢复码", validators=[DataRequired("请输入动态口令")])


def _address() -> str:
    return (request.remote_addr or "")[:64]


def _safe_target(target: str) -> str:
    # Only local paths: an absolute URL here would make the login page an open redirect.
    return target if target.startswith("/") and not target.startswith("//") else url_for("inbox.index")


# -- after the password -------------------------------------------------------------------------------------------


def begin(user: User, target: str, how: str = "password") -> ResponseReturnValue:
    """The password was right: log in now, or first ask for (or enrol) the second factor."""
    if signin.second_factor_required(db(), user):
        session["pending_user"], session["pending_at"], session["pending_next"] = user.id, time.time(), target
        session.pop("pending_secret", None)
        endpoint = "signin.second_factor" if user.totp_confirmed_at else "signin.enroll"
        return redirect(url_for(endpoint))
    return complete(user, target, how)


def complete(user: User, target: str, how: str) -> ResponseReturnValue:
    for key in ("pending_user", "pending_at", "pending_next", "pending_secret"):
        session.pop(key, None)
    user.failed_logins = 0
    token, previous = signin.signed_in(db(), user, _address(), utcnow(), how)
    db().commit()
    login_user(user)
    now = time.time()
    session["sid"], session["login_at"], session["seen_at"] = token, now, now
    session["previous_login"] = [previous["at"].isoformat() if previous["at"] else "", previous["address"]]
    if user.must_change_password:
        flash("首次登录或密码已被重置，请先修改密码", "warning")
        return redirect(url_for("auth.change_password", next=target))
    return redirect(_safe_target(target))


def _pending() -> User | None:
    user_id, at = session.get("pending_user"), session.get("pending_at", 0)
    if user_id is None or time.time() - at > PENDING_SECONDS:
        return None
    user = db().get(User, user_id)
    return user if user is not None and user.is_active else None


def _expired() -> ResponseReturnValue:
    message = "请先在登录页输入用户名和密码（两步之间超过5分钟需重新输入）。"
    return render_template("error.html", code=401, title="请重新登录", message=message), 401


@bp.route("/login/verify", methods=["GET", "POST"])
def second_factor() -> ResponseReturnValue:
    user = _pending()
    if user is None or user.totp_confirmed_at is None:
        return _expired()
    form, status = CodeForm(), 200
    if form.validate_on_submit():
        throttle = security.login_throttle()
        if throttle.wait_seconds(_address()):
            flash("此网络地址登录失败次数过多，请稍后再试", "danger")
            return render_template("auth/second_factor.html", form=form, demo_code=_demo_code(user)), 429
        how = signin.verify_second_factor(db(), user, form.code.data, utcnow())
        if how is not None:
            if how == "recovery":
                flash(f"已使用一个恢复码登录，剩余{len(user.recovery_codes)}个；用完前请重新绑定验证器", "warning")
            return complete(user, session.get("pending_next", ""), how)
        throttle.failed(_address())
        signin.failed(db(), user.username, user, _address(), "动态口令错误")
        # Wrong codes count with wrong passwords: the same lock ends guessing (a code has only 10^6 values).
        user.failed_logins += 1
        if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
            user.locked_until = utcnow() + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
            user.failed_logins = 0
            session.pop("pending_user", None)
        db().commit()
        flash("动态口令或恢复码不正确", "danger")
        status = 422
    return render_template("auth/second_factor.html", form=form, demo_code=_demo_code(user)), status


def _demo_code(user: User) -> str:
    """Demo mode shows the current code of the demo administrators, whose secret is the documented demo one."""
    demo_secret = current_app.config["DEMO_TOTP_SECRET"]
    if current_app.config["DEMO_MODE"] and user.totp_secret == demo_secret:
        import pyotp  # noqa: PLC0415 -- demo only

        return str(pyotp.TOTP(demo_secret).now())
    return ""


@bp.route("/login/enroll", methods=["GET", "POST"])
def enroll() -> ResponseReturnValue:
    """First sign-in of an account that needs the second factor: bind an authenticator app, get recovery codes."""
    user = _pending()
    if user is None:
        return _expired()
    secret = session.setdefault("pending_secret", signin.new_secret())
    form, status = CodeForm(), 200
    if form.validate_on_submit():
        try:
            codes = signin.enroll(db(), user, secret, form.code.data, utcnow())
        except DomainError as err:
            db().rollback()
            flash(err.message, "danger")
            status = 422
        else:
            target = session.get("pending_next", "")
            complete(user, target, "enroll")
            return render_template("auth/recovery_codes.html", codes=codes, target=_safe_target(target))
    uri = signin.provisioning_uri(user, secret)
    return render_template("auth/enroll.html", form=form, secret=secret, uri=uri), status


# -- session limits --------------------------------------------------------------------------------------------------


def _end(why: str, message: str) -> ResponseReturnValue:
    user = me()
    signin.signed_out(db(), user, _address(), why)
    db().commit()
    logout_user()
    session.clear()
    flash(message, "warning")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?") if request.method == "GET" else ""))


def _limits() -> ResponseReturnValue | None:
    """Idle timeout, absolute lifetime and one session per account, checked before every request."""
    if not current_user.is_authenticated or request.endpoint in {"static", "vendor"}:
        return None
    config, now = current_app.config, time.time()
    login_at, seen_at = session.get("login_at"), session.get("seen_at")
    if login_at is None or seen_at is None:  # a session from before these limits: start counting now
        session["login_at"] = session["seen_at"] = now
        return None
    if now - seen_at > config["SESSION_IDLE_MINUTES"] * 60:
        return _end("超时", f"超过{config['SESSION_IDLE_MINUTES']}分钟未操作，已自动退出，请重新登录")
    if now - login_at > config["SESSION_MAX_HOURS"] * 3600:
        return _end("超时", f"登录已满{config['SESSION_MAX_HOURS']}小时，请重新登录")
    if config["SINGLE_SESSION"] and session.get("sid") != me().session_token:
        return _end("异地登录", "该账号已在其他地方登录，本次会话已结束；如非本人操作，请立即修改密码")
    if request.endpoint not in NOT_ACTIVITY:
        session["seen_at"] = now
    return None


def session_ends() -> dict[str, Any]:
    """For the page's warning (static/session.js): seconds until the session ends, and how early to warn."""
    if not current_user.is_authenticated or "login_at" not in session:
        return {}
    config, now = current_app.config, time.time()
    idle_end = session.get("seen_at", now) + config["SESSION_IDLE_MINUTES"] * 60
    hard_end = session["login_at"] + config["SESSION_MAX_HOURS"] * 3600
    return {"ends_in": int(min(idle_end, hard_end) - now), "warn": config["SESSION_WARN_SECONDS"]}


def previous_login() -> str:
    """上次登录: the time and address of the sign-in before this one, for the page header."""
    at, address = (session.get("previous_login") or ["", ""])[:2]
    if not at:
        return "首次登录"
    from models.clock import display_zone  # noqa: PLC0415

    shown = datetime.fromisoformat(at).replace(tzinfo=UTC).astimezone(display_zone()).strftime("%Y-%m-%d %H:%M")
    return f"上次登录：{shown}（{address or '未知地址'}）"


@bp.get("/session/keepalive")
@login_required
def keepalive() -> ResponseReturnValue:
    """The warning's 继续使用 button: counts as activity."""
    session["seen_at"] = time.time()
    return "", 204


# -- the province's sign-in policy (security administrator) ------------------------------------------------------------


@bp.route("/security/sign-in", methods=["GET", "POST"])
@requires(Role.SECURITY_ADMINISTRATOR, at=(OrgLevel.PROVINCE,))
def policy() -> ResponseReturnValue:
    status = 200
    if request.method == "POST":
        FlaskForm().validate_on_submit()  # the CSRF check
        wanted = [level for level in signin.POLICY_LEVELS if request.form.get(level.value)]
        try:
            signin.save_policy(db(), me(), wanted)
            db().commit()
        except DomainError as err:
            db().rollback()
            flash(err.message, "danger")
            status = 422
        else:
            flash("登录安全策略已保存", "success")
            return redirect(url_for("signin.policy"))
    return render_template(
        "auth/policy.html", policy=signin.policy(db(), me().org_id), levels=signin.POLICY_LEVELS
    ), status


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.before_request(_limits)
    app.jinja_env.globals["session_ends"] = session_ends
    app.jinja_env.globals["previous_login"] = previous_login
