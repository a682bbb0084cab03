"""Crash safety (issue 18 item 5): a failure at any point of a reviewer's completion, a promotion or a migration,
and a process killed in the middle of a completion, leave the database exactly as before or exactly as after."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import engine as wf
from engine import versions
from handlers import promotion
from models.audit import AuditEvent
from models.business_calendar import grade_year
from models.lifecycle import PromotionRun, PromotionStatus
from models.student import Student, StudentStatus
from models.user import User
from models.workflow import InboxTask, InstanceEvent, ProcessInstance, TaskStatus
from webapp.db import make_engine

ROOT = Path(__file__).resolve().parents[1]


class Crash(Exception):
    """Stands for the process dying at that point: nothing after it runs, nothing of it is committed."""


def snapshot(session: Session, case_id: int, student_id: int) -> tuple:
    session.expire_all()
    case = session.get(ProcessInstance, case_id)
    return (
        session.get(Student, student_id).status,
        session.scalar(select(func.count()).where(AuditEvent.entity_id == student_id)),
        case.state_label,
        case.lock_version,
        case.state_json,
        tuple(
            session.scalars(
                select(InboxTask.bpmn_id)
                .where(InboxTask.instance_id == case_id, InboxTask.status == TaskStatus.OPEN)
                .order_by(InboxTask.id)
            )
        ),
        session.scalar(select(func.count()).where(InstanceEvent.instance_id == case_id)),
    )


@pytest.fixture
def deletion(flows, user, student_of):
    student = student_of("nanming-xx-registrar")
    return flows("mistaken_deletion", student=student, by=user("nanming-xx-registrar"), reason="重复录入"), student.id


# Each point lies after the handler changed the record and before the commit: the handler's work, the history,
# the state and the inbox all vanish together.
POINTS = [
    "engine.store._collect_messages",
    "engine.store._sync_inbox",
    "engine.runner.record_waiting_state",
    "engine.runner.engine_event",
]


@pytest.mark.parametrize("point", POINTS)
def test_a_completion_failing_at_any_point_leaves_nothing(deletion, session, user, monkeypatch, point):
    case, student_id = deletion
    before = snapshot(session, case.case.id, student_id)
    module, name = point.rsplit(".", 1)

    def crash(*args, **kwargs):
        raise Crash(point)

    monkeypatch.setattr(f"{module}.{name}", crash)
    with pytest.raises(Crash):
        case.submit("county_review", by=user("nanming-county"), decision="删除")
    assert snapshot(session, case.case.id, student_id) == before
    monkeypatch.undo()
    case.submit("county_review", by=user("nanming-county"), decision="删除")  # and it can be done afterwards
    assert session.get(Student, student_id).status == StudentStatus.DELETED


def test_a_promotion_failing_before_its_commit_leaves_the_grade_year(session, user):
    province = user("guizhou-province").org_id
    before = grade_year(session, province)
    moment = datetime(2027, 8, 10, 16, tzinfo=UTC)
    run = promotion.schedule(session, user("guizhou-province"), province_id=province, promote_at=moment)
    session.commit()
    original = promotion._audit

    def crash(*args, **kwargs):
        original(*args, **kwargs)
        raise Crash("after the audit row, before the commit")

    promotion._audit = crash  # type: ignore[assignment]
    try:
        with pytest.raises(Crash):
            promotion.run_due(session, moment)
    finally:
        promotion._audit = original  # type: ignore[assignment]
    session.rollback()
    assert grade_year(session, province) == before
    assert session.get(PromotionRun, run.id).status == PromotionStatus.SCHEDULED
    [done] = promotion.run_due(session, moment)
    assert done.status == PromotionStatus.DONE and grade_year(session, province) == before + 1


def test_a_migration_failing_on_the_second_case_keeps_the_first_and_leaves_the_second(
    flows, user, student_of, session, monkeypatch
):
    from tests.test_publish import FILENAME, variant

    registrar = user("nanming-xx-registrar")
    pupils = session.scalars(
        select(Student).where(Student.school_id == registrar.org_id, Student.open_case_id.is_(None)).limit(2)
    ).all()
    cases = [flows("mistaken_deletion", student=p, by=registrar, reason="重复").case for p in pupils]
    target = wf.publish(session, variant(('value="未处理"', 'value="待区县处理"')), filename=FILENAME)
    before = snapshot(session, cases[1].id, pupils[1].id)
    calls = {"n": 0}
    original = versions.run_engine

    def crash_second(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise Crash("second case")
        return original(*args, **kwargs)

    monkeypatch.setattr(versions, "run_engine", crash_second)
    with pytest.raises(Crash):
        versions.migrate(session, [c.id for c in cases], target, by=user("guizhou-policy"))
    session.rollback()
    session.expire_all()
    assert session.get(ProcessInstance, cases[0].id).version_id == target.id
    second = session.get(ProcessInstance, cases[1].id)
    assert second.version_id != target.id
    assert snapshot(session, cases[1].id, pupils[1].id) == before


KILLED = textwrap.dedent(
    """
    import os, signal, sys
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session
    import engine as wf
    import handlers
    from engine import store
    from models.user import User

    wf.use_handlers(handlers.REGISTRY)  # as create_app does at start
    db = create_engine(sys.argv[1])
    task_id = int(sys.argv[2])
    original = store._sync_inbox

    def die(*args, **kwargs):  # the student is already marked deleted in this transaction
        os.kill(os.getpid(), signal.SIGKILL)

    store._sync_inbox = die
    with Session(db) as session:
        county = session.scalars(select(User).where(User.username == "nanming-county")).one()
        wf.complete(session, task_id, actor=county, data={"decision": "删除", "review_comment": ""})
    """
)


def test_a_process_killed_in_the_middle_of_a_completion_commits_nothing(tmp_path):
    from conftest import build_database

    url = f"sqlite:///{tmp_path / 'killed.sqlite3'}"
    db = build_database(url, students=300)
    with Session(db) as session:
        registrar = session.scalars(select(User).where(User.username == "nanming-xx-registrar")).one()
        student = session.scalars(select(Student).where(Student.school_id == registrar.org_id)).first()
        case = wf.start(session, "mistaken_deletion", student_id=student.id, actor=registrar, data={"reason": "重复"})
        task_id = session.scalars(select(InboxTask.id).where(InboxTask.instance_id == case.id)).one()
        before = snapshot(session, case.id, student.id)
        case_id, student_id = case.id, student.id
    db.dispose()
    script = tmp_path / "killed.py"
    script.write_text(KILLED)
    done = subprocess.run(  # noqa: S603 -- our own script
        [sys.executable, str(script), url, str(task_id)], cwd=ROOT, capture_output=True, timeout=120, check=False
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    db = make_engine(url)
    with Session(db) as session:
        assert snapshot(session, case_id, student_id) == before
        county = session.scalars(select(User).where(User.username == "nanming-county")).one()
        wf.complete(session, task_id, actor=county, data={"decision": "删除", "review_comment": ""})
        assert session.get(Student, student_id).status == StudentStatus.DELETED
    db.dispose()
