"""Two workers deliver messages at the same moment: each message is delivered once (PostgreSQL row locks)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import engine as wf
from models.exchange import ExchangeMessage, MessageStatus
from models.org import OrgUnit
from models.student import Student
from models.workflow import ProcessInstance

pytestmark = pytest.mark.committed


def test_two_workers_start_one_case_per_request(committed_db):
    with Session(committed_db) as session:
        beijing = session.scalars(select(OrgUnit).where(OrgUnit.name == "北京市")).one()
        g_numbers = session.scalars(select(Student).where(Student.national_id_kind == "G")).all()  # sealed: no LIKE
        students = [s for s in g_numbers if (s.national_student_id or "").startswith("G1101")][:3]
        for number, student in enumerate(students):
            payload = {
                "to_org_id": beijing.id,
                "national_student_id": student.national_student_id,
                "student_name": student.name,
                "to_province_name": "贵州省",
            }
            session.add(ExchangeMessage(name="xp_request", correlation=f"race-{number}", payload=payload))
        session.commit()

    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        with Session(committed_db) as session:
            barrier.wait()
            try:
                wf.deliver(session)
            except BaseException as exc:  # noqa: BLE001 -- reported below
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    with Session(committed_db) as session:
        for number in range(3):
            cases = session.scalars(
                select(ProcessInstance).where(ProcessInstance.correlation_key == f"race-{number}")
            ).all()
            assert len(cases) == 1 and cases[0].state_label == "等待转出学校审核"
        statuses = session.scalars(select(ExchangeMessage.status).where(ExchangeMessage.name == "xp_request")).all()
        assert statuses == [MessageStatus.DELIVERED] * 3
