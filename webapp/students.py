"""Student search and detail, within jurisdiction, and starting a case for a student."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

import engine
from handlers import class_change, graduation, status_change
from models.audit import AuditEvent
from models.errors import DomainError
from models.jurisdiction import cases_visible_to, students_visible_to
from models.org import Cohort, SchoolClass
from models.student import Student, StudentStatus, has_id_number, has_national_id
from models.transitions import NON_TERMINAL
from models.user import Role
from models.workflow import InstanceEvent, ProcessInstance
from webapp import access_log
from webapp.access import me, requires, student_or_404
from webapp.attachments import save_evidence, with_evidence
from webapp.db import db

bp = Blueprint("students", __name__, url_prefix="/students")

# Which flows a user may start for a student, by role. The diagram says what happens next.
STARTABLE = {
    "mistaken_deletion": frozenset({Role.SCHOOL_REGISTRAR}),
    "key_data_change": frozenset({Role.SCHOOL_REGISTRAR}),
    "status_change": frozenset({Role.SCHOOL_REGISTRAR}),
    "dropout": frozenset({Role.SCHOOL_REGISTRAR}),
    "senior_graduation": frozenset({Role.SCHOOL_REGISTRAR}),
}
# The record states a flow is offered for (the diagram's check step decides for real): 复学 and 死亡 also apply to
# students away from school (§4.3 T9, T10).
OFFERED_FOR = {"status_change": NON_TERMINAL}
# Flows offered only for some students beyond their status: 高中毕结业 for senior pupils who could leave (R12).
APPLIES: dict[str, Callable[[Session, Student], bool]] = {
    "senior_graduation": graduation.senior_application_applies,
}


@bp.get("/")
@login_required
def search() -> ResponseReturnValue:
    q = (request.args.get("q") or "").strip()
    status = request.args.get("status") or ""
    page = max(request.args.get("page", 1, type=int), 1)
    query = students_visible_to(me())
    if q:
        query = query.where(or_(Student.name.startswith(q), has_id_number(q), has_national_id(q)))
    if status in StudentStatus.__members__.values():
        query = query.where(Student.status == status)
    per_page = current_app.config["PAGE_SIZE"]
    total = db().scalar(select(func.count()).select_from(query.subquery())) or 0
    students = (
        db()
        .scalars(
            query.order_by(Student.school_id, Student.class_id, Student.name)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        .all()
    )
    access_log.saw((s.id for s in students), "学生查询")
    return render_template(
        "students/search.html",
        students=students,
        q=q,
        status=status,
        page=page,
        pages=max(1, -(-total // per_page)),
        total=total,
        statuses=list(StudentStatus),
    )


@bp.get("/<int:student_id>")
@login_required
def detail(student_id: int) -> ResponseReturnValue:
    student = student_or_404(student_id)
    access_log.saw([student.id], "学生信息")
    cases = (
        db()
        .scalars(
            cases_visible_to(me()).where(ProcessInstance.student_id == student.id).order_by(ProcessInstance.id.desc())
        )
        .all()
    )
    audit = (
        db()
        .scalars(
            select(AuditEvent)
            .where(AuditEvent.entity == "student", AuditEvent.entity_id == student.id)
            .order_by(AuditEvent.id)
        )
        .all()
    )
    trails: dict[int, list[InstanceEvent]] = {case.id: [] for case in cases}
    for event in db().scalars(
        select(InstanceEvent).where(InstanceEvent.instance_id.in_(list(trails))).order_by(InstanceEvent.id)
    ):
        trails[event.instance_id].append(event)
    names = engine.published_flows(db())
    startable = {
        key: names[key]
        for key, roles in STARTABLE.items()
        if key in names
        and me().has_role(*roles)
        and student.open_case_id is None
        and student.status in OFFERED_FOR.get(key, {StudentStatus.IN_SCHOOL})
        and (key not in APPLIES or APPLIES[key](db(), student))
    }
    movable = class_change.sibling_classes(db(), student) if me().has_role(Role.SCHOOL_REGISTRAR) else []
    return render_template(
        "students/detail.html",
        student=student,
        cases=cases,
        audit=audit,
        startable=startable,
        movable=movable,
        trails=trails,
    )


@bp.post("/<int:student_id>/class")
@requires(Role.SCHOOL_REGISTRAR)
def change_class(student_id: int) -> ResponseReturnValue:
    """学生调班 (F-20)."""
    student = student_or_404(student_id)
    try:
        class_change.change_class(db(), me(), student, request.form.get("class_id", 0, type=int))
        db().commit()
        flash(f"{student.name}已调至{student.school_class.name if student.school_class else ''}", "success")
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
    return redirect(url_for("students.detail", student_id=student_id))


@bp.route("/<int:student_id>/start/<process_key>", methods=["GET", "POST"])
@login_required
def start(student_id: int, process_key: str) -> ResponseReturnValue:
    student = student_or_404(student_id)
    if process_key not in STARTABLE:
        abort(404)
    if not me().has_role(*STARTABLE[process_key]):
        abort(403)
    try:
        form_cls = engine.form_class(
            engine.current_version(db(), process_key), engine.start_form_key(db(), process_key) or ""
        )
    except DomainError as err:
        flash(err.message, "danger")
        return redirect(url_for("students.detail", student_id=student.id))
    try:
        form = _start_form(student, form_cls)
    except DomainError as err:  # a refused proof file
        flash(err.message, "danger")
        return redirect(url_for("students.start", student_id=student.id, process_key=process_key))
    if request.method == "POST" and form.validate():
        try:
            data = form.to_task_data()
            if "attachment_ids" in form:
                data["attachment_ids"] = _store_uploads(student)
            case = engine.start(
                db(), process_key, student_id=student.id, actor=me(), data=data, display=form.display_lines()
            )
        except DomainError as err:
            db().rollback()
            flash(err.message, "danger")
            return redirect(url_for("students.detail", student_id=student_id))
        flash(f"已提交「{case.title}」，当前状态：{case.state_label}", "success")
        if case.summary.get("warning"):
            flash(case.summary["warning"], "warning")
        return redirect(url_for("cases.detail", case_id=case.id))
    if getattr(form, "takes_files", False):
        form.evidence_ids.data = ""  # files saved with a refused form are not kept: upload them again
    status = 422 if request.method == "POST" else 200
    return render_template("students/start.html", student=student, form=form), status


def _start_form(student: Student, form_cls: Any) -> Any:
    """The start form with its posted data: proof files stored first (the case links them when it starts),
    choices that depend on the school and on the status-change configuration filled in."""
    formdata = request.form if request.method == "POST" else None
    if formdata is not None and getattr(form_cls, "takes_files", False):
        ids = save_evidence(request.files.getlist("evidence_files"), student_id=student.id, by=me())
        formdata = with_evidence(request.form, ids)
    form = form_cls(formdata)
    form.scope(db(), me())
    if "change_type" in form:  # F-54: only enabled status-change types are offered
        form.change_type.choices = [(t.code.value, t.label) for t in status_change.enabled_types(db())]
        classes = db().scalars(
            select(SchoolClass)
            .join(Cohort)
            .where(Cohort.school_id == student.school_id)
            .order_by(Cohort.cohort_year.desc(), SchoolClass.class_no)
        )
        form.target_class_id.choices = [("", "—")] + [(c.id, f"{c.cohort.name} {c.name}") for c in classes]
    return form


def _store_uploads(student: Student) -> str:
    """Evidence files of a request (§3.11), stored in the request's transaction; their ids go to the case."""
    ids = save_evidence(request.files.getlist("attachments"), by=me(), student_id=student.id, kind="佐证材料")
    return ",".join(str(i) for i in ids)
