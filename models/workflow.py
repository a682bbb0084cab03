"""Workflow tables: published diagram versions, case instances, the inbox, case parties and history.

The engine (``engine/``) is the only writer. Lists read these rows; no list ever deserialises a workflow.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, enum_column, utcnow
from models.org import OrgUnit
from models.student import Student
from models.user import User


class CaseStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class ProcessVersion(Base):
    """One published version of one diagram. ``spec_hash`` is of the parsed spec, so re-saving a file that
    only differs in layout or whitespace finds the existing version instead of creating one."""

    __tablename__ = "process_version"
    __table_args__ = (
        UniqueConstraint("process_key", "version_no"),
        UniqueConstraint("process_key", "spec_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(100))
    version_no: Mapped[int]
    spec_hash: Mapped[str] = mapped_column(String(64))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    spec_json: Mapped[str] = mapped_column(Text)
    is_current: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    note: Mapped[str] = mapped_column(String(500), default="")

    published_by: Mapped[User | None] = relationship()


class DraftStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    DISCARDED = "discarded"


class ProcessDraft(Base):
    """A diagram being edited by policy staff: saved freely, checked on every save, published when it passes."""

    __tablename__ = "process_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(100), index=True)
    bpmn_xml: Mapped[str] = mapped_column(Text)
    base_version_id: Mapped[int | None] = mapped_column(ForeignKey("process_version.id"))
    status: Mapped[DraftStatus] = mapped_column(enum_column(DraftStatus, 10), default=DraftStatus.DRAFT)
    problems: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Scenario results belong to one text of the draft: a later save makes them stale.
    scenario_results: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    scenarios_checked_hash: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_version_id: Mapped[int | None] = mapped_column(ForeignKey("process_version.id"))

    base_version: Mapped[ProcessVersion | None] = relationship(foreign_keys=[base_version_id])
    created_by: Mapped[User] = relationship()


class ProcessInstance(Base):
    """A case. ``lock_version`` makes a concurrent second save fail instead of silently winning."""

    __tablename__ = "process_instance"
    __table_args__ = (
        Index("ix_process_instance_key_state", "process_key", "state_label"),
        Index("ix_process_instance_initiator", "initiator_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(100))
    version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    student_id: Mapped[int | None] = mapped_column(ForeignKey("student.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)  # the subject's school
    # Transfers (F-29…F-32): the receiving school, stored at start; lane resolvers read it (engine/lanes.py).
    to_school_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    # Messages between cases (models/exchange.py): the cases of one cross-province transfer share this key;
    # ``waiting_for`` lists the message names the saved workflow waits for, so routing never loads workflows.
    correlation_key: Mapped[str | None] = mapped_column(String(64), index=True)
    waiting_for: Mapped[str] = mapped_column(String(500), default="")
    initiator_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus, 12), default=CaseStatus.OPEN, index=True)
    # The state a user reads (e.g. 未处理 / 已驳回 / 已删除), taken from the diagram's caseState properties.
    state_label: Mapped[str] = mapped_column(String(50), default="")
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state_json: Mapped[str] = mapped_column(Text)
    next_timer_at: Mapped[datetime | None] = mapped_column(index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": lock_version}

    version: Mapped[ProcessVersion] = relationship()
    student: Mapped[Student | None] = relationship(foreign_keys=[student_id])
    org: Mapped[OrgUnit] = relationship(foreign_keys=[org_id])
    to_school: Mapped[OrgUnit | None] = relationship(foreign_keys=[to_school_id])
    initiator: Mapped[User | None] = relationship()
    events: Mapped[list[InstanceEvent]] = relationship(order_by="InstanceEvent.id", viewonly=True)


class CaseParty(Base):
    """Every organisation taking part in a case; a case is visible to the subtree of any of its parties."""

    __tablename__ = "case_party"
    __table_args__ = (UniqueConstraint("instance_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)


class TaskKind(StrEnum):
    TASK = "task"  # a READY user task (or a start event sent back to its initiator) of the diagram
    SIGN = "sign"  # 加签: an added signer's review, no task of the diagram; ``parent_id`` is the task it guards


class SignMode(StrEnum):
    NONE = ""
    BEFORE = "before"  # the signer reviews first, then the task returns to its holder
    AFTER = "after"  # the holder's completion waits for the signer's approval


_ESCALATED = text("status = 'open' AND escalated_at IS NOT NULL")
_OPEN = text("status = 'open'")
# What the inbox reads of a seat's open tasks besides the key: the step, the filters' columns and the holder.
INBOX_COLUMNS = ("process_key", "bpmn_id", "title", "school_id", "due_at", "claimed_by_id", "instance_id")


class InboxTask(Base):
    """One READY user task, resolved to the organisation and role that may act on it (the seat), and who holds it.

    A group task belongs to every user of its seat until one claims it (``claimed_by_id``); 转办 and 委派 hand it
    to a named user. A task sent back (退回) to an earlier step gets a new row with the same ``task_uuid``.
    """

    __tablename__ = "inbox_task"
    __table_args__ = (
        # The inbox (models.inbox): a seat's open tasks in arrival order, counted, grouped by step and filtered
        # from the index alone on PostgreSQL (index-only scans of the pages vacuum marked all-visible).
        Index(
            "ix_inbox_task_seat_open",
            "org_id",
            "role",
            "created_at",
            "id",
            postgresql_include=list(INBOX_COLUMNS),
            postgresql_where=_OPEN,
            sqlite_where=_OPEN,
        ),
        # The inbox sorted by time limit: a seat's open tasks in (due_at, id) order, those without one last.
        Index("ix_inbox_task_seat_due", "org_id", "role", "due_at", "id", postgresql_where=_OPEN, sqlite_where=_OPEN),
        Index("ix_inbox_task_holder", "claimed_by_id", "status"),
        Index("ix_inbox_task_seat_school", "org_id", "role", "status", "school_id"),
        # 已超期上报 (escalated_below, on every superior's inbox): the few escalated open rows, not a scan of all.
        Index("ix_inbox_task_escalated", "org_id", sqlite_where=_ESCALATED, postgresql_where=_ESCALATED),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    kind: Mapped[TaskKind] = mapped_column(enum_column(TaskKind, 10), default=TaskKind.TASK, server_default="task")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("inbox_task.id"), index=True)
    sign_mode: Mapped[SignMode] = mapped_column(enum_column(SignMode, 10), default=SignMode.NONE, server_default="")
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(100))
    bpmn_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str] = mapped_column(String(50))
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    role: Mapped[str] = mapped_column(String(30))
    # The case's school (process_instance.org_id), kept on the row for the inbox's 学校 filter: finding a seat's
    # tasks of one school through the cases looked up every open task's case (150 ms for 10,000 tasks).
    school_id: Mapped[int | None]
    form_key: Mapped[str] = mapped_column(String(100))
    # The record this seat acts for is locked (问题学籍招生中, F-47): shown, not actionable. Kept with the seat.
    locked: Mapped[bool] = mapped_column(default=False, server_default="0")
    status: Mapped[TaskStatus] = mapped_column(enum_column(TaskStatus, 10), default=TaskStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    claimed_at: Mapped[datetime | None]
    # 委派: the delegate holds the task; on giving it back it returns to this user to confirm or return.
    delegated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # Form data held for this row: the earlier entry of a task sent back, a delegate's proposal, or the
    # holder's decision waiting for an added signer (加签在后).
    draft: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # What the holder reads on top of the form (退回原因, 委派 note, the signer's refusal).
    notice: Mapped[str] = mapped_column(String(600), default="", server_default="")
    urged_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]  # 即将到期 sent
    escalated_at: Mapped[datetime | None]  # 已超期 sent, and reported to the superior organisation

    instance: Mapped[ProcessInstance] = relationship()
    org: Mapped[OrgUnit] = relationship()
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
    delegated_by: Mapped[User | None] = relationship(foreign_keys=[delegated_by_id])
    parent: Mapped[InboxTask | None] = relationship(remote_side=[id])


class InstanceEvent(Base):
    """Case history (append-only): who did what at which step, with the decision and reason."""

    __tablename__ = "instance_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))  # started / task / service / state / ended / cancelled
    bpmn_id: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    state_label: Mapped[str] = mapped_column(String(50), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship()
    org: Mapped[OrgUnit | None] = relationship()


_ADD_EVENT = insert(InstanceEvent.__table__)


def written_now(session: Session) -> Connection:
    """The session's connection, for the engine's Core statements: ``Session.execute`` would flush whatever the
    session holds before each of them, a unit-of-work pass that cost more CPU than the statement."""
    return session.connection()


def flush_pending_events(session: Session) -> None:
    """History entries added as ORM objects and still pending go first, so that entries keep the order in which
    they were recorded when the next one is inserted, or read, with a Core statement."""
    if any(isinstance(obj, InstanceEvent) for obj in session.new):
        session.flush()


_BATCH = "xueji_history_batch"


@contextmanager
def history_batch(session: Session) -> Iterator[None]:
    """History entries recorded inside the block are inserted together when it ends (one statement for an engine
    run's entries: the task, its service steps, the end), in the order recorded; dropped when it raises (the
    action rolls back). Entries recorded before it, by an enclosing block, are inserted when it begins."""
    outer = session.info.get(_BATCH)
    if outer:
        _insert_events(session, outer)
    batch: list[dict[str, Any]] = []
    session.info[_BATCH] = batch
    try:
        yield
    finally:
        if outer is None:
            session.info.pop(_BATCH, None)
        else:
            session.info[_BATCH] = outer
    _insert_events(session, batch)


def _insert_events(session: Session, entries: list[dict[str, Any]]) -> None:
    if entries:
        flush_pending_events(session)
        written_now(session).execute(_ADD_EVENT, list(entries))
        entries.clear()


def add_event(
    session: Session,
    instance_id: int,
    kind: str,
    *,
    title: str,
    bpmn_id: str | None = None,
    user_id: int | None = None,
    org_id: int | None = None,
    state_label: str = "",
    fields: Iterable[Sequence[str]] = (),
) -> None:
    """Append one history entry at once (or with its ``history_batch``), in one Core statement: no ORM object to
    flush (a flush cost more CPU than the insert)."""
    entry = {
        "instance_id": instance_id,
        "at": utcnow(),
        "kind": kind,
        "bpmn_id": bpmn_id,
        "title": title,
        "user_id": user_id,
        "org_id": org_id,
        "state_label": state_label,
        "data": {"fields": [list(line) for line in fields]},
    }
    batch = session.info.get(_BATCH)
    if batch is not None:
        batch.append(entry)
    else:
        _insert_events(session, [entry])


def bind_subject(session: Session, case: ProcessInstance, student: Student) -> None:
    """Make ``student`` the subject of a case that started without one (a message-started case, F-32, or a
    record arriving by 调档, F-31): the case belongs to the student's school and is the student's 在办业务."""
    case.student_id, case.org_id = student.id, student.school_id
    session.execute(update(InboxTask).where(InboxTask.instance_id == case.id).values(school_id=student.school_id))
    if student.open_case_id is None:
        student.open_case_id = case.id
    known = session.scalar(
        select(CaseParty.id).where(CaseParty.instance_id == case.id, CaseParty.org_id == student.school_id)
    )
    if known is None:
        session.add(CaseParty(instance_id=case.id, org_id=student.school_id))


def open_cases_of(session: Session, students: Sequence[Student]) -> list[ProcessInstance]:
    """Open cases concerning these records: as the subject, or (a problem record) as the other record of a
    two-party case (问题学籍, whose summary names ``other_student``)."""
    concerns: ColumnElement[bool] = ProcessInstance.student_id.in_([s.id for s in students])
    problem_ids = [str(s.id) for s in students if s.problem_type]
    if problem_ids:  # only problem records are the other record of a case: the JSON test stays rare
        concerns = or_(concerns, ProcessInstance.summary["other_student"].as_string().in_(problem_ids))
    return list(session.scalars(select(ProcessInstance).where(ProcessInstance.status == CaseStatus.OPEN, concerns)))
