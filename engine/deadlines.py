"""Due dates of tasks: 即将到期 and 已超期 notices, and escalation to the superior organisation, run by the tick."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import notify
from engine.runner import record_event
from engine.store import properties
from engine.verbs import task_spec_of
from models.base import utcnow
from models.org import OrgLevel, OrgUnit
from models.user import Role
from models.workbench import NoticeKind
from models.workflow import InboxTask, TaskStatus

OFFICER_OF_LEVEL = {
    OrgLevel.COUNTY: Role.COUNTY_OFFICER,
    OrgLevel.CITY: Role.CITY_OFFICER,
    OrgLevel.PROVINCE: Role.PROVINCE_OFFICER,
    OrgLevel.NATIONAL: Role.NATIONAL_OFFICER,
}


def remind_and_escalate(session: Session, now: datetime | None = None, soon: timedelta = timedelta(days=1)) -> int:
    """即将到期 once to the holders; 已超期 once to the holders and, as property ``escalateTo`` says (default
    上级), to the officers of the superior organisation. Returns how many notices went out."""
    now = now or utcnow()
    sent = 0
    due_soon = session.scalars(
        select(InboxTask).where(
            InboxTask.status == TaskStatus.OPEN,
            InboxTask.reminded_at.is_(None),
            InboxTask.due_at.is_not(None),
            InboxTask.due_at <= now + soon,
            InboxTask.due_at > now,
        )
    ).all()
    for row in due_soon:
        row.reminded_at = now
        notify.holders_of(row, NoticeKind.DUE_SOON, f"「{row.title}」即将到期：{row.instance.title}", session)
        sent += 1
    overdue = session.scalars(
        select(InboxTask).where(
            InboxTask.status == TaskStatus.OPEN,
            InboxTask.escalated_at.is_(None),
            InboxTask.due_at.is_not(None),
            InboxTask.due_at <= now,
        )
    ).all()
    for row in overdue:
        row.escalated_at = now
        text = f"「{row.title}」已超期：{row.instance.title}"
        notify.holders_of(row, NoticeKind.OVERDUE, text, session)
        if _escalate_to(row) == "上级":
            superior = _superior(session, row.org)
            if superior is not None:
                notify.seat(
                    session,
                    superior.id,
                    OFFICER_OF_LEVEL[superior.level].value,
                    NoticeKind.OVERDUE,
                    f"下级{row.org.name}的{text}",
                    task=row,
                )
                record_event(
                    session,
                    row.instance,
                    "escalated",
                    bpmn_id=row.bpmn_id,
                    title=f"{row.title}：超期上报{superior.name}",
                    actor=None,
                )
        sent += 1
    session.commit()
    return sent


def _escalate_to(row: InboxTask) -> str:
    task_spec = task_spec_of(row.instance, row.bpmn_id)
    return properties(task_spec).get("escalateTo", "上级") if task_spec is not None else "上级"


def _superior(session: Session, org: OrgUnit) -> OrgUnit | None:
    ids = org.ancestor_ids()
    return session.get(OrgUnit, ids[-2]) if len(ids) > 1 else None
