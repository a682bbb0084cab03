"""Long work done off the request path (imports, batches, exports, the periodic tick): one row per job, and the
progress callback that handlers call without knowing who listens (a worker writing the row, or nobody).

A job's ``key`` is unique: the same piece of work submitted twice (a double click, a retried message) finds the
first job instead of doing the work again; a job whose effect commits sets its own ``done`` state in that same
transaction, so a retry of a finished job never repeats it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_column, utcnow
from models.org import OrgUnit
from models.user import User


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return JOB_STATE_LABELS[self]


JOB_STATE_LABELS = {
    JobState.QUEUED: "排队中",
    JobState.RUNNING: "进行中",
    JobState.DONE: "已完成",
    JobState.FAILED: "失败",
    JobState.CANCELLED: "已取消",
}
FINISHED = frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELLED})


class Job(Base):
    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_started_by", "started_by_id", "id"),
        Index("ix_job_org", "org_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[JobState] = mapped_column(enum_column(JobState, 10), default=JobState.QUEUED)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # None = the scheduler
    org_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    stage: Mapped[str] = mapped_column(String(40), default="")
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    stage_started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result_file: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)

    started_by: Mapped[User | None] = relationship()
    org: Mapped[OrgUnit | None] = relationship()

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


class Progress(Protocol):
    """What a handler calls as it goes: ``progress(rows_done, rows_total, "逐行校验")``. Cheap to call often (the
    listener throttles); it may raise ``JobCancelled`` when the user cancelled, which the handler lets through so
    that its transaction rolls back."""

    def __call__(self, done: int, total: int, stage: str = "") -> None: ...


class JobCancelled(Exception):
    """The user asked to cancel: the job stops and writes nothing."""


def no_progress(done: int, total: int, stage: str = "") -> None:
    """The progress of work nobody watches (tests, the synchronous paths)."""
