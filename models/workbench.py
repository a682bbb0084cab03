"""The reviewer's workbench beside the inbox: copies of cases (抄送), notifications (the bell) and saved views.

The engine writes copies and notifications in the same transaction as the action that causes them; the pages
read them with one indexed query each.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_column, utcnow
from models.user import User
from models.workflow import ProcessInstance


class CaseCopy(Base):
    """抄送: a case copied to a user, who may read it and comment but not act. One row per user and case."""

    __tablename__ = "case_copy"
    __table_args__ = (
        UniqueConstraint("instance_id", "user_id"),
        Index("ix_case_copy_user", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    note: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    instance: Mapped[ProcessInstance] = relationship()
    by: Mapped[User] = relationship(foreign_keys=[by_id])


class NoticeKind(StrEnum):
    NEW_TASK = "new_task"
    RETURNED = "returned"
    URGED = "urged"
    COPIED = "copied"
    DELEGATED = "delegated"
    REASSIGNED = "reassigned"
    SIGN = "sign"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"

    @property
    def label(self) -> str:
        return NOTICE_LABELS[self]


NOTICE_LABELS = {
    NoticeKind.NEW_TASK: "新任务",
    NoticeKind.RETURNED: "退回",
    NoticeKind.URGED: "催办",
    NoticeKind.COPIED: "抄送",
    NoticeKind.DELEGATED: "委派",
    NoticeKind.REASSIGNED: "转办",
    NoticeKind.SIGN: "加签",
    NoticeKind.DUE_SOON: "即将到期",
    NoticeKind.OVERDUE: "已超期",
}


class Notification(Base):
    """One message in a user's bell. Sent on by e-mail or SMS through ``handlers.notify`` senders."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    kind: Mapped[NoticeKind] = mapped_column(enum_column(NoticeKind, 12))
    text: Mapped[str] = mapped_column(String(300))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("inbox_task.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class SavedView(Base):
    """A reviewer's named inbox filter, kept on the server."""

    __tablename__ = "saved_view"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
