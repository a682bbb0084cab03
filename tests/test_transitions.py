"""§4.3: every transition not in the table is refused with a Chinese message and changes nothing."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from models import transitions
from models.audit import AuditEvent
from models.errors import DomainError
from models.student import Student, StudentStatus

ALL_PAIRS = list(itertools.product(StudentStatus, StudentStatus))
DISALLOWED = [pair for pair in ALL_PAIRS if pair not in transitions.ALLOWED]


def test_the_table_holds_the_sixteen_rows_of_the_spec():
    # T1 is a registration approved (待注册 → 在校); T2–T4 are admissions and moves, not status changes here.
    assert set(transitions.ALLOWED.values()) == {"T1", *(f"T{n}" for n in range(5, 17))}
    assert (StudentStatus.IN_SCHOOL, StudentStatus.SUSPENDED) in transitions.ALLOWED
    assert (StudentStatus.GRADUATED, StudentStatus.IN_SCHOOL) in transitions.ALLOWED  # T12 毕业生驳回


@pytest.mark.parametrize(("current", "target"), DISALLOWED, ids=[f"{a.value}->{b.value}" for a, b in DISALLOWED])
def test_every_disallowed_transition_is_refused(session, current, target):
    student = session.scalars(select(Student).order_by(Student.id)).first()
    student.status = current
    session.flush()
    audits = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    with pytest.raises(DomainError) as refused:
        transitions.change_status(session, student, target, actor=None, action="测试")
    assert student.name in refused.value.message
    assert current.label in refused.value.message
    assert student.status == current
    assert session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) == audits


@pytest.mark.parametrize(("current", "target"), list(transitions.ALLOWED))
def test_every_allowed_transition_moves_and_is_audited(session, current, target):
    student = session.scalars(select(Student).order_by(Student.id)).first()
    student.status = current
    session.flush()
    transitions.change_status(session, student, target, actor=None, action="测试")
    session.flush()
    entry = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert (entry.before["status"], entry.after["status"]) == (current.value, target.value)


def test_deleted_records_are_never_revived_and_graduates_need_rejection_first():
    assert "终止状态" in transitions.refusal(StudentStatus.DELETED, StudentStatus.IN_SCHOOL)
    assert "须先由区县驳回为在校" in transitions.refusal(StudentStatus.GRADUATED, StudentStatus.SUSPENDED)
