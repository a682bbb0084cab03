"""Transfers (F-29…F-32): each school's incoming and outgoing transfers, and the receiving school's request.

The receiving registrar cannot see the student through jurisdiction, so a transfer starts from a lookup by
national student number + name that reveals only existence, school and status (F-06, §2.2).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import select

import engine
from forms.transfer import LookupForm, RequestForm
from models.errors import DomainError
from models.jurisdiction import ProvinceLookup, lookup_in_province, transfers_visible_to
from models.org import Cohort, SchoolClass
from models.user import Role
from models.workflow import ProcessInstance
from webapp.access import me, requires
from webapp.cases import paged
from webapp.db import db

bp = Blueprint("transfers", __name__, url_prefix="/transfers")

FLOW = "transfer_in_province"
DIRECTIONS = {"in": "转入", "out": "转出"}
IN_PROVINCE_STATES = (
    "待转入区县审核",
    "待转出学校审核",
    "待转出区县审核",
    "待市级审核",
    "转入区县审核不通过",
    "转出学校审核不通过",
    "转出区县审核不通过",
    "转出区县审核通过",
    "市级审核通过",
    "市级审核不通过",
)


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    direction = request.args.get("direction", "in")
    direction = direction if direction in DIRECTIONS else "in"
    state = request.args.get("state", "")
    query = transfers_visible_to(me(), direction)
    if state in IN_PROVINCE_STATES:
        query = query.where(ProcessInstance.state_label == state)
    cases, page, pages = paged(query, ProcessInstance.id.desc())
    return render_template(
        "transfers/index.html",
        cases=cases,
        direction=direction,
        directions=DIRECTIONS,
        state=state,
        states=IN_PROVINCE_STATES,
        page=page,
        pages=pages,
    )


def _class_choices() -> list[tuple[int, str]]:
    rows = db().execute(
        select(SchoolClass.id, SchoolClass.name, Cohort)
        .join(Cohort, Cohort.id == SchoolClass.cohort_id)
        .where(Cohort.school_id == me().org_id)
        .order_by(Cohort.stage, Cohort.cohort_year.desc(), SchoolClass.class_no)
    )
    return [(class_id, f"{cohort.name}{name}") for class_id, name, cohort in rows]


@bp.route("/new", methods=["GET", "POST"])
@requires(Role.SCHOOL_REGISTRAR)
def new() -> ResponseReturnValue:
    """Step 1 (GET): look the student up. Step 2 (POST): the request; the lookup is repeated on the server."""
    lookup_form = LookupForm(request.values if "national_student_id" in request.values else None)
    found: ProvinceLookup | None = None
    searched = "national_student_id" in request.values and lookup_form.validate()
    if searched:
        found = lookup_in_province(db(), me(), lookup_form.national_student_id.data, lookup_form.student_name.data)
    form = RequestForm(request.form if request.method == "POST" else None)
    form.to_class_id.choices = _class_choices()
    if request.method == "POST" and found is not None and form.validate():
        labels = dict(form.to_class_id.choices)
        data = {**form.to_task_data(), "to_class_name": labels.get(form.to_class_id.data, "")}
        try:
            case = engine.start(
                db(),
                FLOW,
                student_id=found.student_id,
                actor=me(),
                data=data,
                display=form.display_lines(),
                to_school_id=me().org_id,
            )
        except DomainError as err:
            flash(err.message, "danger")
        else:
            flash(f"已提交「{case.title}」，当前状态：{case.state_label}", "success")
            return redirect(url_for("cases.detail", case_id=case.id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "transfers/new.html", lookup_form=lookup_form, searched=searched, found=found, form=form
    ), status
