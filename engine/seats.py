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

from engine.lanes import LANES, Seat, none_locked
from models.admission import RecordLocked, sync_lock
from models.student import Student
from models.workflow import CaseParty, InboxTask, ProcessInstance, TaskStatus, open_cases_of


def is_locked(session: Session, seat: Seat) -> bool:
    return any(session.get_one(Student, record_id).admission_lock for record_id in seat.records)


def resolve(session: Session, instance: ProcessInstance, lane: str) -> tuple[Seat, bool]:
    """The seat of ``lane`` in this case now, and whether it only looks on (a record it acts for is locked)."""
    seat = LANES[lane](session, instance)
    return seat, is_locked(session, seat)


def check_not_locked(session: Session, instance: ProcessInstance, lane: str) -> None:
    """Raise ``RecordLocked`` when the seat of ``lane`` acts for a record locked by an admission (F-47). The lane
    is resolved only when a record of the case could be locked (resolving reads the organisations above it)."""
    if not none_locked(session, instance) and resolve(session, instance, lane)[1]:
        raise RecordLocked()


def add_party(session: Session, instance: ProcessInstance, org_id: int) -> None:
    """The organisation of a seat takes part in the case (and so sees it). The case's school and receiving school
    took part from its start (``engine.api.start``): no query for them."""
    if org_id in (instance.org_id, instance.to_school_id):
        return
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


def _changed(student: Student, *names: str) -> bool:
    attrs = inspect(student).attrs
    return any(getattr(attrs, name).history.has_changes() for name in names)


@event.listens_for(Session, "before_flush")
def follow_students(session: Session, flush_context: Any, instances: Any) -> None:
    """Before a flush that changes students: a graduate becoming (or ceasing to be) a problem record, or leaving
    the graduates, gets its admission lock recomputed (F-47), whichever code changed it; then the open tasks of
    the cases of students who moved or were (un)locked are re-seated."""
    students = [obj for obj in session.dirty if isinstance(obj, Student)]
    for student in students:
        # Only a problem record can be locked: a status change of any other record needs no query.
        status_matters = bool(student.problem_type or student.admission_lock) and _changed(student, "status")
        if status_matters or _changed(student, "problem_type"):
            sync_lock(session, student.id, None)
    changed = [student for student in students if _changed(student, "school_id", "admission_lock")]
    if not changed:
        return
    for instance in open_cases_of(session, changed):
        reseat(session, instance)
