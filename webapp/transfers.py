"""Transfers (F-29…F-32): each school's incoming and outgoing transfers, the receiving school's requests, and
the relay's actions on stuck cross-province requests.

The receiving registrar cannot see the student through jurisdiction, so an in-province transfer starts from a
lookup by national student number + name that reveals only existence, school and status (F-06, §2.2); a
cross-province one carries only number + name + province (§2.2) and is validated by the other province.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import func, select

import engine
from forms import TaskForm, transfer_cross
from forms.transfer import LookupForm, RequestForm
from models.base import utcnow
from models.business_calendar import initiation_refusal
from models.errors import DomainError
from models.exchange import failures_by_correlation
from models.jurisdiction import (
    ProvinceLookup,
    cases_awaiting,
    cases_visible_to,
    lookup_in_province,
    transfers_visible_to,
)
from models.org import class_choices, other_provinces
from models.user import Role
from models.workflow import InboxTask, ProcessInstance
from webapp.access import me, requires
from webapp.cases import paged
from webapp.db import db

bp = Blueprint("transfers", __name__, url_prefix="/transfers")

IN_PROVINCE, CROSS_IN = "transfer_in_province", "transfer_cross_province_in"
DIRECTIONS = {"in": "转入", "out": "转出"}
# The verbatim states of domain.md F-30 and F-31, in the order of the tables.
IN_PROVINCE_STATES = (
    "待转入区县审核",
    "待转出学校审核",
    "待转出区县审核",
    "待市级审核",
    "转入区县审核通过",
    "转入区县审核不通过",
    "转出学校审核通过",
    "转出学校审核不通过",
    "转出区县审核不通过",
    "市级审核通过",
    "市级审核不通过",
    "转出区县审核通过",
)
CROSS_PROVINCE_STATES = (
    "转入学校审核通过",
    "转入区县审核通过",
    "转入区县审核不通过",
    "转学申请已发往转出省",
    "转出省校验未通过",
    "等待转出学校审核",
    "转出学校审核通过",
    "转出学校审核不通过",
    "转出区县审核通过",
    "转出区县审核不通过",
    "转出地市审核通过",
    "转出地市审核不通过",
    "转出省级审核通过",
    "转出省级审核不通过",
    "等待转入学校调档",
    "调档申请已发往转出省",
    "学籍调档完毕",
    "转学撤销申请已发往转出省",
    "转学撤销完毕",
    "异常结束",
)
ALL_STATES = tuple(dict.fromkeys(IN_PROVINCE_STATES + CROSS_PROVINCE_STATES))
STUCK = "转学申请已发往转出省"
RELAY_ACTIONS = {"打回": (Role.NATIONAL_OFFICER, Role.PROVINCE_OFFICER), "异常结束": (Role.NATIONAL_OFFICER,)}


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    awaiting = cases_awaiting(me())
    waiting = {
        key: db().scalar(
            select(func.count()).select_from(
                transfers_visible_to(me(), key).where(ProcessInstance.id.in_(awaiting)).subquery()
            )
        )
        or 0
        for key in DIRECTIONS
    }
    # Opened without a choice, the list shows the first direction where something waits for the user.
    direction = request.args.get("direction") or next((key for key, n in waiting.items() if n), "in")
    direction = direction if direction in DIRECTIONS else "in"
    state = request.args.get("state", "")
    mine = request.args.get("mine") == "1"
    query = transfers_visible_to(me(), direction)
    if state in ALL_STATES:
        query = query.where(ProcessInstance.state_label == state)
    if mine:
        query = query.where(ProcessInstance.id.in_(awaiting))
    cases, page, pages = paged(query, ProcessInstance.id.desc())
    mine_ids = set(db().scalars(awaiting.where(InboxTask.instance_id.in_([c.id for c in cases]))))
    return render_template(
        "transfers/index.html",
        cases=cases,
        direction=direction,
        directions=DIRECTIONS,
        waiting=waiting,
        awaiting_me=mine_ids,
        mine=mine,
        state=state,
        states=ALL_STATES,
        page=page,
        pages=pages,
    )


def calendar_notice(business: str = "transfer") -> str | None:
    """Why the business (转学 unless named) cannot be initiated today (F-33), shown before anything is filled in."""
    return initiation_refusal(db(), me().org.ancestor_ids()[1], business, utcnow())


def _class_choices() -> list[tuple[int, str]]:
    return [choice for choices in class_choices(db(), me().org_id).values() for choice in choices]


def start_request(
    process_key: str, student_id: int | None, form: TaskForm, **labels: str
) -> ResponseReturnValue | None:
    """Start the school's request (it is the receiving school) and show the case; None, with the reason flashed,
    when the flow refuses it."""
    data = {**form.to_task_data(), **labels}
    try:
        case = engine.start(
            db(),
            process_key,
            student_id=student_id,
            actor=me(),
            data=data,
            display=form.display_lines(),
            to_school_id=me().org_id,
        )
    except DomainError as err:
        flash(err.message, "danger")
        return None
    flash(f"已提交「{case.title}」，当前状态：{case.state_label}", "success")
    return redirect(url_for("cases.detail", case_id=case.id))


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
        label = dict(form.to_class_id.choices).get(form.to_class_id.data, "")
        started = start_request(IN_PROVINCE, found.student_id, form, to_class_name=label)
        if started is not None:
            return started
    status = 422 if request.method == "POST" else 200
    return render_template(
        "transfers/new.html",
        lookup_form=lookup_form,
        searched=searched,
        found=found,
        form=form,
        notice=calendar_notice(),
    ), status


@bp.route("/cross-province/new", methods=["GET", "POST"])
@requires(Role.SCHOOL_REGISTRAR)
def cross_new() -> ResponseReturnValue:
    """跨省转学申请 (F-31 step 1): province, name, national number, class and reason; nothing is looked up."""
    form = transfer_cross.RequestForm(request.form if request.method == "POST" else None)
    own_province = me().org.ancestor_ids()[1]
    form.from_province_id.choices = other_provinces(db(), own_province)
    form.to_class_id.choices = _class_choices()
    if request.method == "POST" and form.validate():
        started = start_request(
            CROSS_IN,
            None,
            form,
            to_class_name=dict(form.to_class_id.choices).get(form.to_class_id.data, ""),
            from_province_name=dict(form.from_province_id.choices).get(form.from_province_id.data, ""),
        )
        if started is not None:
            return started
    status = 422 if request.method == "POST" else 200
    return render_template("transfers/cross_new.html", form=form, notice=calendar_notice()), status


@bp.route("/relay", methods=["GET", "POST"])
@requires(Role.NATIONAL_OFFICER, Role.PROVINCE_OFFICER)
def relay() -> ResponseReturnValue:
    """Requests stuck in 转学申请已发往转出省 (F-31 1-7): 打回 for resubmission, or 异常结束 (national)."""
    stuck = cases_visible_to(me()).where(ProcessInstance.process_key == CROSS_IN, ProcessInstance.state_label == STUCK)
    if request.method == "POST":
        action = request.form.get("action", "")
        reason = (request.form.get("reason") or "").strip()
        ids = [int(i) for i in request.form.getlist("case_id") if i.isdigit()]
        if action not in RELAY_ACTIONS or not me().has_role(*RELAY_ACTIONS[action]):
            abort(403)
        if not ids or not reason:
            flash("请选择申请并填写原因", "danger")
        else:
            cases = db().scalars(stuck.where(ProcessInstance.id.in_(ids))).all()
            for case in cases:
                engine.relay(db(), case.id, "xp_status", {"state": action, "reason": reason})
            flash(f"已{action} {len(cases)} 条申请", "success")
            return redirect(url_for("transfers.relay"))
    cases = db().scalars(stuck.order_by(ProcessInstance.id)).all()
    errors = failures_by_correlation(db(), [c.correlation_key or "" for c in cases])
    actions = [a for a, roles in RELAY_ACTIONS.items() if me().has_role(*roles)]
    return render_template("transfers/relay.html", cases=cases, actions=actions, errors=errors)
