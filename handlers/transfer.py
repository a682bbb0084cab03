"""Transfer steps (F-29…F-32): the preconditions checked before a case may start, and the move itself."""

from __future__ import annotations

from typing import Any

from handlers import regional_rules
from handlers.registry import HandlerContext, handler
from models import audit
from models.business_calendar import initiation_refusal
from models.class_size import capacity_of, class_count
from models.errors import DomainError
from models.org import Cohort, OrgLevel, OrgUnit, School, SchoolClass
from models.student import Student, StudentStatus
from models.transfer_rules import TransferScope, city_review_needed


def ancestor(ctx: HandlerContext, org_id: int, level: OrgLevel) -> OrgUnit | None:
    unit = ctx.session.get_one(OrgUnit, org_id)
    for ancestor_id in unit.ancestor_ids():
        above = ctx.session.get_one(OrgUnit, ancestor_id)
        if above.level == level:
            return above
    return None


def has_city_level(ctx: HandlerContext, county_id: int) -> bool:
    """A city above the county, or a municipality whose commission does the city's review (§2.1)."""
    if ancestor(ctx, county_id, OrgLevel.CITY) is not None:
        return True
    province = ancestor(ctx, county_id, OrgLevel.PROVINCE)
    return province is not None and province.is_municipality


def check_student(ctx: HandlerContext, student: Student) -> None:
    """Preconditions on the student (F-29 common rules): record status, problem record."""
    if student.problem_type:
        raise DomainError(f"学生{student.name}为问题学籍（{student.problem_label}），问题学籍不允许转学")
    if student.status != StudentStatus.IN_SCHOOL:
        raise DomainError(f"学生{student.name}的学籍状态为「{student.status_label}」，只有在校学生才能转学")


def check_window(ctx: HandlerContext, org_id: int, business: str = "transfer") -> None:
    """F-33: the business's window (转学 unless named) is open and no freeze applies (initiation only, Q-14)."""
    province = ancestor(ctx, org_id, OrgLevel.PROVINCE)
    refusal = initiation_refusal(ctx.session, province.id, business, ctx.now) if province else None
    if refusal:
        raise DomainError(refusal)


def check_target_class(ctx: HandlerContext, to_school_id: int, to_class_id: int) -> SchoolClass:
    """The class belongs to the receiving school and has room (the class's 班额, else the configured one, F-52)."""
    target = ctx.session.get(SchoolClass, to_class_id)
    if target is None or target.cohort.school_id != to_school_id:
        raise DomainError("转入班级不属于本校，请重新选择")
    capacity = capacity_of(ctx.session, target)
    if class_count(ctx.session, target.id) >= capacity:
        raise DomainError(f"转入班级{target.name}已达班额上限（{capacity}人），不能再转入")
    return target


def _scope(from_county: int, to_county: int, from_city: OrgUnit | None, to_city: OrgUnit | None) -> TransferScope:
    if from_county == to_county:
        return TransferScope.INTRA_COUNTY
    if from_city is not None and to_city is not None and from_city.id != to_city.id:
        return TransferScope.CROSS_CITY
    return TransferScope.CROSS_COUNTY


@handler(
    "transfer.check_request",
    repeatable=True,
    results={
        "scope": "str",
        "scope_label": "str",
        "same_county": "bool",
        "city_review": "bool",
        "from_school_name": "str",
        "to_school_name": "str",
        "to_class_name": "str",
    },
)
def check_request(ctx: HandlerContext, *, student_id: int, to_school_id: int, to_class_id: int) -> dict[str, Any]:
    """Refuse, with the message the registrar reads, a transfer that may not start (F-29…F-30, F-33)."""
    student = ctx.session.get_one(Student, student_id)
    if student.school_id == to_school_id:
        raise DomainError(f"学生{student.name}已在本校就读，不能转入本校")
    check_student(ctx, student)
    check_window(ctx, to_school_id)
    target = check_target_class(ctx, to_school_id, to_class_id)
    from_school = ctx.session.get_one(School, student.school_id)
    to_school = ctx.session.get_one(School, to_school_id)
    if to_school.closed_at is not None:  # F-50: a merged or closed school takes no one in
        raise DomainError(f"{to_school.name}已{to_school.closed_reason}，不能转入")
    from_province = ancestor(ctx, from_school.org_id, OrgLevel.PROVINCE)
    if from_province is None or from_province != ancestor(ctx, to_school_id, OrgLevel.PROVINCE):
        raise DomainError("该学生不在本省，请使用跨省转学")
    from_city = ancestor(ctx, from_school.record_authority_id, OrgLevel.CITY)
    to_city = ancestor(ctx, to_school.record_authority_id, OrgLevel.CITY)
    scope = _scope(from_school.record_authority_id, to_school.record_authority_id, from_city, to_city)
    stage = target.cohort.stage
    entry = regional_rules.Entry(to_school_id, stage, target.cohort_id, "转学")
    regional_rules.enforce(
        ctx.session, regional_rules.Candidate.of(student), entry, actor=ctx.actor, now=ctx.now, case_id=ctx.case.id
    )
    needed = city_review_needed(ctx.session, from_province.id, stage, scope)
    city_review = needed and has_city_level(ctx, from_school.record_authority_id)
    return {
        "scope": scope.value,
        "scope_label": scope.label,
        "same_county": scope == TransferScope.INTRA_COUNTY,
        "city_review": city_review,
        "from_school_name": from_school.name,
        "to_school_name": to_school.name,
        "to_class_name": f"{target.cohort.name}{target.name}",
    }


@handler("transfer.move_student", results={"moved": "bool", "moved_on": "date"})
def move_student(ctx: HandlerContext, *, student_id: int, to_school_id: int, to_class_id: int) -> dict[str, Any]:
    """Enrol the student at the receiving school and class; the audit row keeps the sending school.
    Idempotent: a retried task changes nothing twice."""
    student = ctx.session.get_one(Student, student_id)
    if student.school_id == to_school_id and student.class_id == to_class_id:
        return {"moved": False}
    target = ctx.session.get_one(SchoolClass, to_class_id)
    before = {"学校": student.school.name, "班级": _class_name(student.school_class)}
    student.school_id, student.class_id = to_school_id, to_class_id
    ctx.session.flush()
    ctx.session.refresh(student, ["school", "school_class"])
    audit.record(
        ctx.session,
        actor=ctx.actor,
        action="转学",
        entity="student",
        entity_id=student.id,
        before=before,
        after={"学校": student.school.name, "班级": _class_name(target), "status": student.status.value},
        instance_id=ctx.case.id,
    )
    return {"moved": True, "moved_on": ctx.now.date().isoformat()}


def _class_name(school_class: SchoolClass | None) -> str:
    if school_class is None:
        return "待分班"
    cohort: Cohort = school_class.cohort
    return f"{cohort.name}{school_class.name}"
