"""入学注册 / 延期注册 / 未办理注册手续 / 学期注册 (F-15): the school's list of this term's unconfirmed students
with the deadlines in working days; the rules are handlers/term_registration.py."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from handlers import term_registration as reg
from models.base import utcnow
from models.business_calendar import local_date
from models.calendar import Term, current_term
from models.errors import DomainError
from models.student import Student
from models.term_registration import RegistrationKind, kind_of, unconfirmed
from models.user import Role
from webapp import access_log
from webapp.access import me, requires
from webapp.db import db

bp = Blueprint("term_registration", __name__, url_prefix="/term-registration")


def _term() -> Term:
    term = current_term(db(), me().org_id)
    if term is None:
        raise DomainError("本校尚未设置当前学期（学期学年设置）")
    return term


@bp.get("/")
@requires(Role.SCHOOL_REGISTRAR)
def index() -> ResponseReturnValue:
    term = current_term(db(), me().org_id)
    if term is None:
        flash("本校尚未设置当前学期（学期学年设置）", "warning")
        return render_template("registration/term.html", term=None, rows=[], deadlines={}, today=None)
    students = unconfirmed(db(), me().org_id, term.id)
    access_log.saw([s.id for s in students], "学期注册")
    deadlines = {kind: reg.deadline_of(db(), term, kind) for kind in RegistrationKind}
    rows = [(s, kind_of(s, term)) for s in students]
    today = local_date(utcnow())
    return render_template("registration/term.html", term=term, rows=rows, deadlines=deadlines, today=today)


ACTIONS = {"register": "注册", "defer": "延期注册", "not_registered": "未办理注册手续"}


@bp.post("/")
@requires(Role.SCHOOL_REGISTRAR)
def act() -> ResponseReturnValue:
    """One action on the chosen students, all or nothing."""
    action = request.form.get("action", "")
    ids = [int(v) for v in request.form.getlist("student_id") if v.isdigit()]
    today = local_date(utcnow())
    try:
        if action not in ACTIONS or not ids:
            raise DomainError("请选择学生和操作")
        term = _term()
        for student_id in ids:
            student = db().get(Student, student_id)
            if student is None or student.school_id != me().org_id:
                raise DomainError("所选学生不是本校学生")
            if action == "register":
                reg.register(db(), me(), student, term, on=today)
            elif action == "defer":
                reg.defer(db(), me(), student, term, on=today, reason=request.form.get("reason", ""))
            else:
                reg.mark_not_registered(db(), me(), student, term, on=today)
        db().commit()
        flash(f"已{ACTIONS[action]} {len(ids)} 名学生", "success")
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
    return redirect(url_for("term_registration.index"))
