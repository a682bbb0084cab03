"""系统管理: accounts of the administrator's subtree (用户管理), 角色配置, and the province's organisations and
schools — the workbook import and the edits afterwards. Rules live in handlers/accounts.py and handlers/orgs.py,
who may touch what in models/jurisdiction.py."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import func, or_, select
from wtforms import PasswordField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired
from wtforms.widgets import CheckboxInput, ListWidget

from handlers import accounts, orgs
from jobs import uploads
from models import jurisdiction
from models.base import utcnow
from models.errors import DomainError
from models.org import OrgLevel, OrgUnit, School, Stage
from models.user import ROLE_LABELS, Role, User
from webapp.access import administered_unit_or_404, administered_user_or_404, me, password_policy, requires
from webapp.db import db

bp = Blueprint("admin", __name__, url_prefix="/admin")
ADMIN_LEVELS = (OrgLevel.NATIONAL, OrgLevel.PROVINCE, OrgLevel.CITY, OrgLevel.COUNTY)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NewUserForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请填写用户名")])
    full_name = StringField("姓名", validators=[DataRequired("请填写姓名")])
    org_id = SelectField("所属单位", coerce=int, validate_choice=False)  # jurisdiction decides, not the list
    roles = Checkboxes("角色", choices=[])
    password = PasswordField("初始密码", validators=[DataRequired("请填写初始密码")])
    confirm = PasswordField("再次输入初始密码", validators=[DataRequired("请再次输入初始密码")])


class EditUserForm(FlaskForm):
    full_name = StringField("姓名", validators=[DataRequired("请填写姓名")])
    roles = Checkboxes("角色", choices=[])


class ResetForm(FlaskForm):
    password = PasswordField("临时密码", validators=[DataRequired("请填写临时密码")])


class UploadForm(FlaskForm):
    file = FileField("组织机构与学校工作簿（.xlsx）")


class UnitForm(FlaskForm):
    name = StringField("名称", validators=[DataRequired("请填写名称")])
    division_code = StringField("行政区划代码", validators=[DataRequired("请填写行政区划代码")])


class SchoolForm(FlaskForm):
    name = StringField("学校名称", validators=[DataRequired("请填写学校名称")])
    school_type = SelectField("办学类型", choices=[SelectChoice(t) for t in orgs.SCHOOL_TYPES])
    stages = Checkboxes("学段", choices=[SelectChoice(s.value, s.label) for s in Stage])
    address = StringField("学校地址")
    name_en = StringField("学校英文名称", validators=[DataRequired("学校英文名称不能为空，没有请填“无”")])


def _role_choices(roles: Any) -> list[SelectChoice]:
    return [SelectChoice(role.value, ROLE_LABELS[role]) for role in roles]


def _state(user: User) -> str:
    if not user.active:
        return "已停用"
    if user.sealed_at is not None:
        return "已封存"
    if user.locked_until is not None and user.locked_until.replace(tzinfo=None) > utcnow().replace(tzinfo=None):
        return "已锁定"
    return "待修改密码" if user.must_change_password else "正常"


# -- 用户管理 -------------------------------------------------------------------------------------------------


@bp.get("/users")
@requires(Role.ADMINISTRATOR, at=ADMIN_LEVELS)
def users() -> ResponseReturnValue:
    q = request.args.get("q", "").strip()
    query = jurisdiction.users_administered_by(me())
    if q:
        like = f"%{q}%"
        query = query.where(or_(User.username.like(like), User.full_name.like(like), OrgUnit.name.like(like)))
    per_page = current_app.config["PAGE_SIZE"]
    total = db().scalar(query.with_only_columns(func.count(User.id)).order_by(None)) or 0
    page = max(1, request.args.get("page", 1, type=int))
    rows = db().scalars(query.order_by(OrgUnit.path, User.username).limit(per_page).offset((page - 1) * per_page))
    return render_template(
        "admin/users.html",
        rows=list(rows),
        q=q,
        page=page,
        pages=max(1, -(-total // per_page)),
        total=total,
        state=_state,
    )


def _new_user_form() -> NewUserForm:
    form = NewUserForm()
    units = db().scalars(jurisdiction.units_administered_by(me()).where(OrgUnit.level != OrgLevel.NATIONAL)).all()
    form.org_id.choices = [SelectChoice(unit.id, f"{unit.name}（{unit.level.label}）") for unit in units]
    grantable = accounts.grantable_roles(db(), me())
    form.roles.choices = _role_choices(role for role in Role if role in grantable)
    return form


@bp.route("/users/new", methods=["GET", "POST"])
@requires(Role.ADMINISTRATOR, at=ADMIN_LEVELS)
def new_user() -> ResponseReturnValue:
    form = _new_user_form()
    if request.method == "GET" and request.args.get("org", type=int):
        form.org_id.data = request.args.get("org", type=int)
    if form.validate_on_submit():
        if form.password.data != form.confirm.data:
            form.confirm.errors = ["两次输入的密码不一致"]
        else:
            try:
                user = accounts.create_user(
                    db(),
                    me(),
                    username=form.username.data,
                    full_name=form.full_name.data,
                    org=administered_unit_or_404(form.org_id.data),
                    roles=[Role(value) for value in form.roles.data],
                    password=form.password.data,
                    policy=password_policy(),
                )
                db().commit()
            except DomainError as err:
                db().rollback()
                flash(err.message, "danger")
            else:
                flash(f"已创建账号 {user.username}（{user.org.name}），首次登录时须修改密码", "success")
                return redirect(url_for("admin.user", user_id=user.id))
    status = 422 if request.method == "POST" else 200
    roles_by_level = {level: accounts.ROLES_AT_LEVEL[level] for level in OrgLevel if level is not OrgLevel.NATIONAL}
    return render_template(
        "admin/user_new.html", form=form, policy=password_policy(), roles_by_level=roles_by_level
    ), status


def _edit_form(user: User) -> EditUserForm:
    form = EditUserForm(obj=None if request.method == "POST" else user)
    allowed = accounts.roles_for(db(), me(), user.org)
    shown = [role for role in Role if role in allowed or role in user.roles]
    form.roles.choices = _role_choices(shown)
    if request.method == "GET":
        form.roles.data = [role.value for role in user.roles]
    return form


def _user_page(user: User, form: EditUserForm | None = None, status: int = 200) -> ResponseReturnValue:
    allowed = set(accounts.roles_for(db(), me(), user.org))
    return render_template(
        "admin/user.html",
        target=user,
        form=form or _edit_form(user),
        reset=ResetForm(),
        state=_state(user),
        locked_roles=[ROLE_LABELS[role] for role in user.roles if role not in allowed],
        policy=password_policy(),
    ), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires(Role.ADMINISTRATOR, at=ADMIN_LEVELS)
def user(user_id: int) -> ResponseReturnValue:
    target = administered_user_or_404(user_id)
    form = _edit_form(target)
    if form.validate_on_submit():
        try:
            roles = [Role(value) for value in form.roles.data]
            accounts.update_user(db(), me(), target, full_name=form.full_name.data, roles=roles)
            db().commit()
        except DomainError as err:
            db().rollback()
            flash(err.message, "danger")
            return _user_page(target, form, 422)
        flash("已保存", "success")
        return redirect(url_for("admin.user", user_id=target.id))
    return _user_page(target, form, 422 if request.method == "POST" else 200)


def _act(target: User, action: str) -> ResponseReturnValue:
    try:
        if action == "disable":
            accounts.set_active(db(), me(), target, active=False)
            done = "账号已停用"
        elif action == "enable":
            accounts.set_active(db(), me(), target, active=True)
            done = "账号已启用"
        elif action == "reopen":
            accounts.reopen(db(), me(), target, utcnow())
            done = "账号已解封"
        else:
            form = ResetForm()
            accounts.reset_password(db(), me(), target, form.password.data or "", password_policy())
            done = "密码已重置，账号已解锁；该用户下次登录时须修改密码"
        db().commit()
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
        return _user_page(target, status=422)
    flash(done, "success")
    return redirect(url_for("admin.user", user_id=target.id))


@bp.post("/users/<int:user_id>/disable")
@requires(Role.ADMINISTRATOR, at=ADMIN_LEVELS)
def disable(user_id: int) -> ResponseReturnValue:
    return _act(administered_user_or_404(user_id), "disable")


@bp.post("/users/<int:user_id>/enable")
@requires(Role.ADMINISTRATOR, at=ADMIN_LEVELS)
def enable(user_id: int) -> ResponseReturnValue:
    return _act(administered_user_or_404(user_id), "enable")


@bp.post("/users/<int:user_id>/reopen")
@requires(Role.ADMINISTRATOR, at=ADMIN_LEVELS)
def reopen(user_id: int) -> ResponseReturnValue:
    return _act(administered_user_or_404(user_id), "reopen")


@bp.post("/users/<int:user_id>/reset")
@requires(Role.ADMINISTRATOR, at=ADMIN_LEVELS)
def reset(user_id: int) -> ResponseReturnValue:
    return _act(administered_user_or_404(user_id), "reset")


# -- 角色配置 -------------------------------------------------------------------------------------------------


@bp.route("/roles", methods=["GET", "POST"])
@requires(Role.SECURITY_ADMINISTRATOR, at=(OrgLevel.PROVINCE,))  # roles and permissions: 三员分立
def roles() -> ResponseReturnValue:
    status = 200
    if request.method == "POST":
        FlaskForm().validate_on_submit()  # the CSRF check
        chosen = {
            level: [Role(v) for v in request.form.getlist(level.value) if v in Role._value2member_map_]
            for level in accounts.CONFIGURABLE_LEVELS
        }
        try:
            accounts.save_grants(db(), me(), chosen)
            db().commit()
        except DomainError as err:
            db().rollback()
            flash(err.message, "danger")
            status = 422
        else:
            flash("角色配置已保存", "success")
            return redirect(url_for("admin.roles"))
    return render_template(
        "admin/roles.html",
        levels=accounts.CONFIGURABLE_LEVELS,
        grants=accounts.grants(db(), me().org_id),
        possible={level: accounts.roles_below(level) for level in accounts.CONFIGURABLE_LEVELS},
    ), status


# -- 组织机构与学校 --------------------------------------------------------------------------------------------


@bp.get("/orgs")
@requires(Role.ADMINISTRATOR, at=(OrgLevel.PROVINCE,))
def orgs_index() -> ResponseReturnValue:
    q = request.args.get("q", "").strip()
    units = (
        db()
        .scalars(jurisdiction.units_administered_by(me()).where(OrgUnit.level.in_([OrgLevel.CITY, OrgLevel.COUNTY])))
        .all()
    )
    counted = db().execute(
        select(OrgUnit.parent_id, func.count(OrgUnit.id))
        .where(OrgUnit.level == OrgLevel.SCHOOL, OrgUnit.path.startswith(me().org.path, autoescape=True))
        .group_by(OrgUnit.parent_id)
    )
    counts = {parent_id: number for parent_id, number in counted}
    schools: list[tuple[OrgUnit, School]] = []
    if q:
        query = (
            select(OrgUnit, School)
            .join(School, School.org_id == OrgUnit.id)
            .where(
                OrgUnit.path.startswith(me().org.path, autoescape=True),
                or_(OrgUnit.name.like(f"%{q}%"), School.school_code == q),
            )
            .order_by(OrgUnit.path)
            .limit(100)
        )
        schools = [(unit, school) for unit, school in db().execute(query)]
    return render_template("admin/orgs.html", units=units, counts=counts, q=q, schools=schools)


@bp.route("/orgs/<int:org_id>", methods=["GET", "POST"])
@requires(Role.ADMINISTRATOR, at=(OrgLevel.PROVINCE,))
def org(org_id: int) -> ResponseReturnValue:
    unit = administered_unit_or_404(org_id)
    if unit.level is OrgLevel.SCHOOL and unit.school is not None:
        return _school_page(unit.school)
    if unit.level not in (OrgLevel.CITY, OrgLevel.COUNTY):
        return redirect(url_for("admin.orgs_index"))
    form = UnitForm(obj=None if request.method == "POST" else unit)
    if form.validate_on_submit():
        try:
            orgs.rename_unit(db(), me(), unit, name=form.name.data, division_code=form.division_code.data)
            db().commit()
        except DomainError as err:
            db().rollback()
            flash(err.message, "danger")
        else:
            flash("已保存", "success")
            return redirect(url_for("admin.org", org_id=unit.id))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/unit.html", unit=unit, form=form), status


def _school_page(school: School) -> ResponseReturnValue:
    form = SchoolForm(obj=None if request.method == "POST" else school)
    if request.method == "GET":
        form.name.data = school.name
        form.stages.data = [stage.value for stage in school.stage_list]
    if form.validate_on_submit():
        try:
            orgs.update_school(
                db(),
                me(),
                school,
                name=form.name.data,
                school_type=form.school_type.data,
                stages=[Stage(value) for value in form.stages.data],
                address=form.address.data or "",
                name_en=form.name_en.data,
            )
            db().commit()
        except DomainError as err:
            db().rollback()
            flash(err.message, "danger")
        else:
            flash("已保存", "success")
            return redirect(url_for("admin.org", org_id=school.org_id))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/school.html", school=school, form=form), status


@bp.get("/orgs/template")
@requires(Role.ADMINISTRATOR, at=(OrgLevel.PROVINCE,))
def org_template() -> ResponseReturnValue:
    return Response(
        orgs.template(),
        mimetype=XLSX,
        headers={"Content-Disposition": "attachment; filename*=UTF-8''%E7%BB%84%E7%BB%87%E6%9C%BA%E6%9E%84.xlsx"},
    )


@bp.route("/orgs/import", methods=["GET", "POST"])
@requires(Role.ADMINISTRATOR, at=(OrgLevel.PROVINCE,))
def org_import() -> ResponseReturnValue:
    form = UploadForm()
    if form.validate_on_submit():
        upload = request.files.get("file")
        data = upload.read() if upload else b""
        if not data:
            flash("请选择要导入的Excel文件", "danger")
            return render_template("admin/org_import.html", form=form), 422
        token = uploads.keep(me().id, data)
        plan = orgs.dry_run(db(), me().org, data)
        db().rollback()
        return render_template("admin/org_import.html", form=form, plan=plan, token=token, committed=False)
    return render_template("admin/org_import.html", form=form)


def _expired() -> ResponseReturnValue:
    flash("上传的文件已过期，请重新上传", "warning")
    return redirect(url_for("admin.org_import"))


@bp.post("/orgs/import/<token>")
@requires(Role.ADMINISTRATOR, at=(OrgLevel.PROVINCE,))
def org_import_commit(token: str) -> ResponseReturnValue:
    FlaskForm().validate_on_submit()
    data = uploads.read(me().id, token)
    if not data:
        return _expired()
    plan = orgs.commit(db(), me(), me().org, data)
    db().commit()
    return render_template("admin/org_import.html", form=UploadForm(), plan=plan, token=token, committed=True)


@bp.get("/orgs/import/<token>/failed")
@requires(Role.ADMINISTRATOR, at=(OrgLevel.PROVINCE,))
def org_import_failed(token: str) -> ResponseReturnValue:
    data = uploads.read(me().id, token)
    if not data:
        return _expired()
    plan = orgs.dry_run(db(), me().org, data)
    db().rollback()
    return Response(
        orgs.failed_workbook(plan),
        mimetype=XLSX,
        headers={"Content-Disposition": "attachment; filename*=UTF-8''%E5%AF%BC%E5%85%A5%E5%A4%B1%E8%B4%A5.xlsx"},
    )
