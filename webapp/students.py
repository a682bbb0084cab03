"""Student search and detail, within jurisdiction, and starting a case for a student."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import func, or_, select

import engine
from forms import FORMS
from models.audit import AuditEvent
from models.errors import DomainError
from models.jurisdiction import cases_visible_to, students_visible_to
from models.student import Student, StudentStatus
from models.user import Role
from models.workflow import ProcessInstance
from webapp.access import me, student_or_404
from webapp.attachments import save_evidence, with_evidence
from webapp.db import db

bp = Blueprint("students", __name__, url_prefix="/students")

# Which flows a user may start for a student, by role. The diagram says what happens next.
STARTABLE = {
    "mistaken_deletion": frozenset({Role.SCHOOL_REGISTRAR}),
    "key_data_change": frozenset({Role.SCHOOL_REGISTRAR}),
}


@bp.get("/")
@login_required
def search() -> ResponseReturnValue:
    q = (request.args.get("q") or "").strip()
    status = request.args.get("status") or ""
    page = max(request.args.get("page", 1, type=int), 1)
    query = students_visible_to(me())
    if q:
        query = query.where(
            or_(
                Student.name.startswith(q), Student.id_doc_number == q.upper(), Student.national_student_id == q.upper()
            )
        )
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
    names = engine.published_flows(db())
    startable = {key: names[key] for key, roles in STARTABLE.items() if key in names and me().has_role(*roles)}
    return render_template("students/detail.html", student=student, cases=cases, audit=audit, startable=startable)


@bp.route("/<int:student_id>/start/<process_key>", methods=["GET", "POST"])
@login_required
def start(student_id: int, process_key: str) -> ResponseReturnValue:
    student = student_or_404(student_id)
    if process_key not in STARTABLE:
        abort(404)
    if not me().has_role(*STARTABLE[process_key]):
        abort(403)
    try:
        form_key = engine.start_form_key(db(), process_key)
    except DomainError as err:
        flash(err.message, "danger")
        return redirect(url_for("students.detail", student_id=student.id))
    formdata = request.form if request.method == "POST" else None
    if formdata is not None and getattr(FORMS[form_key], "takes_files", False):
        try:  # proof files (F-18): stored first; the case links them when it starts
            ids = save_evidence(request.files.getlist("evidence_files"), student_id=student.id, by=me())
            formdata = with_evidence(request.form, ids)
        except DomainError as err:
            flash(err.message, "danger")
            return redirect(url_for("students.start", student_id=student.id, process_key=process_key))
    form = FORMS[form_key](formdata)
    if request.method == "POST" and form.validate():
        try:
            case = engine.start(
                db(),
                process_key,
                student_id=student.id,
                actor=me(),
                data=form.to_task_data(),
                display=form.display_lines(),
            )
        except DomainError as err:
            flash(err.message, "danger")
            return redirect(url_for("students.detail", student_id=student_id))
        flash(f"已提交「{case.title}」，当前状态：{case.state_label}", "success")
        return redirect(url_for("cases.detail", case_id=case.id))
    if getattr(form, "takes_files", False):
        form.evidence_ids.data = ""  # files saved with a refused form are not kept: upload them again
    status = 422 if request.method == "POST" else 200
    return render_template("students/start.html", student=student, form=form), status
