"""Cases: those I started, one case with its history, and the county's 误操作删除 list (F-19)."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from models.attachment import Attachment
from models.jurisdiction import cases_visible_to, may_act
from models.user import Role
from models.workflow import InboxTask, InstanceEvent, ProcessInstance, TaskStatus
from webapp import access_log
from webapp.access import case_or_404, me, requires
from webapp.db import db
from webapp.workbench import case_panel, mark_copy_read

bp = Blueprint("cases", __name__, url_prefix="/cases")

DELETION_FILTERS = ("未处理", "已删除", "已驳回", "已取消")


def paged(query: object, order: object) -> tuple[list[ProcessInstance], int, int]:
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = current_app.config["PAGE_SIZE"]
    total = db().scalar(select(func.count()).select_from(query.subquery())) or 0  # type: ignore[attr-defined]
    rows = (
        db()
        .scalars(
            query.options(joinedload(ProcessInstance.student))  # type: ignore[attr-defined]
            .order_by(order)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        .all()
    )
    return list(rows), page, max(1, -(-total // per_page))


@bp.get("/mine")
@login_required
def mine() -> ResponseReturnValue:
    query = cases_visible_to(me()).where(ProcessInstance.initiator_id == me().id)
    cases, page, pages = paged(query, ProcessInstance.id.desc())
    return render_template("cases/mine.html", cases=cases, page=page, pages=pages)


@bp.get("/mistaken-deletions")
@requires(Role.COUNTY_OFFICER, Role.CITY_OFFICER, Role.PROVINCE_OFFICER, Role.NATIONAL_OFFICER)
def deletions() -> ResponseReturnValue:
    state = request.args.get("state", "未处理")
    query = cases_visible_to(me()).where(ProcessInstance.process_key == "mistaken_deletion")
    if state in DELETION_FILTERS:
        query = query.where(ProcessInstance.state_label == state)
    cases, page, pages = paged(query, ProcessInstance.id.desc())
    return render_template(
        "cases/deletions.html", cases=cases, state=state, filters=DELETION_FILTERS, page=page, pages=pages
    )


@bp.get("/<int:case_id>")
@login_required
def detail(case_id: int) -> ResponseReturnValue:
    case = case_or_404(case_id)
    mark_copy_read(case.id)
    access_log.saw([case.student_id], "业务详情")
    events = (
        db()
        .scalars(
            select(InstanceEvent)
            .options(joinedload(InstanceEvent.user), joinedload(InstanceEvent.org))
            .where(InstanceEvent.instance_id == case.id)
            .order_by(InstanceEvent.id)
        )
        .all()
    )
    open_tasks = (
        db()
        .scalars(
            select(InboxTask)
            .options(joinedload(InboxTask.org), joinedload(InboxTask.claimed_by))
            .where(InboxTask.instance_id == case.id, InboxTask.status == TaskStatus.OPEN)
        )
        .all()
    )
    mine = [t for t in open_tasks if may_act(me(), t)]
    done = sorted({e.bpmn_id for e in events if e.bpmn_id})
    return render_template(
        "cases/detail.html",
        case=case,
        events=events,
        open_tasks=open_tasks,
        my_tasks=mine,
        done=done,
        wb=case_panel(case, list(open_tasks)),
    )


@bp.get("/<int:case_id>/diagram.bpmn")
@login_required
def diagram(case_id: int) -> ResponseReturnValue:
    """The diagram version this case runs on, for the case page's viewer."""
    return Response(case_or_404(case_id).version.bpmn_xml, mimetype="application/xml")


@bp.get("/<int:case_id>/attachments/<int:attachment_id>")
@login_required
def attachment(case_id: int, attachment_id: int) -> ResponseReturnValue:
    """An evidence file of a case the user may see (§3.11); anything else is 404."""
    case = case_or_404(case_id)
    row = db().get(Attachment, attachment_id)
    if row is None or row.instance_id != case.id:
        abort(404)
    access_log.saw([case.student_id], "业务附件")
    return Response(
        row.data,
        mimetype=row.content_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.filename)}"},
    )
