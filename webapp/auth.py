"""Login and logout, with throttling: after repeated failures an account is locked for a while."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.security import check_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from handlers import accounts, signin
from models.base import utcnow
from models.errors import DomainError
from models.user import User
from webapp import security
from webapp import signin as second_step
from webapp.access import me, password_policy
from webapp.db import db
from webapp.demo import CITIES, DEMO_SHOWCASE

bp = Blueprint("auth", __name__)

# Compared against when the username is unknown, so both failures take the same time.
_DUMMY_HASH = "scrypt:32768:8:1$0123456789abcdef$" + "0" * 128


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名")])
    password = PasswordField("密码", validators=[DataRequired("请输入密码")])


def _authenticate(username: str, password: str) -> tuple[User | None, str]:
    session = db()
    user = session.scalar(select(User).where(User.username == username))
    now = utcnow()
    if user is not None and user.locked_until is not None and user.locked_until.replace(tzinfo=now.tzinfo) > now:
        return None, "登录失败次数过多，账号已暂时锁定，请稍后再试"
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None, "用户名或密码错误"
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
            user.failed_logins = 0
        session.commit()
        return None, "用户名或密码错误"
    # Told only to whoever knows the password: a stranger learns nothing about the account.
    if not user.active:
        return None, "该账号已停用，请联系上级单位的系统管理员"
    if user.sealed_at is not None:
        return None, "该账号长期未使用，已被封存，请联系上级单位的系统管理员解封"
    # The failure count is cleared when the sign-in completes (webapp/signin.complete): a right password does not
    # reset the count of wrong second-factor codes.
    user.locked_until = None
    user.last_active_at = now
    session.commit()
    return user, ""


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    throttle, address = security.login_throttle(), request.remote_addr or ""
    if form.validate_on_submit():
        wait = throttle.wait_seconds(address)
        if wait:
            flash(f"此网络地址登录失败次数过多，请{(wait + 59) // 60}分钟后再试", "danger")
            return _login_page(form), 429
        username = form.username.data.strip()
        user, error = _authenticate(username, form.password.data)
        if user is None:
            throttle.failed(address)
            known = db().scalar(select(User).where(User.username == username))
            signin.failed(db(), username, known, address, error)
            db().commit()
        else:
            return second_step.begin(user, request.args.get("next", ""))
        flash(error, "danger")
    return _login_page(form)


def _login_page(form: LoginForm) -> str:
    demo_users = _demo_users() if current_app.config["DEMO_MODE"] else []
    counties = [(c.slug, c.name) for city in CITIES for c in city.counties]
    return render_template("auth/login.html", form=form, demo_users=demo_users, demo_counties=counties)


def _demo_users() -> list[User]:
    users = db().scalars(select(User).where(User.username.in_(DEMO_SHOWCASE))).all()
    return sorted(users, key=lambda u: DEMO_SHOWCASE.index(u.username))


class PasswordChangeForm(FlaskForm):
    current = PasswordField("当前密码", validators=[DataRequired("请输入当前密码")])
    new = PasswordField("新密码", validators=[DataRequired("请输入新密码")])
    confirm = PasswordField("再次输入新密码", validators=[DataRequired("请再次输入新密码")])


# What a user who must change its password may still open: the change itself, logging out, static files.
_OPEN_WHILE_CHANGING = {"auth.change_password", "auth.logout", "static", "vendor", "signin.keepalive"}


@bp.before_app_request
def _force_password_change() -> ResponseReturnValue | None:
    """F-05: a new or reset account changes its password before it does anything else."""
    if not current_user.is_authenticated or request.endpoint in _OPEN_WHILE_CHANGING:
        return None
    if current_user.must_change_password:
        return redirect(url_for("auth.change_password", next=request.full_path.rstrip("?")))
    return None


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    """修改我的密码: forced at first login and after a reset, else on demand."""
    form = PasswordChangeForm()
    user = me()
    policy = password_policy()
    if form.validate_on_submit():
        if form.new.data != form.confirm.data:
            form.confirm.errors = ["两次输入的新密码不一致"]
        else:
            try:
                accounts.change_password(db(), user, form.current.data, form.new.data, policy)
                db().commit()
            except DomainError as err:
                db().rollback()
                flash(err.message, "danger")
            else:
                flash("密码已修改", "success")
                target = request.args.get("next", "")
                if not target.startswith("/") or target.startswith("//"):
                    target = url_for("inbox.index")
                return redirect(target)
    return render_template("auth/password.html", form=form, forced=user.must_change_password, policy=policy)


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    signin.signed_out(db(), me(), (request.remote_addr or "")[:64], "退出")
    db().commit()
    logout_user()
    flash("已退出登录", "info")
    return redirect(url_for("auth.login"))
