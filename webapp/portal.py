"""家长服务平台 (F-62, F-59): parents sign in on their own page (no staff account, no role), see their own children
only — any other student, case or photo is 404 — check the record, upload the photo of the signed confirmation
form, ask for corrections (waiting for the school) and follow each case by its verbatim state names.

The parent's sign-in lives in the session beside (never instead of) flask-login's: ``parent_id`` and its times.
Every page that shows a child is written to the family access log.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import insert, select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from handlers import families
from models.base import utcnow
from models.errors import DomainError, NotFound
from models.family import ConfirmationForm, FamilyAccessLog, FamilyRequest, ParentAccount
from models.jurisdiction import child_case_or_404, child_or_404, children_of
from models.student import ID_DOC_TYPES, Student
from models.workflow import InstanceEvent, ProcessInstance
from webapp import security
from webapp.db import db
from webapp.families import confirmation_pdf, read_upload
from webapp.prints import pdf_response

bp = Blueprint("portal", __name__, url_prefix="/portal")
# Open to a parent who must still change the password set by the teacher.
_OPEN_WHILE_CHANGING = {"portal.password", "portal.logout"}


class LoginForm(FlaskForm):
    phone = StringField("手机号", validators=[DataRequired("请输入手机号")])
    password = PasswordField("密码", validators=[DataRequired("请输入密码")])


class RegisterForm(FlaskForm):
    code = StringField("注册码", validators=[DataRequired("请输入学校发放的注册码")])
    phone = StringField("手机号", validators=[DataRequired("请输入手机号")])
    password = PasswordField("密码", validators=[DataRequired("请设置密码（已注册的家长输入原密码）")])


class PasswordForm(FlaskForm):
    new = PasswordField("新密码", validators=[DataRequired("请输入新密码")])
    confirm = PasswordField("再次输入新密码", validators=[DataRequired("请再次输入新密码")])


def parent() -> ParentAccount:
    account: ParentAccount = g.parent
    return account


def parent_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """The parent signed in on this browser (else to the portal's sign-in page), within the session limits."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        account_id, seen, since = session.get("parent_id"), session.get("parent_seen", 0), session.get("parent_at", 0)
        account = db().get(ParentAccount, account_id) if account_id else None
        config, now = current_app.config, time.time()
        idle, lived = now - seen > config["SESSION_IDLE_MINUTES"] * 60, now - since > config["SESSION_MAX_HOURS"] * 3600
        if account is None or idle or lived:
            session.pop("parent_id", None)
            return redirect(url_for("portal.login", next=request.full_path.rstrip("?")))
        session["parent_seen"] = time.time()
        g.parent = account
        if account.must_change_password and request.endpoint not in _OPEN_WHILE_CHANGING:
            return redirect(url_for("portal.password"))
        return view(*args, **kwargs)

    return wrapper


def own_child_or_404(student_id: int) -> Student:
    try:
        return child_or_404(db(), parent().id, student_id)
    except NotFound:
        abort(404)


def _saw(student_ids: list[int], page: str) -> None:
    """The family access log: what this parent was shown."""
    if student_ids:
        address, now = (request.remote_addr or "")[:64], utcnow()
        rows = [
            {"parent_id": parent().id, "student_id": i, "page": page, "address": address, "at": now}
            for i in student_ids
        ]
        db().execute(insert(FamilyAccessLog), rows)
        db().commit()


def _throttled() -> int:
    return security.login_throttle().wait_seconds(request.remote_addr or "")


def _sign_in(account: ParentAccount) -> ResponseReturnValue:
    target = request.args.get("next", "")
    session.clear()  # a new sign-in gets a new session: nothing of whoever used this browser before
    session["parent_id"], session["parent_seen"], session["parent_at"] = account.id, time.time(), time.time()
    if not target.startswith("/portal/") or target.startswith("//"):
        target = url_for("portal.index")
    return redirect(target)


def _demo_parents() -> list[tuple[str, str, str]]:
    if not current_app.config["DEMO_MODE"]:
        return []
    from webapp.demo import DEMO_PARENTS  # noqa: PLC0415 -- demo mode only

    return DEMO_PARENTS


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form, status = LoginForm(), 200
    if form.validate_on_submit():
        if wait := _throttled():
            flash(f"此网络地址登录失败次数过多，请{(wait + 59) // 60}分钟后再试", "danger")
            return render_template("portal/login.html", form=form, demo=_demo_parents()), 429
        throttle = families.Throttle(current_app.config["LOGIN_MAX_FAILURES"], current_app.config["LOGIN_LOCK_MINUTES"])
        try:
            account = families.authenticate(db(), form.phone.data, form.password.data, utcnow(), throttle)
            db().commit()
        except DomainError as err:
            db().commit()  # the failure count
            security.login_throttle().failed(request.remote_addr or "")
            flash(err.message, "danger")
            status = 422
        else:
            return _sign_in(account)
    return render_template("portal/login.html", form=form, demo=_demo_parents()), status


@bp.route("/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    """注册 / 绑定子女: the school-issued registration code and the parent's phone number on record."""
    form, status = RegisterForm(), 200
    if form.validate_on_submit():
        if _throttled():
            flash("此网络地址失败次数过多，请稍后再试", "danger")
            return render_template("portal/register.html", form=form), 429
        try:
            account = families.register(db(), code=form.code.data, phone=form.phone.data, password=form.password.data)
            db().commit()
        except DomainError as err:
            db().rollback()
            security.login_throttle().failed(request.remote_addr or "")
            flash(err.message, "danger")
            status = 422
        else:
            flash("已绑定子女，请核对学籍信息", "success")
            return _sign_in(account)
    return render_template("portal/register.html", form=form), status


@bp.post("/logout")
@parent_required
def logout() -> ResponseReturnValue:
    session.pop("parent_id", None)
    flash("已退出", "info")
    return redirect(url_for("portal.login"))


@bp.route("/password", methods=["GET", "POST"])
@parent_required
def password() -> ResponseReturnValue:
    form, status = PasswordForm(), 200
    if form.validate_on_submit():
        if form.new.data != form.confirm.data:
            flash("两次输入的新密码不一致", "danger")
            status = 422
        else:
            try:
                families.change_password(db(), parent(), form.new.data)
                db().commit()
            except DomainError as err:
                db().rollback()
                flash(err.message, "danger")
                status = 422
            else:
                flash("密码已修改", "success")
                return redirect(url_for("portal.index"))
    return render_template("portal/password.html", form=form, forced=parent().must_change_password), status


@bp.get("/")
@parent_required
def index() -> ResponseReturnValue:
    children = db().scalars(children_of(parent().id)).all()
    _saw([c.id for c in children], "家长服务平台：我的子女")
    return render_template("portal/index.html", children=children)


@bp.get("/students/<int:student_id>")
@parent_required
def child(student_id: int) -> ResponseReturnValue:
    student = own_child_or_404(student_id)
    form = db().get(ConfirmationForm, student.id)
    cases = (
        db()
        .scalars(
            select(ProcessInstance).where(ProcessInstance.student_id == student.id).order_by(ProcessInstance.id.desc())
        )
        .all()
    )
    requests = (
        db()
        .scalars(select(FamilyRequest).where(FamilyRequest.student_id == student.id).order_by(FamilyRequest.id.desc()))
        .all()
    )
    _saw([student.id], "家长服务平台：学籍信息")
    return render_template(
        "portal/child.html", student=student, form=form, cases=cases, requests=requests,
        id_doc_type=ID_DOC_TYPES.get(student.id_doc_type, student.id_doc_type),
        open_fields=families.OPEN_FIELDS, key_fields=families.KEY_FIELDS, labels=families.FIELD_LABELS,
        current=lambda f: families.current_value(student, f),
    )  # fmt: skip


@bp.get("/students/<int:student_id>/form.pdf")
@parent_required
def form_pdf(student_id: int) -> ResponseReturnValue:
    student = own_child_or_404(student_id)
    data = confirmation_pdf(student, f"家长下载 {utcnow():%Y-%m-%d}", None)
    _saw([student.id], "家长服务平台：学生学籍信息确认表")
    return pdf_response(data, f"学生学籍信息确认表-{student.name}")


@bp.get("/students/<int:student_id>/photo")
@parent_required
def photo(student_id: int) -> ResponseReturnValue:
    student = own_child_or_404(student_id)
    form = db().get(ConfirmationForm, student.id)
    if form is None or form.photo is None:
        abort(404)
    _saw([student.id], "家长服务平台：确认表照片")
    return Response(form.photo, mimetype=form.photo_type, headers={"Cache-Control": "private, no-store"})


@bp.post("/students/<int:student_id>/form")
@parent_required
def upload(student_id: int) -> ResponseReturnValue:
    """The photo of the signed confirmation form."""
    student = own_child_or_404(student_id)
    data, name = read_upload("file") or (b"", "")
    try:
        families.upload_form(db(), student, data, name, parent=parent())
        db().commit()
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
    else:
        flash("确认表照片已上传，班主任将核对纸质确认表", "success")
    return redirect(url_for("portal.child", student_id=student.id))


@bp.post("/students/<int:student_id>/requests")
@parent_required
def correct(student_id: int) -> ResponseReturnValue:
    """更正申请: waits for the school's confirmation; a key field needs a photo of the proof (F-18)."""
    student = own_child_or_404(student_id)
    proof = read_upload("proof")
    try:
        row = families.request_change(
            db(), parent(), student, (request.form.get("field", ""), request.form.get("value", "")), proof
        )
        db().commit()
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
    else:
        flash(f"已提交「{families.FIELD_LABELS[row.field]}」的更正申请，{row.state.label}", "success")
    return redirect(url_for("portal.child", student_id=student.id))


@bp.get("/cases/<int:case_id>")
@parent_required
def case(case_id: int) -> ResponseReturnValue:
    """A case of the child: its state and the steps done so far, as the school sees them named."""
    try:
        shown = child_case_or_404(db(), parent().id, case_id)
    except NotFound:
        abort(404)
    events = (
        db()
        .scalars(select(InstanceEvent).where(InstanceEvent.instance_id == shown.id).order_by(InstanceEvent.id))
        .all()
    )
    _saw([shown.student_id] if shown.student_id else [], "家长服务平台：业务进度")
    return render_template("portal/case.html", case=shown, events=events)
