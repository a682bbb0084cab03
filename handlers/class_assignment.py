"""学生分班 / 自动分班 (F-49) within class-size limits (F-52).

Students awaiting a class (待分班, Q-24) are in-school students of the school without a class: new primary
students registered without one, and admitted students. Both are newcomers: they go into the grade-1 classes of
the new cohort of their stage (F-48), nowhere else. ``plan`` is a pure, deterministic function: boys, then
girls, each ordered by a stable key, dealt one by one to the class with the fewest students of that sex, then the
fewest students, then the lowest class number, never past the class's capacity; who does not fit is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import audit
from models.admission import Admission, AdmissionStatus
from models.class_size import class_size, effective_capacity, in_school_by_sex, reaches_warning
from models.errors import DomainError
from models.org import Cohort, School, SchoolClass, Stage, class_choices
from models.school_year import admission_year
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

    def placed_in(self, class_id: int) -> list[int]:
        """The students the plan puts into the class, in the order they were dealt."""
        return [student_id for student_id, target in self.assignments.items() if target == class_id]


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
    """待分班: in-school students of the school without a class, by 学籍号 (records without one last). Sorted here:
    the numbers are stored sealed, so the database cannot order them."""
    students = session.scalars(
        select(Student).where(
            Student.school_id == school_id,
            Student.class_id.is_(None),
            Student.status == StudentStatus.IN_SCHOOL,
            Student.registration_state == RegistrationState.APPROVED,
        )
    )
    return sorted(students, key=lambda s: (s.national_student_id is None, s.national_student_id or "", s.id))


def newcomer_stages(session: Session, school_id: int, students: Sequence[Student]) -> dict[int, Stage]:
    """The stage each student awaiting a class is new to: the stage the school admitted the student to (F-48),
    else — a new-student registration (F-07) — the school's first stage (primary where it is taught)."""
    rows = session.execute(
        select(Admission.student_id, Admission.stage)
        .where(
            Admission.school_id == school_id,
            Admission.status == AdmissionStatus.ADMITTED,
            Admission.student_id.in_([s.id for s in students]),
        )
        .order_by(Admission.id)
    )
    admitted = {student_id: stage for student_id, stage in rows}
    taught = session.get_one(School, school_id).stage_list
    first = next(stage for stage in Stage if stage in taught)
    return {s.id: admitted.get(s.id, first) for s in students}


def newcomer_class_choices(session: Session, school_id: int, students: Sequence[Student]) -> list[tuple[int, str]]:
    """The classes 学生分班 offers: the new grade-1 classes of the stages of the students awaiting one (all stages
    when none waits); none while the year is not set up (the page says why, ``models.school_year``)."""
    try:  # the new cohort's grade-1 classes; refused while the admission year is not known
        classes = class_choices(session, school_id, cohort_year=admission_year(session, school_id))
    except DomainError:
        return []
    stages = set(newcomer_stages(session, school_id, students).values()) or set(classes)
    return [choice for stage, choices in classes.items() if stage in stages for choice in choices]


def _check_new_cohort(session: Session, school_id: int, students: Sequence[Student], class_ids: Sequence[int]) -> None:
    """Refuse any chosen class that is not a grade-1 class of the new cohort of every chosen student's stage."""
    year = admission_year(session, school_id)
    classes = class_choices(session, school_id, cohort_year=year)
    for student_id, stage in newcomer_stages(session, school_id, students).items():
        allowed = {class_id for class_id, _ in classes.get(stage, [])}
        if not set(class_ids) <= allowed:
            name = next(s.name for s in students if s.id == student_id)
            raise DomainError(f"{name}是{stage.label}新生，只能分入{stage.label}{year}级一年级的班级")


def slots_of(session: Session, school_id: int, class_ids: Sequence[int]) -> list[Slot]:
    """The chosen classes of the school with their current boys/girls and capacity: the class's own, else the
    班额 configured for the school and stage (F-52)."""
    if not class_ids:
        raise DomainError("请勾选要分入的班级")
    classes = session.execute(
        select(SchoolClass, Cohort.stage)
        .join(Cohort, Cohort.id == SchoolClass.cohort_id)
        .where(SchoolClass.id.in_(class_ids), Cohort.school_id == school_id)
        .order_by(SchoolClass.class_no)
    ).all()
    if len(classes) != len(set(class_ids)) or not classes:
        raise DomainError("请选择本校的班级")
    counts = in_school_by_sex(session, class_ids)
    sizes = {stage: class_size(session, school_id, stage) for stage in {stage for _, stage in classes}}
    slots = [
        Slot(
            c.id,
            c.class_no,
            c.name,
            effective_capacity(c, sizes[stage]),
            counts={**dict.fromkeys(SEXES, 0), **counts[c.id]},
            warn_at=sizes[stage].warn_at,
        )
        for c, stage in classes
    ]
    return sorted(slots, key=lambda s: s.order)


def _pupils(session: Session, school_id: int, student_ids: Sequence[int], class_ids: Sequence[int]) -> list[Student]:
    """The chosen students awaiting a class, each allowed into every chosen class."""
    if not student_ids:
        raise DomainError("请勾选要分班的学生")
    waiting = {s.id: s for s in awaiting_class(session, school_id)}
    chosen = [waiting.get(i) for i in dict.fromkeys(student_ids)]
    students = [s for s in chosen if s is not None]
    if len(students) != len(chosen):
        raise DomainError("只能为本校待分班的学生分班")
    _check_new_cohort(session, school_id, students, class_ids)
    return students


def preview(session: Session, school_id: int, student_ids: Sequence[int], class_ids: Sequence[int]) -> Plan:
    if not student_ids:
        raise DomainError("请勾选要分班的学生")
    slots = slots_of(session, school_id, class_ids)
    students = _pupils(session, school_id, student_ids, class_ids)
    pupils = [Pupil(s.id, s.sex, s.national_student_id or f"{s.id:012d}") for s in students]
    return plan(pupils, slots)


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
    students = _pupils(session, school_id, student_ids, [class_id])
    if slot.total + len(students) > slot.capacity:
        raise DomainError(f"{slot.name}班额{slot.capacity}人，现有{slot.total}人，不能再分入{len(students)}人")
    target = session.get_one(SchoolClass, class_id)
    for student in students:
        _place(session, actor, student, target)
    session.flush()
    return len(students)
