"""The reviewer's inbox and the task page: the form named by the task's formKey, beside the case history, with
the approval verbs of ``webapp.workbench`` around it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

import engine
from forms.workbench import BulkForm, SavedViewForm
from models.admission import RecordLocked
from models.errors import DomainError, NotFound
from models.inbox import (
    DUE_STATES,
    SORTS,
    InboxFilter,
    escalated_below,
    handled_by,
    next_task,
    open_tasks,
)
from models.jurisdiction import cases_visible_to, may_act
from models.workflow import CaseStatus, InboxTask, ProcessInstance, SignMode, TaskKind
from webapp import access_log
from webapp.access import me, task_or_404
from webapp.attachments import save_evidence, with_evidence
from webapp.db import db
from webapp.workbench import pending_work, saved_views, task_panel

bp = Blueprint("inbox", __name__)


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    sort = request.args.get("sort", "oldest")
    sort = sort if sort in SORTS else "oldest"
    flt = InboxFilter.from_args(request.args)
    page = open_tasks(
        db(),
        me(),
        flt=flt,
        sort=sort,
        page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"],
    )
    steps = page.steps  # of all the open tasks, counted with the page's (one scan of the seat's index)
    access_log.shown(task.instance.student_id for task in page.tasks)  # their names, read without their records
    return render_template(
        "inbox/index.html",
        page=page,
        sort=sort,
        flt=flt,
        flow=flt.flow,
        flows=engine.published_flows(db()),
        steps=steps.steps,
        due_states=DUE_STATES,
        views=saved_views(),
        view_form=SavedViewForm(),
        bulk_form=BulkForm(),
        escalated_below=db().scalar(select(func.count()).select_from(escalated_below(me()).subquery())),
        worklist=[item for item in pending_work({"inbox.index": steps.total}) if item.key != "inbox.index"],
        next_up=_next_up(),
        by_flow=steps.by_flow,
        in_flight=db()
        .scalars(
            cases_visible_to(me())
            .where(ProcessInstance.initiator_id == me().id, ProcessInstance.status == CaseStatus.OPEN)
            .order_by(ProcessInstance.id.desc())
            .limit(10)
        )
        .all(),
    )


def _next_up() -> InboxTask | None:
    raw = request.args.get("next", "")
    row = db().get(InboxTask, int(raw)) if raw.isdigit() else None
    return row if row is not None and row.status == "open" and may_act(me(), row) else None


@bp.get("/done")
@login_required
def done() -> ResponseReturnValue:
    """已办: what I handled, newest first, with the case's state now."""
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = current_app.config["PAGE_SIZE"]
    rows = (
        db()
        .scalars(handled_by(me()).options(joinedload(InboxTask.instance)).limit(per_page).offset((page - 1) * per_page))
        .all()
    )
    total = db().scalar(select(func.count()).select_from(handled_by(me()).subquery())) or 0
    # The list names pupils from the cases' summaries, without loading their records: say whom it showed.
    access_log.saw((row.instance.student_id for row in rows), "已办")
    return render_template("inbox/done.html", rows=rows, page=page, pages=max(1, -(-total // per_page)))


def _form_for(row: Any, formdata: Any) -> Any:
    form_cls = engine.form_class(row.instance.version, row.form_key)
    held = (row.draft or {}).get("data") if formdata is None else None
    form = form_cls(formdata, data=held) if held else form_cls(formdata)
    form.scope(db(), me())
    form.prepare(db(), row.instance)
    return form


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: int) -> ResponseReturnValue:
    row = task_or_404(task_id)
    access_log.saw([row.instance.student_id], "任务办理")
    if row.status != "open":
        flash("该任务已被处理", "warning")
        return redirect(url_for("cases.detail", case_id=row.instance_id))
    formdata = request.form if request.method == "POST" else None
    if formdata is not None and getattr(engine.form_class(row.instance.version, row.form_key), "takes_files", False):
        try:  # proof files of 佐证/变更 (F-16): stored first, the form then carries their ids
            ids = save_evidence(
                request.files.getlist("evidence_files"),
                instance_id=row.instance_id,
                student_id=row.instance.student_id,
                by=me(),
            )
        except DomainError as err:
            flash(err.message, "danger")
            return redirect(url_for("inbox.task", task_id=row.id))
        formdata = with_evidence(request.form, ids)
    form = _form_for(row, formdata)
    confirm = ""
    if request.method == "POST" and form.validate():
        confirm = form.needs_confirmation() if request.form.get("confirmed") != "1" else ""
        if not confirm:
            return _submitted(row, form)
    if getattr(form, "takes_files", False) and not confirm:
        form.evidence_ids.data = ""  # files saved with a refused form are not kept: upload them again
    status = 422 if request.method == "POST" and not confirm else 200
    return render_template(
        "inbox/task.html",
        task=row,
        case=row.instance,
        form=form,
        locked_message=RecordLocked.message,
        panel=task_panel(row),
        confirm=confirm,
        student=_student_name(row),
    ), status


def _student_name(row: Any) -> str:
    case = row.instance
    return case.student.name if case.student is not None else str(case.summary.get("student_name", ""))


def _submitted(row: Any, form: Any) -> ResponseReturnValue:
    """Submit, then say whom it concerned and how it ended, and offer the next task of the same step."""
    try:
        message = _submit(row, form)
    except (DomainError, NotFound) as err:
        flash(err.message, "danger")
        return redirect(url_for("inbox.index"))
    outcome = form.outcome()
    flash(f"{message}：{_student_name(row)}" + (f"，{outcome}" if outcome else ""), "success")
    nxt = next_task(db(), me(), row)
    return redirect(url_for("inbox.index", next=nxt.id) if nxt is not None else url_for("inbox.index"))


def _submit(row: Any, form: Any) -> str:
    """The task page's one submit: the step's form, an added signer's answer, or the decision held for 加签在后."""
    if row.kind == TaskKind.SIGN:
        engine.sign(db(), row.id, actor=me(), agree=form.decision.data == "同意", opinion=form.comment.data or "")
        return f"「{row.title}」已提交"
    signer = request.form.get("after_signer", "")
    if signer.isdigit() and int(signer):
        engine.add_signer(
            db(),
            row.id,
            actor=me(),
            signer_id=int(signer),
            mode=SignMode.AFTER,
            data=form.to_task_data(),
            display=form.display_lines(),
        )
        return f"「{row.title}」已办理，等待加签人同意后生效"
    engine.complete(db(), row.id, actor=me(), data=form.to_task_data(), display=form.display_lines())
    if row.delegated_by_id is not None:
        return f"「{row.title}」已办理，交回委派人确认"
    return f"「{row.title}」已提交"
