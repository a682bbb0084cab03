"""审批工作台: the reviewer's verbs as thin routes over ``engine.workbench``, the bell, 抄送我的, bulk approval and
saved views. Every route loads its task or case through ``webapp.access`` (the one place of jurisdiction)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import NotFound as HTTPNotFound
from wtforms import SelectChoice

import engine
import jobs
from forms.workbench import BulkForm, CommentForm, NoteForm, PersonForm, ReturnForm, SavedViewForm, SignerForm
from handlers import worklist
from jobs import workbench as job_kinds
from models.base import utcnow
from models.clock import as_utc
from models.errors import DomainError, NotFound
from models.inbox import DUE_SOON, InboxFilter, count_tasks, escalated_below, task_ids
from models.jurisdiction import colleagues_for, copy_orgs_for, may_act, may_urge, students_visible_to
from models.student import Student
from models.user import User, UserRole
from models.workbench import CaseCopy, Notification, SavedView
from models.workflow import InboxTask, ProcessInstance, SignMode, TaskKind, TaskStatus
from webapp.access import case_or_404, me, task_or_404
from webapp.db import db

bp = Blueprint("workbench", __name__, url_prefix="/workbench")


def _back_to_task(task_id: int) -> ResponseReturnValue:
    return redirect(url_for("inbox.task", task_id=task_id))


def _done(message: str, to: str) -> ResponseReturnValue:
    flash(message, "success")
    return redirect(to)


def _refused(err: DomainError | NotFound, to: str) -> ResponseReturnValue:
    if isinstance(err, NotFound):
        raise HTTPNotFound()
    flash(err.message, "danger")
    return redirect(to)


# -- what the task page and the case page offer --------------------------------------------------------------------


def task_panel(row: InboxTask) -> dict[str, Any]:
    """The verbs the task page offers the current user for ``row``, with their choices."""
    user = me()
    case = row.instance
    off = engine.disabled(case, row.bpmn_id)
    acting = may_act(user, row) and not row.locked
    is_task = row.kind == TaskKind.TASK
    people = db().scalars(colleagues_for(db(), user, case, "delegate")).all() if acting else []
    seat_mates = (
        db()
        .scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.org_id == row.org_id, UserRole.role == row.role, User.active, User.id != user.id)
            .order_by(User.full_name)
        )
        .all()
        if is_task
        else []
    )
    targets = engine.return_targets(db(), row.id, actor=user) if acting and is_task and "退回" not in off else []
    choices = [(u.id, f"{u.full_name}（{u.org.name}）") for u in people]
    return {
        "acting": acting,
        "is_task": is_task,
        "off": off,
        "targets": targets,
        "return_form": ReturnForm(prefix="return"),
        "reassign_form": _person_form(PersonForm, "reassign", [(u.id, u.full_name) for u in seat_mates]),
        "delegate_form": _person_form(PersonForm, "delegate", choices),
        "sign_form": _person_form(SignerForm, "sign", choices),
        "can_claim": is_task and row.claimed_by_id is None and acting and "认领" not in off,
        "can_unclaim": is_task and row.claimed_by_id == user.id and row.delegated_by_id is None,
    }


def _person_form(cls: type[PersonForm], prefix: str, choices: list[tuple[int, str]]) -> PersonForm:
    form = cls(request.form if request.method == "POST" else None, prefix=prefix)
    form.user_id.choices = [SelectChoice(0, "请选择…"), *(SelectChoice(v, label) for v, label in choices)]
    return form


def mark_copy_read(case_id: int) -> None:
    """Opening a case copied to me marks the copy read (before the page loads anything: a commit expires it)."""
    db().execute(
        update(CaseCopy)
        .where(CaseCopy.instance_id == case_id, CaseCopy.user_id == me().id, CaseCopy.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db().commit()


def case_panel(case: ProcessInstance, open_tasks: list[InboxTask]) -> dict[str, Any]:
    """What the case page offers: 撤回, 抄送, 催办 per open task, opinions."""
    user = me()
    copy_people = (
        db().scalars(colleagues_for(db(), user, case, "copy")).all() if engine.may_copy(db(), case, user) else []
    )
    copy_form = PersonForm(prefix="copy")
    copy_form.user_id.choices = [SelectChoice(u.id, f"{u.full_name}（{u.org.name}）") for u in copy_people]
    withdraw_refusal = engine.can_withdraw(db(), case, user) if case.status == "open" else "业务已办结"
    return {
        "withdraw_refusal": withdraw_refusal,
        "copy_form": copy_form if copy_people else None,
        "copy_orgs": copy_orgs_for(db(), user, case) if copy_people else [],
        "comment_form": CommentForm(prefix="comment"),
        "urgeable": [t for t in open_tasks if t.kind == TaskKind.TASK and may_urge(user, t)],
        "actionable": [t for t in open_tasks if may_act(user, t)],
    }


# -- task verbs ----------------------------------------------------------------------------------------------------


@bp.post("/tasks/<int:task_id>/claim")
@login_required
def claim(task_id: int) -> ResponseReturnValue:
    row = task_or_404(task_id)
    try:
        engine.claim(db(), row.id, actor=me())
    except (DomainError, NotFound) as err:
        return _refused(err, url_for("inbox.index"))
    return _done(f"已认领「{row.title}」", url_for("inbox.task", task_id=row.id))


@bp.post("/tasks/<int:task_id>/unclaim")
@login_required
def unclaim(task_id: int) -> ResponseReturnValue:
    row = db().get(InboxTask, task_id)
    if row is None:
        raise HTTPNotFound()
    case_or_404(row.instance_id)  # a superior sees the case; the engine decides whether it may take the task back
    try:
        engine.unclaim(db(), row.id, actor=me())
    except (DomainError, NotFound) as err:
        return _refused(err, url_for("cases.detail", case_id=row.instance_id))
    return _done(f"「{row.title}」已退回待认领", url_for("inbox.index"))


@bp.post("/tasks/<int:task_id>/return")
@login_required
def send_back(task_id: int) -> ResponseReturnValue:
    row = task_or_404(task_id)
    form = ReturnForm(request.form, prefix="return")
    if not form.validate():
        flash("；".join(e for errors in form.errors.values() for e in errors), "danger")
        return _back_to_task(row.id)
    try:
        target = engine.send_back(db(), row.id, actor=me(), target_uuid=form.target.data, reason=form.reason.data)
    except (DomainError, NotFound) as err:
        return _refused(err, url_for("inbox.task", task_id=row.id))
    return _done(f"已退回至「{target.name}」", url_for("inbox.index"))


def _person_action(task_id: int, prefix: str, act: Any, message: str) -> ResponseReturnValue:
    row = task_or_404(task_id)
    form = (SignerForm if prefix == "sign" else PersonForm)(request.form, prefix=prefix)
    if not form.user_id.data:
        flash("请选择人员", "danger")
        return _back_to_task(row.id)
    try:
        act(row, form)
    except (DomainError, NotFound) as err:
        return _refused(err, url_for("inbox.task", task_id=row.id))
    return _done(message.format(title=row.title), url_for("inbox.index"))


@bp.post("/tasks/<int:task_id>/reassign")
@login_required
def reassign(task_id: int) -> ResponseReturnValue:
    return _person_action(
        task_id,
        "reassign",
        lambda row, form: engine.reassign(db(), row.id, actor=me(), to_user_id=form.user_id.data, note=form.note.data),
        "「{title}」已转办",
    )


@bp.post("/tasks/<int:task_id>/delegate")
@login_required
def delegate(task_id: int) -> ResponseReturnValue:
    return _person_action(
        task_id,
        "delegate",
        lambda row, form: engine.delegate(db(), row.id, actor=me(), to_user_id=form.user_id.data, note=form.note.data),
        "「{title}」已委派，对方办理后回到您确认",
    )


@bp.post("/tasks/<int:task_id>/sign")
@login_required
def add_signer(task_id: int) -> ResponseReturnValue:
    """加签在前 from the panel. 加签在后 goes with the task's own form (the decision it holds): see inbox.task."""
    return _person_action(
        task_id,
        "sign",
        lambda row, form: engine.add_signer(
            db(), row.id, actor=me(), signer_id=form.user_id.data, mode=SignMode.BEFORE, note=form.note.data
        ),
        "已加签，加签人审核后「{title}」回到您",
    )


@bp.post("/tasks/<int:task_id>/urge")
@login_required
def urge(task_id: int) -> ResponseReturnValue:
    row = db().get(InboxTask, task_id)
    if row is None:
        raise HTTPNotFound()
    case = case_or_404(row.instance_id)
    form = NoteForm(request.form)
    try:
        engine.urge(db(), row.id, actor=me(), note=form.note.data or "")
    except (DomainError, NotFound) as err:
        return _refused(err, url_for("cases.detail", case_id=case.id))
    return _done(f"已催办「{row.title}」", url_for("cases.detail", case_id=case.id))


# -- case verbs ---------------------------------------------------------------------------------------------------


@bp.post("/cases/<int:case_id>/withdraw")
@login_required
def withdraw(case_id: int) -> ResponseReturnValue:
    case = case_or_404(case_id)
    try:
        name = engine.withdraw(db(), case.id, actor=me())
    except DomainError as err:
        return _refused(err, url_for("cases.detail", case_id=case.id))
    return _done(f"已撤回「{name}」，请在待办任务中重新办理", url_for("inbox.index"))


@bp.post("/cases/<int:case_id>/copy")
@login_required
def copy(case_id: int) -> ResponseReturnValue:
    case = case_or_404(case_id)
    ids = [int(v) for v in request.form.getlist("copy-user_id") if v.isdigit() and v != "0"]
    orgs = [int(v) for v in request.form.getlist("copy-org_id") if v.isdigit()]
    try:
        people = engine.copy_case(
            db(), case.id, actor=me(), user_ids=ids, org_ids=orgs, note=request.form.get("copy-note", "")
        )
    except (DomainError, NotFound) as err:
        return _refused(err, url_for("cases.detail", case_id=case.id))
    return _done("已抄送给" + "、".join(p.full_name for p in people), url_for("cases.detail", case_id=case.id))


@bp.post("/cases/<int:case_id>/comment")
@login_required
def comment(case_id: int) -> ResponseReturnValue:
    case = case_or_404(case_id)
    try:
        engine.comment(db(), case.id, actor=me(), text=request.form.get("comment-text", ""))
    except DomainError as err:
        return _refused(err, url_for("cases.detail", case_id=case.id))
    return _done("意见已发表", url_for("cases.detail", case_id=case.id))


# -- 抄送我的, notifications ----------------------------------------------------------------------------------------


@bp.get("/copied")
@login_required
def copied() -> ResponseReturnValue:
    rows = (
        db()
        .scalars(
            select(CaseCopy)
            .options(joinedload(CaseCopy.instance), joinedload(CaseCopy.by))
            .where(CaseCopy.user_id == me().id)
            .order_by(CaseCopy.read_at.is_not(None), CaseCopy.at.desc())
            .limit(200)
        )
        .all()
    )
    return render_template("workbench/copied.html", rows=rows)


@bp.get("/notifications")
@login_required
def notifications() -> ResponseReturnValue:
    rows = (
        db()
        .scalars(
            select(Notification).where(Notification.user_id == me().id).order_by(Notification.id.desc()).limit(200)
        )
        .all()
    )
    return render_template("workbench/notifications.html", rows=rows)


@bp.post("/notifications/read")
@login_required
def read_notifications() -> ResponseReturnValue:
    db().execute(
        update(Notification)
        .where(Notification.user_id == me().id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db().commit()
    return redirect(url_for("workbench.notifications"))


@bp.get("/notifications/<int:notification_id>")
@login_required
def open_notification(notification_id: int) -> ResponseReturnValue:
    row = db().get(Notification, notification_id)
    if row is None or row.user_id != me().id:
        raise HTTPNotFound()
    row.read_at = row.read_at or utcnow()
    db().commit()
    task = db().get(InboxTask, row.task_id) if row.task_id else None
    if task is not None and task.status == TaskStatus.OPEN and may_act(me(), task):
        return redirect(url_for("inbox.task", task_id=task.id))
    if row.instance_id:
        return redirect(url_for("cases.detail", case_id=row.instance_id))
    return redirect(url_for("workbench.notifications"))


def pending_work(known: Mapping[str, int] | None = None) -> list[worklist.Pending]:
    """The user's kinds of waiting work with their counts, counted once per request (the bell and the inbox);
    ``known``: counts the page has read already, by kind."""
    if "pending_work" not in g:
        g.pending_work = worklist.pending_for(db(), me(), known)
    return list(g.pending_work)


@bp.app_context_processor
def bell() -> dict[str, Any]:
    """The navbar's bell: unread notifications and unread copies of the signed-in user (one indexed count each)."""
    if not current_user.is_authenticated:
        return {}
    unread = db().scalar(select(func.count()).where(Notification.user_id == me().id, Notification.read_at.is_(None)))
    copies = db().scalar(select(func.count()).where(CaseCopy.user_id == me().id, CaseCopy.read_at.is_(None)))
    pending = worklist.total(pending_work())
    return {"bell_unread": unread or 0, "copies_unread": copies or 0, "pending_total": pending}


@bp.app_template_global()
def may_see_student(student_id: int | None) -> bool:
    """Link to the student page only where it opens: the other county of a transfer sees the case, not the record."""
    if student_id is None:
        return False
    return (
        db().scalar(students_visible_to(me()).where(Student.id == student_id).with_only_columns(Student.id)) is not None
    )


@bp.app_template_filter("due_soon")
def due_soon(value: datetime | None) -> bool:
    """Due within the next two days and not yet overdue (the inbox's 即将到期 mark)."""
    if value is None:
        return False
    now = datetime.now(UTC)
    return now < as_utc(value) <= now + DUE_SOON


# -- bulk --------------------------------------------------------------------------------------------------------------


@bp.post("/bulk")
@login_required
def bulk() -> ResponseReturnValue:
    """批量办理 the checked tasks of one step with one opinion; the page lists each result."""
    form = BulkForm(request.form)
    if request.form.get("all") == "1":  # everything the filter selects, not only the page shown
        ids = task_ids(db(), me(), InboxFilter.from_args(request.form), BULK_LIMIT)
    else:
        ids = [int(v) for v in request.form.getlist("task_id") if v.isdigit()]
    if not ids:
        flash("请勾选要批量办理的任务", "warning")
        return redirect(url_for("inbox.index"))
    for task_id in ids:
        task_or_404(task_id)  # each one within the user's inbox, or 404
    try:
        engine.check_bulk(db(), ids)
    except DomainError as err:
        flash(err.message, "danger")
        return redirect(url_for("inbox.index"))
    # A job (a county's morning of hundreds of tasks takes longer than a request may); its page lists each result.
    job_id = jobs.start(
        db(),
        key=f"{job_kinds.BULK}:{me().id}:{secrets.token_hex(8)}",
        kind=job_kinds.BULK,
        title=f"批量办理（{len(ids)}项）",
        actor=me(),
        params={"task_ids": ids, "opinion": form.opinion.data or ""},
    )
    return redirect(url_for("jobs.show", job_id=job_id))


BULK_LIMIT = 1000


@bp.get("/overdue-below")
@login_required
def overdue_below() -> ResponseReturnValue:
    """超期上报: overdue tasks of the organisations below mine, for a superior to urge or take back."""
    rows = (
        db()
        .scalars(
            escalated_below(me())
            .options(joinedload(InboxTask.instance), joinedload(InboxTask.org), joinedload(InboxTask.claimed_by))
            .order_by(InboxTask.due_at)
            .limit(500)
        )
        .all()
    )
    return render_template("workbench/overdue_below.html", rows=rows)


# -- saved views ----------------------------------------------------------------------------------------------------


def saved_views() -> list[tuple[SavedView, int]]:
    views = db().scalars(select(SavedView).where(SavedView.user_id == me().id).order_by(SavedView.name)).all()
    return [(view, count_tasks(db(), me(), InboxFilter.from_args(view.filters))) for view in views]


@bp.post("/views")
@login_required
def save_view() -> ResponseReturnValue:
    form = SavedViewForm(request.form)
    filters = InboxFilter.from_args(request.form).as_args()
    if not form.validate():
        flash("；".join(e for errors in form.errors.values() for e in errors), "danger")
        return redirect(url_for("inbox.index", **filters))
    name = form.name.data.strip()
    view = db().scalar(select(SavedView).where(SavedView.user_id == me().id, SavedView.name == name))
    if view is None:
        db().add(SavedView(user_id=me().id, name=name, filters=filters))
    else:
        view.filters = filters
    db().commit()
    return _done(f"视图「{name}」已保存", url_for("inbox.index", **filters))


@bp.post("/views/<int:view_id>/delete")
@login_required
def delete_view(view_id: int) -> ResponseReturnValue:
    view = db().get(SavedView, view_id)
    if view is None or view.user_id != me().id:
        raise HTTPNotFound()
    db().delete(view)
    db().commit()
    return _done(f"视图「{view.name}」已删除", url_for("inbox.index"))
