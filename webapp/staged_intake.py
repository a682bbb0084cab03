"""学前调档 / 数据核对转入 (F-10) for the school: upload a class's pull list, confirm 待确认学前学籍, export the pulled
students, see each staged record's 校验状态 and move those that passed into the registration pipeline."""

from __future__ import annotations

import re
from urllib.parse import quote

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from forms.registration import RegistrationForm
from handlers import staged_intake as staged
from models.base import utcnow
from models.errors import DomainError
from models.staged_intake import waiting_confirmation
from models.user import Role
from webapp import access_log, xlsx
from webapp.access import me, requires, staged_record_or_404
from webapp.db import db
from webapp.registration import XLSX, school_classes

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


@bp.get("/template.xlsx")
@requires(*SCHOOL)
def template() -> ResponseReturnValue:
    """B.4 学前调档名单模板, with this school's 班号 to choose from."""
    response = Response(staged.pull_list_template(staged.class_numbers(db(), me())), mimetype=XLSX)
    name = quote("学前调档名单模板.xlsx")
    response.headers["Content-Disposition"] = f"attachment; filename=pull-list.xlsx; filename*=UTF-8''{name}"
    return response


@bp.route("/data-source", methods=["GET", "POST"])
@requires(*SCHOOL)
def data_source() -> ResponseReturnValue:
    """数据核对转入: another programme's records of this school (学生信息模板's columns), all rows or none; a refused
    file is listed row by row as a check would (nothing saved)."""
    if request.method == "GET":
        return render_template("registration/staged_source.html", problems=[])
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("请选择要上传的文件", "warning")
        return render_template("registration/staged_source.html", problems=[]), 422
    try:
        count = staged.stage_data_source_file(db(), me(), upload.read())
        db().commit()
    except staged.StagingRefused as err:
        db().rollback()
        flash(err.message, "danger")
        return render_template("registration/staged_source.html", problems=err.problems), 422
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
        return render_template("registration/staged_source.html", problems=[]), 422
    flash(f"已上传{count}名学生，请由班主任逐一核对后转入学籍系统", "success")
    return redirect(url_for("staged_intake.index"))


def _form_data(data: dict[str, object]) -> dict[str, object]:
    """The record's YYYYMMDD / YYYYMM as the browser's date and month inputs take them."""
    found = dict(data)
    for key, pattern in (("birth_date", r"(\d{4})(\d{2})(\d{2})"), ("entry_month", r"(\d{4})(\d{2})")):
        if re.fullmatch(pattern, str(found.get(key) or "")):
            found[key] = "-".join(re.fullmatch(pattern, str(found[key])).groups())  # type: ignore[union-attr]
    return found


@bp.route("/<int:staged_id>/correct", methods=["GET", "POST"])
@requires(*SCHOOL)
def correct(staged_id: int) -> ResponseReturnValue:
    """核对: the basic data and the family members against the paper form; saved as typed, the 校验状态 says what
    is still missing."""
    row = staged_record_or_404(staged_id)
    classes = school_classes()
    if request.method == "POST":
        form = RegistrationForm(request.form)
        form.set_classes([(no, label) for no, label, _ in classes])
        values = {**form.values(), "grade": next((g for no, _, g in classes if no == form.class_no.data), "")}
        try:
            staged.correct(db(), me(), row.id, values)
            db().commit()
        except DomainError as err:
            db().rollback()
            flash(err.message, "danger")
            return render_template("registration/staged_correct.html", form=form, row=row, state=""), 422
        flash("已保存核对结果", "success")
        return redirect(url_for("staged_intake.correct", staged_id=row.id))
    access_log.exported("数据核对", 1)
    form = RegistrationForm(data=_form_data(row.data))
    form.set_classes([(no, label) for no, label, _ in classes])
    found = staged.problems(db(), me(), row, utcnow())
    form.put_errors(found)
    state = staged.NOT_PASSED if found else staged.PASSED
    return render_template("registration/staged_correct.html", form=form, row=row, state=state)
