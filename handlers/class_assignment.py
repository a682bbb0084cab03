"""学生分班 / 自动分班 (F-49) within class-size limits (F-52).

Students awaiting a class (待分班, Q-24) are in-school students of the school without a class: new primary
students registered without one, and admitted students. ``plan`` is a pure, deterministic function: boys, then
girls, each ordered by a stable key, dealt one by one to the class with the fewest students of that sex, then the
fewest students, then the lowest class number, never past the class's capacity; who does not fit is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import audit
from models.class_size import class_size, reaches_warning
from models.errors import DomainError
from models.org import Cohort, SchoolClass
from models.student import RegistrationState, Student, StudentStatus
from models.user import User

SEXES = ("1", "2")


@dataclass(frozen=True)
class Pupil:
    id: int
    sex: str
    key: str  # stable order: national number, else id


@dataclass
class Slot:
    class_id: int
    class_no: str
    name: str
    capacity: int
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SEXES, 0))
    warn_at: int | None = None  # 预警人数 of the configured 班额 (F-52)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def warns(self) -> bool:
        return reaches_warning(self.total, self.capacity, self.warn_at)

    @property
    def order(self) -> tuple[int, str]:
        return (int(self.class_no), "") if self.class_no.isdigit() else (10**9, self.class_no)


@dataclass
class Plan:
    slots: list[Slot]
    assignments: dict[int, int]  # student id → class id
    unassigned: list[int]


def plan(pupils: Sequence[Pupil], slots: Sequence[Slot]) -> Plan:
    """Deal the pupils over copies of the slots (the caller's slots are left as they were)."""
    result = [replace(s, counts=dict(s.counts)) for s in slots]
    assignments: dict[int, int] = {}
    unassigned: list[int] = []
    for sex in SEXES:
        for pupil in sorted((p for p in pupils if p.sex == sex), key=lambda p: (p.key, p.id)):
            open_slots = [s for s in result if s.total < s.capacity]
            if not open_slots:
                unassigned.append(pupil.id)
                continue
            target = min(open_slots, key=lambda s: (s.counts[sex], s.total, s.order))
            target.counts[sex] += 1
            assignments[pupil.id] = target.class_id
    unassigned.extend(p.id for p in pupils if p.sex not in SEXES)
    return Plan(result, assignments, unassigned)


def awaiting_class(session: Session, school_id: int) -> list[Student]:
    """待分班: in-school students of the school without a class."""
    return list(
        session.scalars(
            select(Student)
            .where(
                Student.school_id == school_id,
                Student.class_id.is_(None),
                Student.status == StudentStatus.IN_SCHOOL,
                Student.registration_state == RegistrationState.APPROVED,
            )
            .order_by(Student.national_student_id, Student.id)
        )
    )


def slots_of(session: Session, school_id: int, class_ids: Sequence[int]) -> list[Slot]:
    """The chosen classes of the school with their current boys/girls and capacity: the class's own, else the
    班额 configured for the school and stage (F-52)."""
    classes = session.execute(
        select(SchoolClass, Cohort.stage)
        .join(Cohort, Cohort.id == SchoolClass.cohort_id)
        .where(SchoolClass.id.in_(class_ids), Cohort.school_id == school_id)
        .order_by(SchoolClass.class_no)
    ).all()
    if len(classes) != len(set(class_ids)) or not classes:
        raise DomainError("请选择本校的班级")
    counts = session.execute(
        select(Student.class_id, Student.sex, func.count())
        .where(Student.class_id.in_(class_ids), Student.status == StudentStatus.IN_SCHOOL)
        .group_by(Student.class_id, Student.sex)
    ).all()
    sizes = {stage: class_size(session, school_id, stage) for stage in {stage for _, stage in classes}}
    slots = {
        c.id: Slot(
            c.id,
            c.class_no,
            c.name,
            c.capacity if c.capacity is not None else sizes[stage].limit,
            warn_at=sizes[stage].warn_at,
        )
        for c, stage in classes
    }
    for class_id, sex, n in counts:
        slots[class_id].counts[sex] = slots[class_id].counts.get(sex, 0) + n
    return sorted(slots.values(), key=lambda s: s.order)


def _pupils(session: Session, school_id: int, student_ids: Sequence[int]) -> list[Student]:
    waiting = {s.id: s for s in awaiting_class(session, school_id)}
    chosen = [waiting.get(i) for i in dict.fromkeys(student_ids)]
    if not chosen or any(s is None for s in chosen):
        raise DomainError("只能为本校待分班的学生分班")
    return [s for s in chosen if s is not None]


def preview(session: Session, school_id: int, student_ids: Sequence[int], class_ids: Sequence[int]) -> Plan:
    students = _pupils(session, school_id, student_ids)
    pupils = [Pupil(s.id, s.sex, s.national_student_id or f"{s.id:012d}") for s in students]
    return plan(pupils, slots_of(session, school_id, class_ids))


def _place(session: Session, actor: User, student: Student, target: SchoolClass) -> None:
    student.class_id = target.id
    audit.record(
        session,
        actor=actor,
        action="学生分班",
        entity="student",
        entity_id=student.id,
        before={"class_id": None},
        after={"class_id": target.id, "class_name": target.name},
    )


def assign_automatic(
    session: Session, actor: User, school_id: int, student_ids: Sequence[int], class_ids: Sequence[int]
) -> Plan:
    """自动分班: apply ``preview``'s plan (computed again, under the same rule, so it is what was shown)."""
    result = preview(session, school_id, student_ids, class_ids)
    classes = {c.id: c for c in session.scalars(select(SchoolClass).where(SchoolClass.id.in_(class_ids)))}
    for student_id, class_id in result.assignments.items():
        _place(session, actor, session.get_one(Student, student_id), classes[class_id])
    session.flush()
    return result


def assign_manual(session: Session, actor: User, school_id: int, student_ids: Sequence[int], class_id: int) -> int:
    """分班: the selected students into one class, refused past its capacity."""
    (slot,) = slots_of(session, school_id, [class_id])
    students = _pupils(session, school_id, student_ids)
    if slot.total + len(students) > slot.capacity:
        raise DomainError(f"{slot.name}班额{slot.capacity}人，现有{slot.total}人，不能再分入{len(students)}人")
    target = session.get_one(SchoolClass, class_id)
    for student in students:
        _place(session, actor, student, target)
    session.flush()
    return len(students)
