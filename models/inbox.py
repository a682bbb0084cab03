"""The inbox: one indexed query on ``inbox_task`` joined to its case, never a deserialised workflow."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager

from models.jurisdiction import tasks_actionable_by
from models.user import User
from models.workflow import InboxTask, ProcessInstance, TaskStatus

SORTS = {
    "oldest": (InboxTask.created_at.asc(), InboxTask.id.asc()),
    "newest": (InboxTask.created_at.desc(), InboxTask.id.desc()),
    "due": (InboxTask.due_at.is_(None), InboxTask.due_at.asc(), InboxTask.id.asc()),
}


@dataclass(frozen=True)
class InboxPage:
    tasks: list[InboxTask]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def open_tasks(
    session: Session,
    user: User,
    *,
    process_key: str | None = None,
    sort: str = "oldest",
    page: int = 1,
    per_page: int = 50,
) -> InboxPage:
    query = tasks_actionable_by(user).where(InboxTask.status == TaskStatus.OPEN)
    if process_key:
        query = query.where(InboxTask.process_key == process_key)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.join(InboxTask.instance)
        .options(contains_eager(InboxTask.instance).joinedload(ProcessInstance.student))
        .order_by(*SORTS.get(sort, SORTS["oldest"]))
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    return InboxPage(list(rows), total, max(page, 1), per_page)
