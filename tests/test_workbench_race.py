"""Races on the workbench verbs, with real commits from two connections (PostgreSQL; see tests/test_race.py):
two reviewers claim one task, and a withdraw (撤回) meets an approval. Exactly one wins; the case stays whole."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import engine as wf
from models.errors import DomainError
from models.student import Student
from models.user import User, UserRole
from models.workflow import InboxTask, ProcessInstance, TaskStatus

pytestmark = pytest.mark.committed


def at_once(*actions: Callable[[Session], str], engine_db) -> list[str]:
    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = []

    def run(action: Callable[[Session], str]) -> None:
        with Session(engine_db) as session:
            barrier.wait()
            try:
                outcomes.append(action(session))
            except DomainError as err:
                outcomes.append("refused:" + err.message)

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


def by_name(session: Session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def deletion_case(session: Session) -> tuple[int, int]:
    registrar = by_name(session, "nanming-xx-registrar")
    student = session.scalars(select(Student).where(Student.school_id == registrar.org_id)).first()
    case = wf.start(session, "mistaken_deletion", student_id=student.id, actor=registrar, data={"reason": "重复"})
    task_id = session.scalars(select(InboxTask.id).where(InboxTask.instance_id == case.id)).one()
    return case.id, task_id


def test_two_reviewers_claim_one_task_exactly_one_wins(committed_db):
    with Session(committed_db) as session:
        county = by_name(session, "nanming-county")
        other = User(username="nanming-county-2", full_name="南明区同事", password_hash="x", org_id=county.org_id)
        other.role_rows = [UserRole(role="county_officer")]
        session.add(other)
        session.commit()
        _, task_id = deletion_case(session)

    def claimer(username: str) -> Callable[[Session], str]:
        def act(session: Session) -> str:
            wf.claim(session, task_id, actor=by_name(session, username))
            return "ok:" + username

        return act

    outcomes = at_once(claimer("nanming-county"), claimer("nanming-county-2"), engine_db=committed_db)
    winners = [o for o in outcomes if o.startswith("ok:")]
    assert len(winners) == 1, outcomes
    loser = next(o for o in outcomes if not o.startswith("ok:"))
    assert "认领" in loser
    with Session(committed_db) as session:
        holder = session.get(InboxTask, task_id).claimed_by
        assert holder is not None and holder.username == winners[0][3:]


def test_a_withdraw_racing_an_approval_exactly_one_wins(committed_db):
    with Session(committed_db) as session:
        case_id, task_id = deletion_case(session)

    def withdraw(session: Session) -> str:
        wf.withdraw(session, case_id, actor=by_name(session, "nanming-xx-registrar"))
        return "ok:withdraw"

    def approve(session: Session) -> str:
        data = {"decision": "驳回", "review_comment": "并发测试"}
        wf.complete(session, task_id, actor=by_name(session, "nanming-county"), data=data)
        return "ok:approve"

    outcomes = at_once(withdraw, approve, engine_db=committed_db)
    assert sorted(o.startswith("ok:") for o in outcomes) == [False, True], outcomes
    with Session(committed_db) as session:
        case = session.get(ProcessInstance, case_id)
        open_steps = session.scalars(
            select(InboxTask.bpmn_id).where(InboxTask.instance_id == case_id, InboxTask.status == TaskStatus.OPEN)
        ).all()
        if "ok:withdraw" in outcomes:
            assert open_steps == ["start"] and session.get(InboxTask, task_id).status == TaskStatus.CANCELLED
        else:
            assert open_steps == ["school_decision"] and session.get(InboxTask, task_id).status == TaskStatus.DONE
        assert case.status == "open"
