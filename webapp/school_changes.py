"""学校合并、撤销 / 更名 / 校区增撤 (F-50): the county files a change of one of its schools; the flow
(processes/school_change.bpmn) takes it to the city's review (merge, closure) and applies it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

import engine as wf
from forms import FORMS
from handlers.school_changes import in_county
from models import jurisdiction
from models.errors import DomainError
from models.user import Role
from models.workflow import ProcessInstance
from webapp.access import me, requires
from webapp.db import db

bp = Blueprint("school_changes", __name__, url_prefix="/school-changes")
FORM = "school_change.request"


def _page(form: object, status: int = 200) -> ResponseReturnValue:
    cases = db().scalars(
        jurisdiction.cases_visible_to(me())
        .where(ProcessInstance.process_key == "school_change")
        .order_by(ProcessInstance.id.desc())
        .limit(50)
    )
    schools = in_county(db(), me().org)
    return render_template("admin/school_changes.html", form=form, schools=schools, cases=list(cases)), status


@bp.get("/")
@requires(Role.COUNTY_OFFICER)
def index() -> ResponseReturnValue:
    return _page(FORMS[FORM]())


@bp.post("/")
@requires(Role.COUNTY_OFFICER)
def start() -> ResponseReturnValue:
    form = FORMS[FORM](request.form)
    school_id = request.form.get("school_id", type=int)
    school = next((s for s in in_county(db(), me().org) if s.org_id == school_id), None)
    if school is None:
        abort(404)
    if not form.validate():
        return _page(form, 422)
    try:
        case = wf.start(
            db(),
            "school_change",
            student_id=None,
            actor=me(),
            data={**form.to_task_data(), "student_name": school.name},  # the case title names the school
            display=form.display_lines(),
            to_school_id=school.org_id,
        )
    except DomainError as err:
        flash(err.message, "danger")
        return _page(form, 422)
    flash(f"{school.name}的{form.kind.data}申请已提交：{case.state_label or '已办结'}", "success")
    return redirect(url_for("cases.detail", case_id=case.id))
