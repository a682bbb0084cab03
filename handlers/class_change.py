"""学生调班 (F-20): the school moves an in-school student to another class of the same cohort, no approval."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import audit, transitions
from models.errors import DomainError
from models.org import SchoolClass
from models.student import Student
from models.user import User


def sibling_classes(session: Session, student: Student) -> list[SchoolClass]:
    """The other classes of the student's cohort: where 调班 may go."""
    if student.school_class is None:
        return []
    return list(
        session.scalars(
            select(SchoolClass)
            .where(SchoolClass.cohort_id == student.school_class.cohort_id, SchoolClass.id != student.class_id)
            .order_by(SchoolClass.class_no)
        )
    )


def change_class(session: Session, actor: User, student: Student, class_id: int) -> None:
    """T4 within the school and cohort; refused with a message for anything else. Writes the audit event."""
    transitions.check_move(student)
    if student.open_case_id is not None:
        raise DomainError(f"学生{student.name}有在办业务，办结后才能调班")
    target = session.get(SchoolClass, class_id)
    if target is None or target not in sibling_classes(session, student):
        raise DomainError("只能调到本校同一年级的其他班级")
    before = {"class_id": student.class_id, "class_name": student.school_class.name if student.school_class else ""}
    student.class_id = target.id
    audit.record(
        session,
        actor=actor,
        action="学生调班",
        entity="student",
        entity_id=student.id,
        before=before,
        after={"class_id": target.id, "class_name": target.name},
    )
