"""学籍管理→毕业升级 and 综合查询 of the lifecycle: pending business and its cleanup, graduation, graduate rejection,
promotion, dropout counts, status-change query. Every list is scoped by jurisdiction and exports to xlsx."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable
from datetime import datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import select

import engine
import jobs
from handlers import admission_results, graduation, promotion, status_change
from jobs import exports
from jobs import lifecycle as job_kinds
from models import clock, jurisdiction, queries
from models.base import utcnow
from models.business_calendar import STAGE_YEARS, grade_level, grade_year, local_date, province_id_of
from models.errors import DomainError, NotFound
from models.job import Job
from models.lifecycle import ChangeCode, PromotionRun, StatusChangeType, WindowKind
from models.org import Cohort, SchoolClass
from models.system_settings import month_day, setting
from models.user import Role
from webapp import access_log, xlsx
from webapp.access import job_or_404, me, requires, student_or_404
from webapp.db import db

bp = Blueprint("lifecycle", __name__, url_prefix="/lifecycle")

ADMISSION_EXPORT_PURPOSE = "完整证件号：招生结果回填（导出招生excel，导入时按学籍号匹配）"
AUTHORITIES = (Role.COUNTY_OFFICER, Role.CITY_OFFICER, Role.PROVINCE_OFFICER, Role.NATIONAL_OFFICER)


def _filters() -> queries.Filters:
    args = request.args
    return queries.Filters(
        school_id=args.get("school_id", type=int),
        process_key=args.get("process_key", ""),
        change_type=args.get("change_type", ""),
        status=args.get("status", ""),
        older_than_days=args.get("older_than_days", type=int),
        name=(args.get("name") or "").strip(),
    )


def _query_page(title: str, run: Callable[..., queries.Page], template_args: dict[str, object]) -> ResponseReturnValue:
    """Render a query page, or export it whole when ``format=xlsx``: at once, or by a job when it is large."""
    filters = _filters()
    if request.args.get("format") == "xlsx":
        full, purpose = xlsx.full_values(me())
        if run(db(), me(), filters, page=1, per_page=1).total > current_app.config["EXPORT_INLINE_ROWS"]:
            return _export_job(title, run.__name__, filters, full=full, purpose=purpose)
        page = run(db(), me(), filters, page=1, per_page=queries.EXPORT_LIMIT)
        access_log.exported(f"导出：{title}", len(page.rows), purpose=f"完整证件号：{purpose}" if full else purpose)
        return xlsx.download(title, page.headers, page.rows, by=me(), full=full)
    page = run(
        db(), me(), filters, page=request.args.get("page", 1, type=int), per_page=current_app.config["PAGE_SIZE"]
    )
    access_log.exported(title, len(page.rows))
    args = {k: v for k, v in request.args.items() if k not in {"page", "format"}}
    schools = queries.schools_of(db(), me())
    return render_template(
        "lifecycle/query.html",
        title=title,
        result=page,
        args=args,
        schools=schools,
        may_ask_full=xlsx.may_ask_full_values(me()),
        **template_args,
    )


def _export_job(title: str, query: str, filters: queries.Filters, *, full: bool, purpose: str) -> ResponseReturnValue:
    """A large export, made by a worker: the job page shows its bar and then offers the file."""
    job_id = jobs.start(
        db(),
        key=f"{exports.EXPORT}:{me().id}:{secrets.token_hex(8)}",  # each export is its own (the data moves on)
        kind=exports.EXPORT,
        title=f"导出：{title}",
        actor=me(),
        # ID numbers masked unless full values were asked for with a reason (xlsx.full_values), as at once
        params={
            "title": title,
            "query": query,
            "filters": dataclasses.asdict(filters),
            "full": full,
            "purpose": f"完整证件号：{purpose}" if full and query != exports.ADMISSION else purpose,
        },
    )
    flash("导出的数据较多，正在后台生成 Excel 文件；完成后可在本页下载", "info")
    return redirect(url_for("jobs.show", job_id=job_id))


# -- 在办业务 (F-34) -------------------------------------------------------------------------------------------


@bp.get("/pending")
@login_required
def pending() -> ResponseReturnValue:
    return _query_page(
        "异动在办业务查询",
        queries.pending_business,
        {
            "endpoint": "lifecycle.pending",
            "flows": engine.published_flows(db()),
            "counts": queries.pending_counts(db(), me()),
            "can_clean": me().has_role(Role.SCHOOL_REGISTRAR, Role.COUNTY_OFFICER),
        },
    )


@bp.post("/pending/<int:case_id>/cleanup")
@requires(Role.SCHOOL_REGISTRAR, Role.COUNTY_OFFICER)
def cleanup(case_id: int) -> ResponseReturnValue:
    try:
        case = jurisdiction.cleanable_case_or_404(db(), me(), case_id)
    except NotFound:
        abort(404)
    try:
        engine.cancel(db(), case.id, actor=me(), reason=(request.form.get("reason") or "在办业务清理").strip())
        flash(f"已清理在办业务「{case.title}」，学生恢复到业务发起前的状态", "success")
    except DomainError as err:
        flash(err.message, "danger")
    return redirect(url_for("lifecycle.pending"))


# -- 异动查询 ---------------------------------------------------------------------------------------------------


@bp.get("/status-changes")
@login_required
def status_changes() -> ResponseReturnValue:
    return _query_page(
        "异动查询", queries.status_changes, {"endpoint": "lifecycle.status_changes", "change_types": list(ChangeCode)}
    )


# -- 毕业 (F-35…F-37) -----------------------------------------------------------------------------------------


@bp.get("/graduates")
@login_required
def graduates() -> ResponseReturnValue:
    return _query_page(
        "毕业生查询",
        queries.graduates,
        {
            "endpoint": "lifecycle.graduates",
            "can_reject": me().has_role(Role.COUNTY_OFFICER),
            "destinations": graduation.DESTINATIONS if me().has_role(Role.SCHOOL_REGISTRAR) else (),
        },
    )


@bp.get("/graduates/admission.xlsx")
@requires(Role.COUNTY_OFFICER)
def graduates_for_admission() -> ResponseReturnValue:
    """导出招生excel (F-40, F-56): the graduates in the five-column layout the result import reads back."""
    students = queries.graduated_students(db(), me(), _filters())
    if len(students) > current_app.config["EXPORT_INLINE_ROWS"]:
        return _export_job("导出招生excel", exports.ADMISSION, _filters(), full=True, purpose=ADMISSION_EXPORT_PURPOSE)
    rows = admission_results.graduates_for_admission(db(), students)
    # The import layout read back by 招生结果导入: its 学籍号 must be whole, so this export's purpose is fixed.
    access_log.exported("导出：导出招生excel", len(rows), purpose=ADMISSION_EXPORT_PURPOSE)
    return xlsx.download("导出招生excel", list(admission_results.HEADERS), rows, by=me(), full=True)


@bp.get("/graduates/rejected")
@login_required
def rejected() -> ResponseReturnValue:
    return _query_page("毕业生驳回查询", queries.rejected_graduates, {"endpoint": "lifecycle.rejected"})


@bp.post("/graduates/reject")
@requires(Role.COUNTY_OFFICER)
def reject() -> ResponseReturnValue:
    students = [student_or_404(int(i)) for i in request.form.getlist("student_id") if i.isdigit()]
    try:
        count = graduation.reject_graduates(db(), me(), students, reason=request.form.get("reason", ""))
        db().commit()
        flash(f"已驳回 {count} 名毕业生，学生恢复为在校", "success")
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
    return redirect(url_for("lifecycle.graduates"))


@bp.get("/graduation")
@requires(Role.SCHOOL_REGISTRAR)
def graduation_classes() -> ResponseReturnValue:
    """学生毕业: the graduating classes of the registrar's school and their in-school students."""
    year = grade_year(db(), province_id_of(db(), me().org_id))
    cohorts = db().scalars(select(Cohort).where(Cohort.school_id == me().org_id).order_by(Cohort.cohort_year)).all()
    final = [c for c in cohorts if grade_level(c.cohort_year, year) >= STAGE_YEARS[c.stage]]
    classes = [(cls, graduation.class_students(db(), cls.id)) for cohort in final for cls in cohort.classes]
    return render_template(
        "lifecycle/graduation.html",
        classes=classes,
        destinations=graduation.DESTINATIONS,
        job=_started_job(),
        batch=secrets.token_hex(8),  # the job key of what this page submits (a form sent twice is one job)
    )


def _batch() -> str:
    """The submitted form's token (graduation.html), or a new one for a form without it."""
    batch = request.form.get("batch", "")
    return batch if batch.isalnum() and len(batch) <= 32 else secrets.token_hex(8)  # noqa: PLR2004


def _started_job() -> Job | None:
    """The job this page started (``?job=``), whose bar and then outcome the page shows."""
    job_id = request.args.get("job", type=int)
    return job_or_404(job_id) if job_id else None


@bp.post("/graduation")
@requires(Role.SCHOOL_REGISTRAR)
def graduate() -> ResponseReturnValue:
    """A job (a county's classes may take longer than a request may): the page shows its bar, then its outcome."""
    class_id = request.form.get("class_id", type=int)
    school_class = db().get(SchoolClass, class_id) if class_id else None
    if school_class is None or school_class.cohort.school_id != me().org_id:
        abort(404)
    chosen = {int(i) for i in request.form.getlist("student_id") if i.isdigit()}
    pupils = graduation.class_students(db(), school_class.id)
    students = [s for s in pupils if s.id in chosen] if chosen else pupils
    if not students:
        flash("请选择要毕业的学生", "danger")
        return redirect(url_for("lifecycle.graduation_classes"))
    ids = [s.id for s in students]
    today = local_date(utcnow())
    job_id = jobs.start(
        db(),
        key=job_kinds.graduation_key(school_class.id, ids, _batch()),
        kind=job_kinds.GRADUATE,
        title=f"学生毕业：{school_class.cohort.name} {school_class.name}（{len(ids)}人）",
        actor=me(),
        # nothing ticked graduates the class: the page confirmed the count first, and the outcome says 全班
        params={"class_id": school_class.id, "student_ids": ids, "on": today.isoformat(), "whole_class": not chosen},
    )
    deadline = month_day(setting(db(), me().org_id, "graduation_deadline"))
    if warning := graduation.deadline_warning(today, deadline):
        flash(warning, "warning")
    return redirect(url_for("lifecycle.graduation_classes", job=job_id))


@bp.post("/graduation/senior")
@requires(Role.SCHOOL_REGISTRAR)
def graduate_senior() -> ResponseReturnValue:
    """高中毕结业申请 for the selected students of a class: one case each, approved by the record authority."""
    class_id = request.form.get("class_id", type=int)
    school_class = db().get(SchoolClass, class_id) if class_id else None
    if school_class is None or school_class.cohort.school_id != me().org_id:
        abort(404)
    outcome = request.form.get("outcome", "")
    chosen = {int(i) for i in request.form.getlist("student_id") if i.isdigit()}
    pupils = [s for s in graduation.class_students(db(), school_class.id) if not chosen or s.id in chosen]
    started, refused = 0, []
    for pupil in pupils:
        try:
            engine.start(db(), "senior_graduation", student_id=pupil.id, actor=me(), data={"outcome": outcome})
            started += 1
        except DomainError as err:
            refused.append(err.message)
    if started:
        flash(f"已为 {started} 名学生提交{outcome}申请，待学籍主管部门核办", "success")
    for message in refused:
        flash(message, "danger")
    return redirect(url_for("lifecycle.graduation_classes"))


@bp.post("/graduates/<int:student_id>/info")
@requires(Role.SCHOOL_REGISTRAR)
def graduation_info(student_id: int) -> ResponseReturnValue:
    student = student_or_404(student_id)
    try:
        graduation.set_graduation_info(
            db(),
            me(),
            student,
            destination=request.form.get("destination", ""),
            certificate_no=(request.form.get("certificate_no") or "").strip(),
        )
        db().commit()
        flash(f"已保存{student.name}的毕业信息", "success")
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
    return redirect(url_for("lifecycle.graduates"))


# -- 升级 (F-38) ----------------------------------------------------------------------------------------------


@bp.route("/promotion", methods=["GET", "POST"])
@requires(Role.PROVINCE_OFFICER)
def promotion_settings() -> ResponseReturnValue:
    province_id = me().org_id
    if request.method == "POST":
        try:
            typed = datetime.fromisoformat(request.form.get("promote_at", "")).replace(tzinfo=None)
        except ValueError:
            flash("请填写升级时间，例如 2027-08-10T23:59", "danger")
            return redirect(url_for("lifecycle.promotion_settings"))
        try:
            promotion.schedule(db(), me(), province_id=province_id, promote_at=clock.from_local(typed))
            db().commit()
            flash(f"升级时间已设为 {typed:%Y-%m-%d %H:%M}", "success")
        except DomainError as err:
            db().rollback()
            flash(err.message, "danger")
        return redirect(url_for("lifecycle.promotion_settings"))
    runs = db().scalars(select(PromotionRun).where(PromotionRun.org_id == province_id).order_by(PromotionRun.id.desc()))
    return render_template(
        "lifecycle/promotion.html", runs=list(runs), year=grade_year(db(), province_id), job=_started_job()
    )


@bp.post("/promotion/<int:run_id>/run")
@requires(Role.PROVINCE_OFFICER)
def promotion_run(run_id: int) -> ResponseReturnValue:
    """立即升级: the scheduled promotion now, as a job (one per run: asked twice, it is the same job)."""
    run = db().get(PromotionRun, run_id)
    if run is None or run.org_id != me().org_id:
        abort(404)
    job_id = jobs.start(
        db(),
        key=job_kinds.promotion_key(run.id),
        kind=job_kinds.PROMOTE,
        title=f"升级：{run.from_year}→{run.to_year}学年",
        actor=me(),
        params={"run_id": run.id},
    )
    return redirect(url_for("lifecycle.promotion_settings", job=job_id))


@bp.post("/promotion/<int:run_id>/undo")
@requires(Role.PROVINCE_OFFICER)
def promotion_undo(run_id: int) -> ResponseReturnValue:
    run = db().get(PromotionRun, run_id)
    if run is None or run.org_id != me().org_id:
        abort(404)
    try:
        promotion.undo(db(), run.id, actor=me(), now=utcnow())
        db().commit()
        flash("已撤销升级", "success")
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
    return redirect(url_for("lifecycle.promotion_settings"))


# -- 异动类型配置 (F-54) --------------------------------------------------------------------------------------


def _listed(text: str) -> list[str]:
    """A comma-separated list as typed (Chinese or ASCII commas, 、 too), blanks dropped."""
    return [part.strip() for part in text.replace("，", ",").replace("、", ",").split(",") if part.strip()]


@bp.route("/change-types", methods=["GET", "POST"])
@requires(Role.POLICY_OFFICER, Role.PROVINCE_OFFICER)
def change_types() -> ResponseReturnValue:
    if request.method == "POST":
        form = request.form
        try:
            row = status_change.configure(
                db(),
                me(),
                form.get("code", ""),
                enabled=form.get("enabled") == "y",
                school_review=form.get("school_review") == "y",
                window=form.get("window", ""),
                reasons=_listed(form.get("reasons", "")),
                attachments=_listed(form["attachments"]) if "attachments" in form else None,
            )
            db().commit()
            flash(f"已保存异动类型「{row.label}」的配置，对新申请生效", "success")
        except DomainError as err:
            db().rollback()
            flash(err.message, "danger")
        return redirect(url_for("lifecycle.change_types"))
    rows = db().scalars(select(StatusChangeType)).all()
    order = list(ChangeCode)
    rows = sorted(rows, key=lambda r: order.index(ChangeCode(r.code)))
    return render_template("lifecycle/change_types.html", rows=rows, windows=list(WindowKind))


# -- 辍学 (F-28) ----------------------------------------------------------------------------------------------


@bp.get("/dropouts")
@requires(*AUTHORITIES, Role.SCHOOL_REGISTRAR)
def dropouts() -> ResponseReturnValue:
    return render_template("lifecycle/dropouts.html", counts=queries.dropout_counts(db(), me()))
