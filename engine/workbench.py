"""The reviewer's verbs on tasks and cases: 认领, 转办, 委派, 加签, 退回, 撤回, 抄送, 催办, opinions, bulk, and the
periodic due-date reminders and escalation.

Each call is one transaction under the case lock, like ``engine.complete``; each leaves an event in the case's
timeline and notifies whom it concerns. Who may name whom is decided in ``models.jurisdiction``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from engine import notify, returns
from engine.api import _one_action, complete, finish, lock_case, locked_row
from engine.returns import Target
from engine.runner import record_event
from engine.seats import add_party
from engine.verbs import TaskAlreadyHandled, Verb, acting_on, check_enabled, disabled
from forms import FORMS
from models.base import utcnow
from models.clock import as_utc
from models.errors import DomainError, NotFound
from models.jurisdiction import colleagues_for, is_superior_of, may_act, may_urge
from models.user import User
from models.workbench import CaseCopy, NoticeKind
from models.workflow import InboxTask, ProcessInstance, SignMode, TaskKind, TaskStatus

URGE_INTERVAL = timedelta(hours=1)


def _named(session: Session, user: User, case: ProcessInstance, verb: str, user_id: int) -> User:
    """A user the jurisdiction lets ``user`` name for ``verb``; anyone else reads as not found."""
    found = session.scalars(colleagues_for(session, user, case, verb).where(User.id == user_id)).one_or_none()
    if found is None:
        raise DomainError("所选人员不存在或不在可选范围内")
    return found


# -- claim ------------------------------------------------------------------------------------------------


def claim(session: Session, task_id: int, *, actor: User) -> InboxTask:
    """认领 a group task: from now on only the actor acts on it. A second claim is refused, naming the holder."""
    with _one_action(session):
        row, instance = locked_row(session, task_id)
        check_enabled(instance, row.bpmn_id, Verb.CLAIM)
        if row.status != TaskStatus.OPEN:
            raise TaskAlreadyHandled()
        if row.claimed_by_id == actor.id:
            return row
        if row.claimed_by_id is not None:
            holder = row.claimed_by.full_name if row.claimed_by else ""
            raise DomainError(f"该任务已由{holder}认领，不能重复认领")
        if not may_act(actor, row):
            raise NotFound()
        row.claimed_by_id, row.claimed_at = actor.id, utcnow()
    return row


def unclaim(session: Session, task_id: int, *, actor: User) -> InboxTask:
    """Give a claimed task back to its seat: the holder, or a superior taking it from a holder who is away."""
    with _one_action(session):
        row, instance = locked_row(session, task_id)
        if row.status != TaskStatus.OPEN or row.claimed_by_id is None or row.kind != TaskKind.TASK:
            raise DomainError("该任务未被认领")
        superior = is_superior_of(actor, row.org)
        if row.claimed_by_id != actor.id and not superior:
            raise NotFound()
        if row.claimed_by_id != actor.id:
            holder = row.claimed_by.full_name if row.claimed_by else ""
            record_event(
                session,
                instance,
                "taken_back",
                bpmn_id=row.bpmn_id,
                title=f"{row.title}：收回任务",
                actor=actor,
                display=[("原办理人", holder)],
            )
        row.claimed_by_id, row.claimed_at, row.delegated_by_id = None, None, None
    return row


# -- 转办 / 委派 --------------------------------------------------------------------------------------------


def reassign(session: Session, task_id: int, *, actor: User, to_user_id: int, note: str = "") -> InboxTask:
    """转办: hand the task to another user of its seat (same organisation, same role). A superior may too."""
    with _one_action(session):
        row, instance = locked_row(session, task_id)
        check_enabled(instance, row.bpmn_id, Verb.REASSIGN)
        if not is_superior_of(actor, row.org):
            acting_on(session, instance, row, actor)
        target = session.get(User, to_user_id)
        if (
            target is None
            or not target.active
            or target.id == actor.id
            or target.org_id != row.org_id
            or row.role not in target.roles
        ):
            raise DomainError("只能转办给本单位具有相同角色的其他人员")
        _hand_to(session, instance, row, actor, target, kind=NoticeKind.REASSIGNED, note=note)
    return row


def delegate(session: Session, task_id: int, *, actor: User, to_user_id: int, note: str = "") -> InboxTask:
    """委派: the delegate fills the form; the task then comes back to the actor to confirm or return."""
    with _one_action(session):
        row, instance = locked_row(session, task_id)
        check_enabled(instance, row.bpmn_id, Verb.DELEGATE)
        acting_on(session, instance, row, actor)
        target = _named(session, actor, instance, "delegate", to_user_id)
        add_party(session, instance, target.org_id)
        _hand_to(session, instance, row, actor, target, kind=NoticeKind.DELEGATED, note=note)
    return row


def _hand_to(
    session: Session,
    instance: ProcessInstance,
    row: InboxTask,
    actor: User,
    target: User,
    *,
    kind: NoticeKind,
    note: str,
) -> None:
    """转办 or 委派: ``target`` holds the task now (a delegate gives it back to ``actor``), told in the bell."""
    delegating = kind == NoticeKind.DELEGATED
    verb = "委派" if delegating else "转办"
    row.claimed_by_id, row.claimed_at = target.id, utcnow()
    row.delegated_by_id = actor.id if delegating else None
    row.notice = (
        f"{actor.full_name} {verb}您办理" + ("，办理后交回其确认" if delegating else "") + (f"：{note}" if note else "")
    )
    _event(
        session,
        instance,
        row,
        actor,
        kind=f"{kind.value}",
        verb=verb,
        lines=[(f"{verb}给", target.full_name), ("说明", note)],
    )
    notify.users(
        session,
        [target.id],
        kind,
        f"{actor.full_name}{verb}您办理「{row.title}」：{instance.title}",
        instance_id=instance.id,
        task_id=row.id,
    )


# -- 加签 -----------------------------------------------------------------------------------------------------


def add_signer(
    session: Session,
    task_id: int,
    *,
    actor: User,
    signer_id: int,
    mode: SignMode,
    note: str = "",
    data: dict[str, Any] | None = None,
    display: Sequence[tuple[str, str]] = (),
) -> InboxTask:
    """加签. Before me: the signer reviews first, then the task returns to the actor. After me: the actor's
    decision (``data``) is held until the signer approves; then the task completes with it."""
    with _one_action(session):
        row, instance = locked_row(session, task_id)
        check_enabled(instance, row.bpmn_id, Verb.SIGN)
        acting_on(session, instance, row, actor)
        if row.kind != TaskKind.TASK:
            raise DomainError("加签审核不能再加签")
        signer = _named(session, actor, instance, "sign", signer_id)
        if mode == SignMode.AFTER:
            if data is None:
                raise DomainError("加签在后须先填写本步骤的办理意见")
            row.draft = {"data": data, "display": [list(line) for line in display]}
        row.claimed_by_id, row.claimed_at = actor.id, utcnow()
        sign = InboxTask(
            task_uuid=None,
            kind=TaskKind.SIGN,
            parent_id=row.id,
            sign_mode=mode,
            instance_id=instance.id,
            process_key=row.process_key,
            bpmn_id=row.bpmn_id,
            title=f"加签审核：{row.title}",
            lane=row.lane,
            org_id=signer.org_id,
            school_id=row.school_id,
            role="sign",
            form_key=SIGN_FORM,
            due_at=row.due_at,
            claimed_by_id=signer.id,
            claimed_at=utcnow(),
            notice=f"{actor.full_name} 请您{'先行审核' if mode == SignMode.BEFORE else '在其之后审核'}"
            + (f"：{note}" if note else ""),
        )
        session.add(sign)
        add_party(session, instance, signer.org_id)
        where = "在前" if mode == SignMode.BEFORE else "在后"
        _event(
            session,
            instance,
            row,
            actor,
            kind="sign_added",
            verb=f"加签（{where}）",
            lines=[("加签人", signer.full_name), ("说明", note)],
        )
        session.flush()
        notify.users(
            session,
            [signer.id],
            NoticeKind.SIGN,
            f"{actor.full_name}请您加签审核「{row.title}」：{instance.title}",
            instance_id=instance.id,
            task_id=sign.id,
        )
    return sign


SIGN_FORM = "workbench.sign"


def sign(session: Session, task_id: int, *, actor: User, agree: bool, opinion: str) -> InboxTask:
    """The added signer's answer. Before: the task returns to its holder with the opinion. After: 同意 completes
    the holder's held decision; 不同意 returns the task to the holder with the decision kept as prefill."""
    with _one_action(session):
        row, instance = locked_row(session, task_id)
        acting_on(session, instance, row, actor)
        if row.kind != TaskKind.SIGN or row.parent_id is None:
            raise NotFound()
        if not agree and not opinion.strip():
            raise DomainError("不同意时必须填写意见")
        parent = session.get_one(InboxTask, row.parent_id)
        row.status, row.completed_at, row.completed_by_id = TaskStatus.DONE, utcnow(), actor.id
        verdict = "同意" if agree else "不同意"
        record_event(
            session,
            instance,
            "signed",
            bpmn_id=row.bpmn_id,
            title=row.title,
            actor=actor,
            display=[("加签意见", verdict), ("意见", opinion)] if opinion else [("加签意见", verdict)],
        )
        session.flush()
        if row.sign_mode == SignMode.AFTER and agree and parent.status == TaskStatus.OPEN:
            holder = session.get_one(User, parent.claimed_by_id)
            held = parent.draft or {}
            display = [tuple(line) for line in held.get("display", [])]
            finish(session, instance, parent, actor=holder, data=held.get("data", {}), display=display)
        elif parent.status == TaskStatus.OPEN:
            parent.notice = f"加签人{actor.full_name}{verdict}" + (f"：{opinion}" if opinion else "")
            if parent.claimed_by_id is not None:
                notify.users(
                    session,
                    [parent.claimed_by_id],
                    NoticeKind.SIGN,
                    f"{actor.full_name}已加签审核「{parent.title}」：{verdict}",
                    instance_id=instance.id,
                    task_id=parent.id,
                )
    return row


# -- 退回 / 撤回 --------------------------------------------------------------------------------------------


def return_targets(session: Session, task_id: int, *, actor: User) -> list[Target]:
    """What the task page offers to send back to. Only read, so neither locked nor rolled back: a rollback here
    expired everything the page had loaded and the page read each listed colleague again (74 statements);
    ``send_back`` checks again under the lock."""
    row = session.get(InboxTask, task_id)
    if row is None:
        return []
    instance = row.instance
    try:
        acting_on(session, instance, row, actor)
    except DomainError:
        return []  # not the actor's to act on now (claimed, locked, waiting for a signer)
    if row.kind != TaskKind.TASK or Verb.RETURN.value in disabled(instance, row.bpmn_id):
        return []
    return returns.targets(session, instance, row)


def send_back(session: Session, task_id: int, *, actor: User, target_uuid: str, reason: str) -> Target:
    """退回 to an earlier step of this case (or its initiator); the step's user gets it back with the reason."""
    with _one_action(session):
        row, instance = locked_row(session, task_id)
        acting_on(session, instance, row, actor)
        if row.kind != TaskKind.TASK:
            raise DomainError("加签审核不能退回，请选择不同意")
        target = returns.send_back(session, instance, row, actor=actor, target_uuid=target_uuid, reason=reason)
    return target


def withdraw(session: Session, case_id: int, *, actor: User) -> str:
    """撤回 my last step while nobody has claimed or acted on the next one."""
    with _one_action(session):
        instance = lock_case(session, case_id)
        name = returns.withdraw(session, instance, actor=actor)
    return name


def can_withdraw(session: Session, instance: ProcessInstance, actor: User) -> str:
    """ "" when the actor may withdraw now, else why not (read only)."""
    return returns.withdrawable(session, instance, actor)[1]


# -- 抄送, 意见, 催办 ----------------------------------------------------------------------------------------


def may_copy(session: Session, instance: ProcessInstance, actor: User) -> bool:
    """抄送 by the initiator or by whoever may act on one of the case's open tasks."""
    if instance.initiator_id == actor.id:
        return True
    rows = session.scalars(
        select(InboxTask).where(InboxTask.instance_id == instance.id, InboxTask.status == TaskStatus.OPEN)
    )
    return any(may_act(actor, row) for row in rows)


def copy_case(
    session: Session,
    case_id: int,
    *,
    actor: User,
    user_ids: Sequence[int],
    org_ids: Sequence[int] = (),
    note: str = "",
) -> list[User]:
    """抄送 to users, or to organisations (every active user of each): they may read the case and comment; they
    cannot act. Copying twice to one user is harmless."""
    with _one_action(session):
        instance = lock_case(session, case_id)
        if not may_copy(session, instance, actor):
            raise DomainError("只有发起人或当前办理人可以抄送")
        allowed = colleagues_for(session, actor, instance, "copy")
        members = session.scalars(allowed.where(User.org_id.in_(org_ids))).all() if org_ids else []
        if org_ids and not members:
            raise DomainError("所选单位不在可选范围内或没有可抄送的人员")
        named = [_named(session, actor, instance, "copy", user_id) for user_id in dict.fromkeys(user_ids)]
        targets = list({user.id: user for user in [*named, *members]}.values())
        if not targets:
            raise DomainError("请选择抄送人员")
        known = set(session.scalars(select(CaseCopy.user_id).where(CaseCopy.instance_id == instance.id)))
        new = [user for user in targets if user.id not in known]
        for user in new:
            session.add(CaseCopy(instance_id=instance.id, user_id=user.id, by_id=actor.id, note=note[:500]))
        record_event(
            session,
            instance,
            "copied",
            bpmn_id=None,
            title="抄送",
            actor=actor,
            display=[("抄送给", "、".join(u.full_name for u in targets))] + ([("说明", note)] if note else []),
        )
        notify.users(
            session,
            [u.id for u in new],
            NoticeKind.COPIED,
            f"{actor.full_name}抄送给您：{instance.title}",
            instance_id=instance.id,
        )
    return targets


def comment(session: Session, case_id: int, *, actor: User, text: str) -> None:
    """An opinion on the case's timeline (parties and copied users; the caller checked the case is visible)."""
    text = text.strip()
    if not text:
        raise DomainError("请填写意见")
    if len(text) > 500:
        raise DomainError("意见不能超过500字")
    with _one_action(session):
        instance = lock_case(session, case_id)
        record_event(session, instance, "comment", bpmn_id=None, title="意见", actor=actor, display=[("意见", text)])


def urge(session: Session, task_id: int, *, actor: User, note: str = "", now: datetime | None = None) -> InboxTask:
    """催办: the initiator or a superior organisation urges whoever holds the task; once per task per hour."""
    now = now or utcnow()
    with _one_action(session):
        row, instance = locked_row(session, task_id)
        if row.status != TaskStatus.OPEN:
            raise TaskAlreadyHandled()
        if not may_urge(actor, row):
            raise NotFound()
        check_enabled(instance, row.bpmn_id, Verb.URGE)
        if row.urged_at is not None and as_utc(row.urged_at) > now - URGE_INTERVAL:
            raise DomainError("该任务一小时内已催办过，请稍后再催办")
        row.urged_at = now
        _event(session, instance, row, actor, kind="urged", verb="催办", lines=[("说明", note)])
        notify.holders_of(row, NoticeKind.URGED, f"{actor.full_name}催办「{row.title}」：{instance.title}", session)
    return row


def _event(
    session: Session,
    instance: ProcessInstance,
    row: InboxTask,
    actor: User,
    *,
    kind: str,
    verb: str,
    lines: list[tuple[str, str]],
) -> None:
    record_event(
        session,
        instance,
        kind,
        bpmn_id=row.bpmn_id,
        title=f"{row.title}：{verb}",
        actor=actor,
        display=[(label, value) for label, value in lines if value],
    )


# -- bulk -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkResult:
    task_id: int
    title: str
    student: str
    done: bool
    message: str


def check_bulk(session: Session, task_ids: Sequence[int]) -> None:
    """批量办理 takes tasks of one step of one flow (one form, one opinion)."""
    steps = session.execute(
        select(InboxTask.process_key, InboxTask.bpmn_id).where(InboxTask.id.in_(task_ids)).distinct()
    ).all()
    if len(steps) > 1:
        raise DomainError("批量办理只能选择同一流程同一步骤的任务")


def bulk_approve(
    session: Session,
    task_ids: Sequence[int],
    *,
    actor: User,
    opinion: str,
    progress: Callable[[int, int], None] | None = None,
) -> list[BulkResult]:
    """批量办理: each task of the same step is approved with one opinion through its own form (so the form's
    rules hold) in its own transaction; one refusal does not undo the others. A task this user already completed
    is reported as done, not refused: run again (a retried job), the batch approves nothing twice and still
    lists every task's outcome."""
    check_bulk(session, task_ids)
    rows = list(session.scalars(select(InboxTask).where(InboxTask.id.in_(task_ids))))
    results: list[BulkResult] = []
    by_id = {row.id: row for row in rows}
    for n, task_id in enumerate(dict.fromkeys(task_ids), start=1):
        row = by_id.get(task_id)
        if row is None:
            results.append(BulkResult(task_id, "", "", False, "任务不存在"))
            continue
        title, student = row.title, _student_name(row)
        form_cls = FORMS.get(row.form_key)
        approval = getattr(form_cls, "approval", None)
        try:
            if row.status == TaskStatus.DONE and row.completed_by_id == actor.id:
                results.append(BulkResult(task_id, title, student, True, "已办理"))
                continue
            if form_cls is None or approval is None:
                raise DomainError("该步骤的表单不支持批量办理")
            check_enabled(row.instance, row.bpmn_id, Verb.BULK)
            form = form_cls(MultiDict({**approval, getattr(form_cls, "opinion_field", "comment"): opinion}))
            if not form.validate():
                raise DomainError("；".join(str(e) for errors in form.errors.values() for e in errors))
            complete(session, row.id, actor=actor, data=form.to_task_data(), display=form.display_lines())
            results.append(BulkResult(task_id, title, student, True, "已办理"))
        except DomainError as err:
            results.append(BulkResult(task_id, title, student, False, err.message))
        finally:
            if progress is not None:
                progress(n, len(task_ids))
    return results


def _student_name(row: InboxTask) -> str:
    case = row.instance
    if case.student is not None:
        return case.student.name
    return str(case.summary.get("student_name", ""))
