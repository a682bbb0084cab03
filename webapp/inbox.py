"""The reviewer's inbox and the task page: the form named by the task's formKey, beside the case history."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

import engine
from forms import FORMS
from models.admission import RecordLocked
from models.errors import DomainError
from models.inbox import SORTS, open_tasks
from webapp.access import me, task_or_404
from webapp.attachments import save_evidence, with_evidence
from webapp.db import db

bp = Blueprint("inbox", __name__)


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    sort = request.args.get("sort", "oldest")
    sort = sort if sort in SORTS else "oldest"
    flow = request.args.get("flow") or None
    page = open_tasks(
        db(),
        me(),
        process_key=flow,
        sort=sort,
        page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"],
    )
    return render_template("inbox/index.html", page=page, sort=sort, flow=flow, flows=engine.published_flows(db()))


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
    form = FORMS[row.form_key](formdata)
    if request.method == "POST" and form.validate():
        try:
            engine.complete(db(), row.id, actor=me(), data=form.to_task_data(), display=form.display_lines())
        except DomainError as err:
            flash(err.message, "danger")
            return redirect(url_for("inbox.index"))
        flash(f"「{row.title}」已提交", "success")
        return redirect(url_for("inbox.index"))
    if getattr(form, "takes_files", False):
        form.evidence_ids.data = ""  # files saved with a refused form are not kept: upload them again
    status = 422 if request.method == "POST" else 200
    return render_template(
        "inbox/task.html", task=row, case=row.instance, form=form, locked_message=RecordLocked.message
    ), status
