"""Seats follow the student (籍随人走) and respect the admission lock (问题学籍招生处理, F-47).

An inbox row stores the seat its lane resolved to when the task became READY. A lane that follows the case's
student (``engine.lanes``) must be resolved again when that student changes school (an admitted graduate moves,
T2) or is locked and unlocked for admission: ``follow_students`` does it in the same flush, so the record, its
lock and the inbox never disagree, whichever code moved the student.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from engine.lanes import LANES, Seat
from models.admission import RecordLocked
from models.student import Student
from models.workflow import CaseParty, InboxTask, ProcessInstance, TaskStatus, open_cases_of


def is_locked(session: Session, seat: Seat) -> bool:
    return any(session.get_one(Student, record_id).admission_lock for record_id in seat.records)


def resolve(session: Session, instance: ProcessInstance, lane: str) -> tuple[Seat, bool]:
    """The seat of ``lane`` in this case now, and whether it only looks on (a record it acts for is locked)."""
    seat = LANES[lane](session, instance)
    return seat, is_locked(session, seat)


def check_not_locked(session: Session, instance: ProcessInstance, lane: str) -> None:
    """Raise ``RecordLocked`` when the seat of ``lane`` acts for a record locked by an admission (F-47)."""
    if resolve(session, instance, lane)[1]:
        raise RecordLocked()


def add_party(session: Session, instance: ProcessInstance, org_id: int) -> None:
    """The organisation of a seat takes part in the case (and so sees it)."""
    known = session.scalar(select(CaseParty.id).where(CaseParty.instance_id == instance.id, CaseParty.org_id == org_id))
    pending = any(
        isinstance(obj, CaseParty) and obj.instance_id == instance.id and obj.org_id == org_id for obj in session.new
    )
    if known is None and not pending:
        session.add(CaseParty(instance_id=instance.id, org_id=org_id))


def reseat(session: Session, instance: ProcessInstance) -> None:
    """Resolve the lanes of the case's open tasks again: the new school takes them over, a lock shows."""
    rows = session.scalars(
        select(InboxTask).where(InboxTask.instance_id == instance.id, InboxTask.status == TaskStatus.OPEN)
    ).all()
    for row in rows:
        seat, locked = resolve(session, instance, row.lane)
        if (row.org_id, row.role, row.locked) != (seat.org_id, seat.role.value, locked):
            row.org_id, row.role, row.locked = seat.org_id, seat.role.value, locked
            add_party(session, instance, seat.org_id)


def _moved_or_locked(student: Student) -> bool:
    attrs = inspect(student).attrs
    return attrs.school_id.history.has_changes() or attrs.admission_lock.history.has_changes()


@event.listens_for(Session, "before_flush")
def follow_students(session: Session, flush_context: Any, instances: Any) -> None:
    """Before a flush that moves or (un)locks students, re-seat the open tasks of their cases (F-47)."""
    changed = [obj for obj in session.dirty if isinstance(obj, Student) and _moved_or_locked(obj)]
    if not changed:
        return
    for instance in open_cases_of(session, changed):
        reseat(session, instance)
