"""学生调班 (F-20): within the school and cohort, in-school students without pending business only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers import class_change
from models.audit import AuditEvent
from models.errors import DomainError
from models.student import Student, StudentStatus

SCHOOL = "nanming-xx-registrar"


def test_class_change_within_the_cohort_is_audited(session, user, student_of):
    student = student_of(SCHOOL)
    [sibling] = class_change.sibling_classes(session, student)
    assert sibling.cohort_id == student.school_class.cohort_id
    old = student.class_id
    class_change.change_class(session, user(SCHOOL), student, sibling.id)
    session.flush()
    audited = select(AuditEvent).where(AuditEvent.entity == "student", AuditEvent.entity_id == student.id)
    entry = session.scalars(audited.where(AuditEvent.action == "学生调班")).one()
    assert (entry.action, entry.before["class_id"], entry.after["class_id"]) == ("学生调班", old, sibling.id)


def test_other_cohorts_and_away_students_are_refused(session, user, student_of):
    student = student_of(SCHOOL)
    other = session.scalars(
        select(Student).where(Student.school_id == student.school_id).order_by(Student.id.desc())
    ).first()
    with pytest.raises(DomainError, match="只能调到本校同一年级的其他班级"):
        class_change.change_class(session, user(SCHOOL), student, other.class_id)
    student.status = StudentStatus.SUSPENDED
    with pytest.raises(DomainError, match="只有在校学生可以调整年级或班级"):
        class_change.change_class(session, user(SCHOOL), student, class_change.sibling_classes(session, student)[0].id)


def test_class_change_through_the_web(login_as, session, user, student_of):
    student = student_of(SCHOOL)
    [sibling] = class_change.sibling_classes(session, student)
    client = login_as(SCHOOL)
    assert 'data-testid="class-change"' in client.get(f"/students/{student.id}").get_data(as_text=True)
    client.post(f"/students/{student.id}/class", data={"class_id": sibling.id})
    session.expire_all()
    assert session.get(Student, student.id).class_id == sibling.id
    assert login_as("nanming-county").post(f"/students/{student.id}/class", data={"class_id": 1}).status_code == 403
    assert (
        login_as("yunyan-xx-registrar").post(f"/students/{student.id}/class", data={"class_id": 1}).status_code == 404
    )
