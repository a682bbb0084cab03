"""学籍注册 pages: manual entry, Excel import, school review and 上报, county 核办, the in-school switch, G numbers."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, time
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import select

import jobs
from forms.registration import RegistrationForm
from handlers import photos, student_import
from handlers import registration as reg
from jobs import imports, uploads
from models import dedup
from models.base import utcnow
from models.divisions import tree as division_tree
from models.errors import DomainError
from models.jurisdiction import (
    problem_records_visible_to,
    registered_in_province,
    registrations_to_review_by,
    registrations_visible_to,
    schools_visible_to,
)
from models.org import Cohort, School, SchoolClass
from models.settings import PhotoCollection, RegistrationOpening
from models.student import PROBLEM_TYPES, RegistrationState, Student
from models.user import Role
from models.workflow import ProcessInstance
from webapp.access import me, requires
from webapp.db import db

bp = Blueprint("registration", __name__, url_prefix="/registration")

SCHOOL_ROLES = (Role.SCHOOL_REGISTRAR, Role.HOMEROOM_TEACHER)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/")
@requires(*SCHOOL_ROLES, Role.SCHOOL_REVIEWER)
def index() -> ResponseReturnValue:
    business_type = request.args.get("type") or ""
    state = request.args.get("state") or ""
    query = registrations_visible_to(me())
    if business_type:
        query = query.where(Student.registration_type == business_type)
    if state in RegistrationState.__members__.values():
        query = query.where(Student.registration_state == state)
    students = db().scalars(query.order_by(Student.class_id, Student.id)).all()  # no 20-per-page limit (F-12)
    return render_template(
        "registration/index.html",
        students=students,
        business_type=business_type,
        state=state,
        states=[s for s in RegistrationState if s != RegistrationState.APPROVED],
    )


@bp.post("/review")
@requires(Role.SCHOOL_REGISTRAR, Role.SCHOOL_REVIEWER)
def school_review() -> ResponseReturnValue:
    ids = [int(i) for i in request.form.getlist("student_id") if i.isdigit()]
    action = request.form.get("action")
    try:
        if action == "审核":
            outcome = reg.school_review(db(), actor=me(), student_ids=ids, comment=request.form.get("comment", ""))
        elif action == "上报":
            outcome = reg.submit(db(), actor=me(), student_ids=ids)
        else:
            abort(400)
        db().commit()
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
        return redirect(url_for("registration.index"))
    _flash_outcome(action or "", outcome)
    return redirect(url_for("registration.index"))


def _flash_outcome(action: str, outcome: reg.Outcome) -> None:
    if outcome.done:
        flash(f"{action}成功：{len(outcome.done)}人", "success")
    for reason in outcome.refused.values():
        flash(reason, "warning")
    if not outcome.done and not outcome.refused:
        flash("请先选择学生", "warning")


@bp.route("/new", methods=["GET", "POST"])
@requires(*SCHOOL_ROLES)
def new() -> ResponseReturnValue:
    form = RegistrationForm(request.form if request.method == "POST" else None)
    classes = school_classes()
    form.set_classes([(no, label) for no, label, _ in classes])
    if request.method == "POST":
        raw = {**form.values(), "grade": next((g for no, _, g in classes if no == form.class_no.data), "")}
        try:
            student = reg.register(db(), actor=me(), raw=raw, business_type=form.business_type.data or "", now=utcnow())
            pairs = [(student.id, other) for other in _duplicates_of(student)]
            db().commit()
        except reg.RegistrationRefused as err:
            db().rollback()
            form.put_errors(err.problems)
            return render_template("registration/new.html", form=form), 422
        except DomainError as err:
            db().rollback()
            flash(err.message, "danger")
            return render_template("registration/new.html", form=form), 422
        flash(f"已保存{student.name}的注册信息，{student.dedup_label}", "success")
        _open_problem_cases(pairs)
        return redirect(url_for("registration.index"))
    return render_template("registration/new.html", form=form)


@bp.get("/divisions.json")
@login_required
def divisions() -> ResponseReturnValue:
    """行政区划 for the cascading pickers (province → city → county), cached by the browser for a day."""
    response = jsonify(division_tree())
    response.cache_control.max_age = 86400
    response.cache_control.private = True
    return response


def school_classes() -> list[tuple[str, str, str]]:
    """(班级号, label, 年级) of the user's school, for the class picker; 年级 is the class name before its number."""
    rows = db().execute(
        select(SchoolClass.class_no, SchoolClass.name, Cohort)
        .join(Cohort, Cohort.id == SchoolClass.cohort_id)
        .where(Cohort.school_id == me().org_id)
        .order_by(Cohort.stage, Cohort.cohort_year.desc(), SchoolClass.class_no)
    )
    return [(no, f"{cohort.name}{name}", name.split("(")[0]) for no, name, cohort in rows]


def _duplicates_of(student: Student) -> list[int]:
    """The record a problem registration collides with (the one its 问题学籍 case names), if any."""
    if not student.problem_type:
        return []
    key = dedup.key_of(student.id_doc_number, student.name, student.sex, student.birth_date)
    return [i for i in dedup.find(db(), [key]).get(key, []) if i != student.id][:1]


def problem_parties(case: ProcessInstance) -> list[tuple[str, str, str]]:
    """Both sides of a 问题学籍 case, read-only for both schools (F-16): school, processing state, record status.
    No personal data of the other side beyond that (template global)."""
    if case.process_key != "problem_record" or not str(case.summary.get("other_student", "")).isdigit():
        return []
    records = [case.student, db().get(Student, int(case.summary["other_student"]))]
    return [(s.school.name, s.problem_state or "", s.status_label) for s in records if s is not None]


def _open_problem_cases(pairs: list[tuple[int, int]]) -> None:
    for refused in imports.open_problem_cases(db(), me(), pairs):
        flash(refused, "warning")


# -- Excel ----------------------------------------------------------------------------------------------------


@bp.get("/template.xlsx")
@requires(*SCHOOL_ROLES)
def template() -> ResponseReturnValue:
    school = db().get(School, me().org_id)
    return _download(student_import.template(school), "学生信息模板.xlsx")


def _download(data: bytes, filename: str) -> Response:
    """Chinese file names per RFC 6266 (filename*); headers themselves must stay latin-1."""
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = f"attachment; filename=students.xlsx; filename*=UTF-8''{quote(filename)}"
    return response


@bp.route("/import", methods=["GET", "POST"])
@requires(*SCHOOL_ROLES)
def import_file() -> ResponseReturnValue:
    """Upload, then a job checks (检查) or imports (确认导入) the kept file while the job page shows its bar."""
    if request.method == "GET":
        return render_template("registration/import.html", business_type="")
    request.max_content_length = current_app.config["MAX_IMPORT_LENGTH"]  # before the form is read
    business_type = request.form.get("business_type", "")
    token = request.form.get("token") or ""
    filename = ""
    if not token:  # a kept upload that has gone meanwhile fails its job with a message saying so
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash("请选择要导入的文件", "warning")
            return render_template("registration/import.html", business_type=business_type), 422
        token, filename = uploads.keep(me().id, upload.read()), upload.filename
    commit = request.form.get("action") == "确认导入"
    kind_name = imports.COMMIT if commit else imports.DRY_RUN
    # A check may be asked again; an import of one upload is one job, however often it is confirmed.
    key = imports.job_key(kind_name, me().id, token, business_type) + ("" if commit else f":{secrets.token_hex(4)}")
    job_id, created = jobs.create(
        db(),
        key=key,
        kind=kind_name,
        title=f"学籍导入（{'导入' if commit else '检查'}，{business_type}）{filename}",
        actor=me(),
        params={"token": token, "business_type": business_type, "filename": filename},
    )
    if created:
        jobs.submit(job_id)
    return redirect(url_for("jobs.show", job_id=job_id))


@bp.post("/import/<token>/errors.xlsx")
@requires(*SCHOOL_ROLES)
def import_errors(token: str) -> ResponseReturnValue:
    """The failed rows: as the upload's last check or import job wrote them, else (a job of an older version)
    checked again here."""
    data = uploads.read(me().id, token)
    if not data:
        abort(404)
    kept = uploads.errors_path(me().id, token)
    if kept.exists():
        return _download(kept.read_bytes(), "导入失败的行.xlsx")
    report = student_import.dry_run(
        db(),
        actor=me(),
        data=data,
        business_type=request.form.get("business_type", ""),
        now=utcnow(),  # not the kept dry run: it keeps the uploaded cells only when a row broke a rule of its own
    )
    return _download(student_import.error_workbook(report), "导入失败的行.xlsx")


@bp.get("/problems")
@requires(Role.SCHOOL_REGISTRAR, Role.SCHOOL_REVIEWER, Role.COUNTY_OFFICER, Role.CITY_OFFICER, Role.PROVINCE_OFFICER)
def problems() -> ResponseReturnValue:
    """问题学籍查询 (F-16): open and resolved problem records in jurisdiction, deleted ones included."""
    problem_type = request.args.get("type") or ""
    students = db().scalars(problem_records_visible_to(me(), problem_type).order_by(Student.id.desc()).limit(500)).all()
    return render_template(
        "registration/problems.html", students=students, problem_type=problem_type, types=PROBLEM_TYPES
    )


@bp.route("/photos", methods=["GET", "POST"])
@requires(*SCHOOL_ROLES)
def photo_upload() -> ResponseReturnValue:
    """F-55: one JPEG or a ZIP named by the §3.10 rules; a result per file."""
    results = None
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash("请选择照片或ZIP文件", "warning")
        else:
            try:
                results = photos.upload(db(), actor=me(), filename=upload.filename, data=upload.read())
                db().commit()
            except DomainError as err:
                db().rollback()
                flash(err.message, "danger")
    return render_template("registration/photos.html", results=results)


@bp.route("/photo-control", methods=["GET", "POST"])
@requires(Role.COUNTY_OFFICER, Role.CITY_OFFICER, Role.PROVINCE_OFFICER, Role.NATIONAL_OFFICER)
def photo_control() -> ResponseReturnValue:
    """照片采集控制 (F-55): an authority opens or closes photo collection for its whole subtree."""
    setting = db().get(PhotoCollection, me().org_id)
    if request.method == "POST":
        setting = setting or PhotoCollection(org_id=me().org_id)
        setting.closed = request.form.get("closed") == "1"
        setting.changed_by_id, setting.changed_at = me().id, utcnow()
        db().add(setting)
        db().commit()
        flash("已关闭照片采集" if setting.closed else "已开放照片采集", "success")
        return redirect(url_for("registration.photo_control"))
    return render_template("registration/photo_control.html", closed=bool(setting and setting.closed))


# -- authority ------------------------------------------------------------------------------------------------


@bp.get("/authority")
@requires(Role.COUNTY_OFFICER)
def authority() -> ResponseReturnValue:
    students = db().scalars(registrations_to_review_by(me()).order_by(Student.school_id, Student.id)).all()
    return render_template("registration/authority.html", students=students)


@bp.post("/authority")
@requires(Role.COUNTY_OFFICER)
def authority_decide() -> ResponseReturnValue:
    ids = [int(i) for i in request.form.getlist("student_id") if i.isdigit()]
    passed = request.form.get("decision") == "通过"
    try:
        outcome = reg.authority_review(
            db(), actor=me(), student_ids=ids, passed=passed, reason=request.form.get("reason", ""), now=utcnow()
        )
        db().commit()
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
        return redirect(url_for("registration.authority"))
    _flash_outcome("核办" + ("通过" if passed else "不通过"), outcome)
    return redirect(url_for("registration.authority"))


@bp.route("/opening", methods=["GET", "POST"])
@requires(Role.PROVINCE_OFFICER)
def opening() -> ResponseReturnValue:
    """F-09: a province opens 在校生注册 for one school (or the whole province) until a date."""
    schools = db().scalars(schools_visible_to(me())).all()
    if request.method == "POST":
        org_id = request.form.get("org_id", type=int)
        until = request.form.get("until", "")
        allowed = {s.id for s in schools} | {me().org_id}
        try:
            day = datetime.strptime(until, "%Y-%m-%d").date()
        except ValueError:
            day = None
        if org_id not in allowed or day is None:
            flash("请选择学校并填写有效的截止日期", "danger")
        else:
            db().add(
                RegistrationOpening(
                    org_id=org_id, open_until=datetime.combine(day, time.max, tzinfo=UTC), opened_by_id=me().id
                )
            )
            db().commit()
            flash("已临时开放在校生注册", "success")
        return redirect(url_for("registration.opening"))
    openings = (
        db()
        .scalars(
            select(RegistrationOpening)
            .where(RegistrationOpening.org_id.in_([s.id for s in schools] + [me().org_id]))
            .order_by(RegistrationOpening.id.desc())
        )
        .all()
    )
    names = {s.id: s.name for s in schools} | {me().org_id: me().org.name + "（全省）"}
    return render_template("registration/opening.html", schools=schools, openings=openings, names=names)


@bp.route("/g-numbers", methods=["GET", "POST"])
@requires(Role.NATIONAL_OFFICER)
def g_numbers() -> ResponseReturnValue:
    """F-14 G: the national batch that turns eligible L numbers into G + ID number."""
    if request.method == "POST":
        issued = reg.issue_g_numbers(db(), actor=me())
        db().commit()
        flash(f"已发放正式学籍号（G字头）{issued}个", "success")
        return redirect(url_for("registration.g_numbers"))
    return render_template("registration/g_numbers.html")


@bp.route("/lookup", methods=["GET", "POST"])
@requires(*SCHOOL_ROLES, Role.SCHOOL_REVIEWER, Role.COUNTY_OFFICER, Role.CITY_OFFICER, Role.PROVINCE_OFFICER)
def lookup() -> ResponseReturnValue:
    """F-06 全省学籍查询: name + ID number → 已注册 (school and status only) or 未注册, within the province."""
    answer = None
    if request.method == "POST":
        name = (request.form.get("name") or "").strip()
        number = (request.form.get("id_doc_number") or "").strip().upper()
        found = db().scalars(registered_in_province(me(), name, number)).first() if name and number else None
        answer = {"found": found, "name": name}
    return render_template("registration/lookup.html", answer=answer)
