"""我的任务进度: the jobs a user started and those of their organisation, one job's progress bar and result, the
small JSON the bar polls, cancel and retry."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

import jobs
from jobs import exports, runner
from models.base import utcnow
from models.clock import as_utc
from models.job import Job, JobState
from models.jurisdiction import jobs_visible_to
from webapp import access_log
from webapp.access import job_or_404, me
from webapp.db import db

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
LISTED = 100


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    scope = "org" if request.args.get("scope") == "org" else "mine"
    query = jobs_visible_to(me(), mine_only=scope == "mine").order_by(Job.id.desc()).limit(LISTED)
    return render_template("jobs/index.html", jobs=db().scalars(query).all(), scope=scope)


@bp.get("/<int:job_id>")
@login_required
def show(job_id: int) -> ResponseReturnValue:
    job = job_or_404(job_id)
    left = runner.left_behind(job.kind) if job.kind in runner.kinds() else ""
    return render_template("jobs/show.html", job=job, mine=job.started_by_id == me().id, left=left)


@bp.get("/<int:job_id>.json")
@login_required
def status(job_id: int) -> ResponseReturnValue:
    return jsonify(progress(job_or_404(job_id)))


def progress(job: Job) -> dict[str, Any]:
    """The bar's figures: rows done of total in the current stage, the rate since the stage began and the time
    left at that rate (None until there is a rate)."""
    percent = 100 if job.state == JobState.DONE else (100 * job.done // job.total if job.total else 0)
    rate = eta = None
    if job.state == JobState.RUNNING and job.stage_started_at and job.done:
        seconds = (utcnow() - as_utc(job.stage_started_at)).total_seconds()
        if seconds > 0:
            rate = round(job.done / seconds, 1)
            eta = round((job.total - job.done) / rate) if rate else None
    return {
        "id": job.id,
        "state": job.state.value,
        "state_label": job.state.label,
        "stage": job.stage,
        "done": job.done,
        "total": job.total,
        "percent": percent,
        "rate": rate,
        "eta_seconds": eta,
        "finished": job.finished,
        "error": job.error,
    }


@bp.get("/<int:job_id>/file")
@login_required
def download(job_id: int) -> ResponseReturnValue:
    """An export job's workbook, for whoever started it (the watermark names them), logged like the page's own
    export: records leave the server now."""
    job = job_or_404(job_id)
    if job.started_by_id != me().id:
        flash("导出文件只有发起导出的人可以下载", "warning")
        return redirect(url_for("jobs.show", job_id=job_id))
    path = exports.file_of(job) if job.state == JobState.DONE else None
    if path is None:
        flash("该任务没有可下载的文件（未完成，或文件已超过保存期限，请重新导出）", "warning")
        return redirect(url_for("jobs.show", job_id=job_id))
    access_log.exported(job.title, job.result.get("rows", 0), purpose=job.params.get("purpose", ""))
    return send_file(path, as_attachment=True, download_name=f"{job.params.get('title', job.title)}.xlsx")


@bp.post("/<int:job_id>/cancel")
@login_required
def cancel(job_id: int) -> ResponseReturnValue:
    """Safe at any point for the jobs there are: most write in one transaction, which a cancel rolls back; the
    others commit item by item, each item idempotent (a retry skips what is done)."""
    job = job_or_404(job_id)
    if job.started_by_id != me().id or job.finished:
        flash("该任务不能取消", "warning")
    elif job.state == JobState.QUEUED:
        job.state, job.error, job.finished_at = JobState.CANCELLED, "已取消，未执行", utcnow()
        db().commit()
        flash("已取消", "success")
    else:
        job.cancel_requested = True
        db().commit()
        flash(f"已请求取消：任务将在下一步停止，{runner.left_behind(job.kind)}", "info")
    return redirect(url_for("jobs.show", job_id=job_id))


@bp.post("/<int:job_id>/retry")
@login_required
def retry(job_id: int) -> ResponseReturnValue:
    """A failed job runs again as the same job: what it writes commits with its done state, so at most once."""
    job = job_or_404(job_id)
    if job.started_by_id != me().id or job.state != JobState.FAILED:
        flash("只有失败的任务可以重试", "warning")
        return redirect(url_for("jobs.show", job_id=job_id))
    jobs.requeue(db(), job_id)
    return redirect(url_for("jobs.show", job_id=job_id))
