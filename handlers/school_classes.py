"""年级信息管理 / 班级信息管理 (F-04, §3.4): a school's cohorts and classes, and 班级合并.

A class is deleted only when no student record names it, a cohort only when it has no class. Merging moves every
student of one class into another class of the same cohort, within the target's 班额 (F-52), then deletes the
emptied class; each move is audited like 学生调班. Every change is audited, and made only in the acting
registrar's own school (the views load the objects through ``models.jurisdiction``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models import audit
from models.class_size import ClassSize, capacity_of, class_count, class_size, effective_capacity, in_school_by_sex
from models.errors import DomainError
from models.org import CLASS_TYPES, Cohort, School, SchoolClass, Stage
from models.student import Student, StudentStatus
from models.user import User
from models.workflow import CaseStatus, ProcessInstance

# Flows whose open cases may name a class of the school in their data: a transfer into it, a 复学/跳级/留级.
CLASS_NAMING_FLOWS = ("transfer_in_province", "transfer_cross_province_in", "status_change")


@dataclass(frozen=True)
class ClassFields:
    class_no: str
    name: str
    class_type: str
    homeroom_teacher_id: int | None
    capacity: int | None


@dataclass(frozen=True)
class CohortRow:
    cohort: Cohort
    classes: int
    students: int  # in school


@dataclass(frozen=True)
class ClassRow:
    school_class: SchoolClass
    cohort: Cohort
    students: int  # in school: what the 班额 counts
    capacity: int
    size: ClassSize

    @property
    def warns(self) -> bool:
        return self.size.warns(self.students, self.capacity)


def school_of(session: Session, actor: User) -> School:
    school = session.get(School, actor.org_id)
    if school is None:
        raise DomainError("年级和班级由学校学籍管理员维护")
    return school


def cohorts_of(session: Session, school_id: int) -> list[Cohort]:
    query = (
        select(Cohort)
        .where(Cohort.school_id == school_id)
        .options(selectinload(Cohort.classes))
        .order_by(Cohort.stage, Cohort.cohort_year.desc())
    )
    return list(session.scalars(query))


def cohort_rows(session: Session, school_id: int) -> list[CohortRow]:
    cohorts = cohorts_of(session, school_id)
    counts = in_school_by_sex(session, [k.id for c in cohorts for k in c.classes])
    return [CohortRow(c, len(c.classes), sum(counts[k.id].total() for k in c.classes)) for c in cohorts]


def class_rows(session: Session, school_id: int) -> list[ClassRow]:
    cohorts = cohorts_of(session, school_id)
    counts = in_school_by_sex(session, [k.id for c in cohorts for k in c.classes])
    sizes = {stage: class_size(session, school_id, stage) for stage in Stage}
    return [
        ClassRow(k, c, counts[k.id].total(), effective_capacity(k, sizes[c.stage]), sizes[c.stage])
        for c in cohorts
        for k in c.classes
    ]


def teacher_choices(session: Session, school_id: int) -> list[tuple[int, str]]:
    """班主任 may be any active user of the school, shown by name; a name two users share gets their roles, never
    the login name."""
    users = list(session.scalars(select(User).where(User.org_id == school_id, User.active).order_by(User.id)))
    names = Counter(u.full_name for u in users)

    def shown(u: User) -> str:
        roles = "、".join(r.label for r in sorted(u.roles))
        return f"{u.full_name}（{roles}）" if names[u.full_name] > 1 else u.full_name

    return [(u.id, shown(u)) for u in users]


# -- 年级 -------------------------------------------------------------------------------------------------------


def _check_cohort(session: Session, school: School, stage: Stage, year: int, cohort_id: int | None = None) -> None:
    if stage not in school.stage_list:
        raise DomainError(f"本校没有{stage.label}学段，不能建立{stage.label}年级")
    existing = session.scalars(
        select(Cohort).where(Cohort.school_id == school.org_id, Cohort.stage == stage, Cohort.cohort_year == year)
    ).first()
    if existing is not None and existing.id != cohort_id:
        raise DomainError(f"本校已有{existing.name}，不能重复建立")


def add_cohort(session: Session, actor: User, *, stage: Stage, cohort_year: int) -> Cohort:
    """新增年级, named "<学段><入学年份>级" (§3.4)."""
    school = school_of(session, actor)
    _check_cohort(session, school, stage, cohort_year)
    cohort = Cohort(school_id=school.org_id, stage=stage, cohort_year=cohort_year)
    session.add(cohort)
    session.flush()
    _audit(session, actor, "新增年级", cohort, before={}, after={"年级": cohort.name})
    return cohort


def update_cohort(session: Session, actor: User, cohort: Cohort, *, stage: Stage, cohort_year: int) -> None:
    """修改年级: only while no student is in it (their grade would silently change)."""
    school = school_of(session, actor)
    if _records_in(session, [k.id for k in cohort.classes]):
        raise DomainError(f"{cohort.name}已有学生，不能修改学段或入学年份")
    _check_cohort(session, school, stage, cohort_year, cohort.id)
    before: dict[str, object] = {"年级": cohort.name}
    cohort.stage, cohort.cohort_year = stage, cohort_year
    session.flush()
    _audit(session, actor, "修改年级", cohort, before=before, after={"年级": cohort.name})


def delete_cohort(session: Session, actor: User, cohort: Cohort) -> None:
    """删除年级: only when it has no class (and so no student)."""
    school_of(session, actor)
    if cohort.classes:
        raise DomainError(f"{cohort.name}还有{len(cohort.classes)}个班级，请先删除或合并班级")
    _audit(session, actor, "删除年级", cohort, before={"年级": cohort.name}, after={})
    session.delete(cohort)
    session.flush()


# -- 班级 -------------------------------------------------------------------------------------------------------


def _check_class(
    session: Session, school_id: int, cohort: Cohort, fields: ClassFields, current: SchoolClass | None
) -> None:
    same_no = session.scalars(
        select(SchoolClass).where(SchoolClass.cohort_id == cohort.id, SchoolClass.class_no == fields.class_no)
    ).first()
    if same_no is not None and same_no is not current:
        raise DomainError(f"{cohort.name}已有班号为{fields.class_no}的班级（{same_no.name}）")
    if fields.class_type not in CLASS_TYPES:
        raise DomainError("请选择班级类型")
    if fields.homeroom_teacher_id is not None:
        teacher = session.get(User, fields.homeroom_teacher_id)
        if teacher is None or teacher.org_id != school_id or not teacher.active:
            raise DomainError("班主任须是本校的用户")
    if fields.capacity is not None:
        size = class_size(session, school_id, cohort.stage)
        if not 0 < fields.capacity <= size.limit:
            raise DomainError(f"班额须在1至{size.limit}人之间（{cohort.stage.label}班额上限，{size.source}设置）")
        present = class_count(session, current.id) if current is not None else 0
        if fields.capacity < present:
            raise DomainError(f"班额不能少于班级现有学生人数（{present}人）")


def add_class(session: Session, actor: User, cohort: Cohort, fields: ClassFields) -> SchoolClass:
    school = school_of(session, actor)
    _check_class(session, school.org_id, cohort, fields, None)
    school_class = SchoolClass(cohort_id=cohort.id, **vars(fields))
    session.add(school_class)
    session.flush()
    _audit(session, actor, "新增班级", school_class, before={}, after=_snapshot(cohort, school_class))
    return school_class


def update_class(session: Session, actor: User, school_class: SchoolClass, fields: ClassFields) -> None:
    school = school_of(session, actor)
    cohort = school_class.cohort
    _check_class(session, school.org_id, cohort, fields, school_class)
    before = _snapshot(cohort, school_class)
    for name, value in vars(fields).items():
        setattr(school_class, name, value)
    session.flush()
    _audit(session, actor, "修改班级", school_class, before=before, after=_snapshot(cohort, school_class))


def delete_class(session: Session, actor: User, school_class: SchoolClass) -> None:
    """删除班级: only when no student record names it (graduated and transferred students count: their history
    keeps the class)."""
    school = school_of(session, actor)
    records = _records_in(session, [school_class.id])
    if records:
        raise DomainError(f"{school_class.name}还有{records}名学生（含已毕业、转出等学籍），不能删除；可合并到其他班级")
    _check_not_named_by_open_cases(session, school.org_id)
    cohort = school_class.cohort
    _audit(session, actor, "删除班级", school_class, before=_snapshot(cohort, school_class), after={})
    session.delete(school_class)
    session.flush()
    session.expire(cohort, ["classes"])


def merge_classes(session: Session, actor: User, source: SchoolClass, target: SchoolClass) -> int:
    """班级合并: every student of ``source`` into ``target`` (same cohort, within its 班额), then ``source`` is
    deleted. Returns how many students moved."""
    school = school_of(session, actor)
    if source.id == target.id or source.cohort_id != target.cohort_id:
        raise DomainError("只能合并同一年级的两个不同班级")
    _check_not_named_by_open_cases(session, school.org_id)
    students = list(session.scalars(select(Student).where(Student.class_id == source.id).order_by(Student.id)))
    busy = next((s for s in students if s.open_case_id is not None), None)
    if busy is not None:
        raise DomainError(f"学生{busy.name}有在办业务，办结后才能合并班级")
    capacity = capacity_of(session, target)
    after = class_count(session, target.id) + sum(s.status == StudentStatus.IN_SCHOOL for s in students)
    if after > capacity:
        raise DomainError(f"合并后{target.name}将有{after}名在校学生，超过班额{capacity}人，不能合并")
    for student in students:
        student.class_id = target.id
        _audit(
            session,
            actor,
            "班级合并",
            student,
            before={"class_id": source.id, "class_name": source.name},
            after={"class_id": target.id, "class_name": target.name},
        )
    session.flush()
    delete_class(session, actor, source)
    return len(students)


def _records_in(session: Session, class_ids: list[int]) -> int:
    if not class_ids:
        return 0
    return session.scalar(select(func.count(Student.id)).where(Student.class_id.in_(class_ids))) or 0


def _check_not_named_by_open_cases(session: Session, school_id: int) -> None:
    """An open transfer into the school, or an open status change of it, may name a class in its case data, which
    lists cannot read (they never deserialise a workflow): classes wait until those cases end."""
    open_case = session.scalar(
        select(ProcessInstance.id)
        .where(
            ProcessInstance.status == CaseStatus.OPEN,
            ProcessInstance.process_key.in_(CLASS_NAMING_FLOWS),
            (ProcessInstance.to_school_id == school_id)
            | ((ProcessInstance.org_id == school_id) & (ProcessInstance.process_key == "status_change")),
        )
        .limit(1)
    )
    if open_case is not None:
        raise DomainError("本校有在办的转入或异动业务（可能指定了班级），办结后才能删除或合并班级")


def _snapshot(cohort: Cohort, school_class: SchoolClass) -> dict[str, object]:
    return {
        "年级": cohort.name,
        "班号": school_class.class_no,
        "班级名称": school_class.name,
        "班级类型": school_class.class_type,
        "班主任": school_class.homeroom_teacher_id,
        "班额": school_class.capacity,
    }


def _audit(
    session: Session,
    actor: User,
    action: str,
    target: Cohort | SchoolClass | Student,
    *,
    before: dict[str, object],
    after: dict[str, object],
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        entity=target.__tablename__,
        entity_id=target.id,
        before=before,
        after=after,
    )
