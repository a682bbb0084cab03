"""The reviewer's inbox and the task page: the form named by the task's formKey, beside the case history, with
the approval verbs of ``webapp.workbench`` around it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import func, select

import engine
from forms import FORMS
from forms.workbench import BulkForm, SavedViewForm
from models.admission import RecordLocked
from models.errors import DomainError, NotFound
from models.inbox import DUE_STATES, SORTS, InboxFilter, escalated_below, open_tasks, steps_of
from models.workflow import SignMode, TaskKind
from webapp.access import me, task_or_404
from webapp.attachments import save_evidence, with_evidence
from webapp.db import db
from webapp.workbench import saved_views, task_panel

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
    return render_template(
        "inbox/index.html",
        page=page,
        sort=sort,
        flt=flt,
        flow=flt.flow,
        flows=engine.published_flows(db()),
        steps=steps_of(db(), me()),
        due_states=DUE_STATES,
        views=saved_views(),
        view_form=SavedViewForm(),
        bulk_form=BulkForm(),
        escalated_below=db().scalar(select(func.count()).select_from(escalated_below(me()).subquery())),
    )


def _form_for(row: Any, formdata: Any) -> Any:
    form_cls = FORMS[row.form_key]
    held = (row.draft or {}).get("data") if formdata is None else None
    form = form_cls(formdata, data=held) if held else form_cls(formdata)
    form.prepare(db(), row.instance)
    return form


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: int) -> ResponseReturnValue:
    row = task_or_404(task_id)
    if row.status != "open":
        flash("该任务已被处理", "warning")
        return redirect(url_for("cases.detail", case_id=row.instance_id))
    formdata = request.form if request.method == "POST" else None
    if formdata is not None and getattr(FORMS[row.form_key], "takes_files", False):
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
    if request.method == "POST" and form.validate():
        try:
            message = _submit(row, form)
        except (DomainError, NotFound) as err:
            flash(err.message, "danger")
            return redirect(url_for("inbox.index"))
        flash(message, "success")
        return redirect(url_for("inbox.index"))
    if getattr(form, "takes_files", False):
        form.evidence_ids.data = ""  # files saved with a refused form are not kept: upload them again
    status = 422 if request.method == "POST" else 200
    panel = task_panel(row)
    return render_template(
        "inbox/task.html", task=row, case=row.instance, form=form, locked_message=RecordLocked.message, panel=panel
    ), status


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
