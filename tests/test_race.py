"""Two reviewers submit the same task at the same moment: exactly one wins, the other is told, nothing is lost.

Needs real commits from two connections, so it runs on its own PostgreSQL database (SQLite serialises writers
with a file lock and has no row locks to prove anything with).
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import engine as wf
from models.audit import AuditEvent
from models.student import Student, StudentStatus
from models.user import User
from models.workflow import InboxTask, TaskStatus

pytestmark = pytest.mark.committed


def test_two_concurrent_completions_of_one_task_exactly_one_succeeds(committed_db):
    with Session(committed_db) as session:
        registrar = session.scalars(select(User).where(User.username == "nanming-xx-registrar")).one()
        student = session.scalars(select(Student).where(Student.school_id == registrar.org_id)).first()
        case = wf.start(session, "mistaken_deletion", student_id=student.id, actor=registrar, data={"reason": "重复"})
        task_id = session.scalars(select(InboxTask.id).where(InboxTask.instance_id == case.id)).one()
        student_id = student.id

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def reviewer(decision: str) -> None:
        with Session(committed_db) as session:
            county = session.scalars(select(User).where(User.username == "nanming-county")).one()
            data = {"decision": decision, "review_comment": "并发测试"}
            barrier.wait()
            try:
                wf.complete(session, task_id, actor=county, data=data)
                outcomes.append(f"ok:{decision}")
            except wf.TaskAlreadyHandled as err:
                outcomes.append(err.message)

    threads = [threading.Thread(target=reviewer, args=(d,)) for d in ("删除", "驳回")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(o.startswith("ok:") for o in outcomes) == [False, True]
    assert "该任务已被处理" in outcomes
    winner = next(o for o in outcomes if o.startswith("ok:"))
    with Session(committed_db) as session:
        row = session.get(InboxTask, task_id)
        assert row.status == TaskStatus.DONE
        status = session.get(Student, student_id).status
        deletions = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "误操作删除")
        audits = session.scalar(deletions.where(AuditEvent.entity == "student", AuditEvent.entity_id == student_id))
        if winner == "ok:删除":
            assert (status, audits) == (StudentStatus.DELETED, 1)
        else:
            assert (status, audits) == (StudentStatus.IN_SCHOOL, 0)
            assert session.scalars(
                select(InboxTask.bpmn_id).where(
                    InboxTask.status == TaskStatus.OPEN, InboxTask.instance_id == row.instance_id
                )
            ).all() == ["school_decision"]
