"""Notifications: the bell's rows, written in the transaction of the action that causes them, and the senders
that pass them on (e-mail, SMS) behind one small interface. The default sender only logs."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import cache
from typing import NamedTuple, Protocol

from sqlalchemy import Insert, String, bindparam, insert, select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.user import User, UserRole
from models.workbench import NoticeKind, Notification
from models.workflow import InboxTask, written_now

log = logging.getLogger(__name__)


class Sender(Protocol):
    def send(self, user_id: int, kind: NoticeKind, text: str) -> None: ...


class LogSender:
    """Stands where an e-mail or SMS gateway would: a deployment registers its own in ``SENDERS``."""

    def send(self, user_id: int, kind: NoticeKind, text: str) -> None:
        log.info("notification to user %s (%s): %s", user_id, kind.label, text)


SENDERS: list[Sender] = [LogSender()]


def users(
    session: Session,
    user_ids: Iterable[int],
    kind: NoticeKind,
    text: str,
    *,
    instance_id: int | None = None,
    task_id: int | None = None,
) -> None:
    for user_id in dict.fromkeys(user_ids):
        session.add(Notification(user_id=user_id, kind=kind, text=text[:300], instance_id=instance_id, task_id=task_id))
        for sender in SENDERS:
            sender.send(user_id, kind, text)


def seat(session: Session, org_id: int, role: str, kind: NoticeKind, text: str, *, task: InboxTask) -> None:
    """Every active user of a seat, in one statement (a county has a handful of officers, a school a few)."""
    _seat(session, org_id, role, kind, text, instance_id=task.instance_id, task_id=task.id)


def _seat(
    session: Session, org_id: int, role: str, kind: NoticeKind, text: str, *, instance_id: int, task_id: int
) -> None:
    written_now(session).execute(
        _seat_insert(),
        {
            "org_id": org_id,
            "role": role,
            "kind": kind.value,
            "text": text[:300],
            "instance_id": instance_id,
            "task_id": task_id,
            "at": utcnow(),
        },
    )


@cache
def _seat_insert() -> Insert:
    """Built once per process, the values bound at execution (building it cost as much CPU as running it)."""
    columns = Notification.__table__.c
    holders = (
        select(
            User.id,
            bindparam("kind", type_=String()),
            bindparam("text", type_=String()),
            bindparam("instance_id", type_=columns.instance_id.type),
            bindparam("task_id", type_=columns.task_id.type),
            bindparam("at", type_=columns.at.type),
        )
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.org_id == bindparam("org_id"), UserRole.role == bindparam("role"), User.active)
    )
    return insert(Notification.__table__).from_select(
        ["user_id", "kind", "text", "instance_id", "task_id", "at"], holders
    )


def holders_of(task: InboxTask, kind: NoticeKind, text: str, session: Session) -> None:
    """Whoever may act on the task: its holder when claimed, else its seat."""
    if task.claimed_by_id is not None:
        users(session, [task.claimed_by_id], kind, text, instance_id=task.instance_id, task_id=task.id)
    else:
        seat(session, task.org_id, task.role, kind, text, task=task)


class Arrived(NamedTuple):
    """A row ``engine.store`` has just inserted (no ORM object is built for it): what its notice needs."""

    id: int
    instance_id: int
    case_title: str
    title: str
    org_id: int
    role: str
    claimed_by_id: int | None


def task_arrived(session: Session, task: Arrived, kind: NoticeKind) -> None:
    verb = "被退回" if kind == NoticeKind.RETURNED else "待办理"
    text = f"「{task.title}」{verb}：{task.case_title}"
    if task.claimed_by_id is not None:
        users(session, [task.claimed_by_id], kind, text, instance_id=task.instance_id, task_id=task.id)
    else:
        _seat(session, task.org_id, task.role, kind, text, instance_id=task.instance_id, task_id=task.id)
