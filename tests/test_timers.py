"""The timer tick: a due deadline fires, closes the inbox row and ends the case; nothing fires early."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import select

import engine as wf
from models.workflow import CaseStatus, InboxTask, TaskStatus

DIAGRAM = Path(__file__).resolve().parent / "data" / "timed_review.bpmn"


def test_deadline_fires_only_when_due(session, flows, user, student_of):
    wf.publish(session, DIAGRAM.read_bytes(), filename=DIAGRAM.name)
    case = flows(
        "timed_review", student=student_of("yunyan-xx-registrar"), by=user("yunyan-xx-registrar"), reason="限时"
    )
    assert case.seats() == [("county_review", "云岩区", "county_officer")]
    assert case.case.next_timer_at is not None
    task = case.open_task("county_review")
    assert task.due_at == case.case.next_timer_at

    assert wf.tick(session, now=case.case.next_timer_at.replace(year=2000)) == 0
    assert case.state == "待核办"

    time.sleep(1.1)
    assert wf.tick(session) >= 1
    assert case.state == "已超时"
    assert case.case.status == CaseStatus.COMPLETED
    row = session.scalars(select(InboxTask).where(InboxTask.id == task.id)).one()
    assert row.status == TaskStatus.CANCELLED
    assert case.seats() == []
