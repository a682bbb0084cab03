"""学前调档 / 数据核对转入 (F-10) for the school: upload a class's pull list, confirm 待确认学前学籍, export the pulled
students, see each staged record's 校验状态 and move those that passed into the registration pipeline."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from handlers import staged_intake as staged
from models.base import utcnow
from models.errors import DomainError
from models.staged_intake import waiting_confirmation
from models.user import Role
from webapp import access_log, xlsx
from webapp.access import me, requires
from webapp.db import db

bp = Blueprint("staged_intake", __name__, url_prefix="/staged-intake")
SCHOOL = (Role.SCHOOL_REGISTRAR,)


@bp.get("/")
@requires(*SCHOOL)
def index() -> ResponseReturnValue:
    rows = staged.staged_of(db(), me())
    access_log.exported("学前调档与数据核对转入", len(rows))
    now = utcnow()
    checked = [(row, staged.status(db(), me(), row, now)) for row in rows]
    return render_template(
        "registration/staged.html", rows=checked, waiting=waiting_confirmation(db(), me().org_id), passed=staged.PASSED
    )


@bp.post("/")
@requires(*SCHOOL)
def act() -> ResponseReturnValue:
    """上传调档名单 / 全部确认 / 转入学籍系统, each all or nothing."""
    action = request.form.get("action", "")
    try:
        if action == "upload":
            upload = request.files.get("file")
            count = staged.stage_upload(db(), me(), upload.read() if upload else b"")
            message = f"已上传{count}名学生，请在待确认学前学籍中确认"
        elif action == "confirm":
            message = f"已确认{staged.confirm_all(db(), me())}名学生"
        elif action == "move":
            student = staged.move_into_registration(db(), me(), request.form.get("staged_id", type=int) or 0, utcnow())
            message = f"{student.name}已转入学籍系统（{student.registration_label}）"
        else:
            raise DomainError("请选择操作")
        db().commit()
        flash(message, "success")
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
    return redirect(url_for("staged_intake.index"))


@bp.get("/export")
@requires(*SCHOOL)
def export() -> ResponseReturnValue:
    """调档学生导出: by class, once every pulled record is confirmed."""
    try:
        rows = staged.pulled_for_export(db(), me())
    except DomainError as err:
        flash(err.message, "danger")
        return redirect(url_for("staged_intake.index"))
    access_log.exported("调档学生导出", len(rows))
    headers = list(staged.PULL_COLUMNS)
    values = [[row.data.get(field, "") for field in staged.PULL_COLUMNS.values()] for row in rows]
    return xlsx.download("调档学生", headers, values, by=me())
