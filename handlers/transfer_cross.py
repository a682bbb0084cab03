"""Cross-province transfer steps (F-31 receiving side, F-32 sending side), and 跨省招生 / 毕业后跨省就学 (F-43),
which runs through the same diagrams: the request's kind (``CrossProvinceKind``) picks the checks.

The two sides live in two provinces and share nothing but the messages of the exchange: the receiving side
knows the student only by national number + name until the record arrives by 调档.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from handlers import regional_rules
from handlers.registry import HandlerContext, handler
from handlers.transfer import ancestor, check_target_class, check_window, has_city_level
from models import admission as adm
from models import audit, transitions
from models.business_calendar import local_date
from models.errors import DomainError
from models.exchange import CrossProvinceKind
from models.org import OrgLevel, OrgUnit, School, Stage
from models.school_year import require_new_cohort
from models.student import Guardian, Student, StudentStatus, has_national_id
from models.transfer_rules import TransferScope, city_review_needed, outbound_steps
from models.workflow import bind_subject

NOT_FOUND = "学籍号在转出省不存在!"


def _in_province(ctx: HandlerContext, province: OrgUnit, national_student_id: str) -> Student | None:
    school = select(OrgUnit.id).where(OrgUnit.path.startswith(province.path, autoescape=True))
    return ctx.session.scalars(
        select(Student).where(
            has_national_id(national_student_id),
            Student.school_id.in_(school),
            Student.status != StudentStatus.TRANSFERRED_OUT,
        )
    ).first()


def _provinces(
    ctx: HandlerContext, kind: CrossProvinceKind, to_school_id: int, from_province_id: int, national_student_id: str
) -> tuple[OrgUnit, OrgUnit]:
    """(own province, the other province) of a request; refused when the student is of this province."""
    own = ancestor(ctx, to_school_id, OrgLevel.PROVINCE)
    other = ctx.session.get(OrgUnit, from_province_id)
    if own is None or other is None or other.level != OrgLevel.PROVINCE or other.id == own.id:
        raise DomainError(OTHER_PROVINCE_ONLY[kind])
    if _in_province(ctx, own, national_student_id) is not None:
        raise DomainError(OWN_PROVINCE_STUDENT[kind])
    return own, other


OTHER_PROVINCE_ONLY = {
    CrossProvinceKind.TRANSFER: "请选择学生现在就读的其他省份",
    CrossProvinceKind.ADMISSION: "请选择学生毕业的其他省份",
}
OWN_PROVINCE_STUDENT = {
    CrossProvinceKind.TRANSFER: "该学籍号的学生在本省就读，请使用省内转学",
    CrossProvinceKind.ADMISSION: "该学籍号的学生是本省毕业生，请使用自主招生",
}


# What both checks return: the case summary and the later steps read the same names (F-31, F-43).
CHECKED = {
    "city_review": "bool",
    "from_province_name": "str",
    "to_province_name": "str",
    "to_school_name": "str",
    "to_class_name": "str",
    "to_class_id": "int",
    "admission_stage": "str",
}


@handler(
    "xp.check_request",
    repeatable=True,
    results=CHECKED,
)
def check_request(
    ctx: HandlerContext,
    *,
    national_student_id: str,
    from_province_id: int,
    to_school_id: int,
    to_class_id: int,
) -> dict[str, Any]:
    """The receiving school's application may start (F-31 step 1, F-33); the student is not of this province."""
    own, other = _provinces(ctx, CrossProvinceKind.TRANSFER, to_school_id, from_province_id, national_student_id)
    check_window(ctx, to_school_id)
    target = check_target_class(ctx, to_school_id, to_class_id)
    school = ctx.session.get_one(School, to_school_id)
    stage = target.cohort.stage
    who = regional_rules.Candidate(str(ctx.case.summary.get("student_name", "")), None, national_student_id)
    entry = regional_rules.Entry(to_school_id, stage, target.cohort_id, "转学")
    regional_rules.enforce(ctx.session, who, entry, actor=ctx.actor, now=ctx.now, case_id=ctx.case.id)
    city_review = city_review_needed(ctx.session, own.id, stage, TransferScope.CROSS_PROVINCE) and has_city_level(
        ctx, school.record_authority_id
    )
    return {
        "city_review": city_review,
        "from_province_name": other.name,
        "to_province_name": own.name,
        "to_school_name": school.name,
        "to_class_name": f"{target.cohort.name}{target.name}",
        "to_class_id": to_class_id,
        "admission_stage": "",
    }


@handler(
    "xp.check_admission_request",
    repeatable=True,
    results=CHECKED,
)
def check_admission_request(
    ctx: HandlerContext, *, national_student_id: str, from_province_id: int, to_school_id: int, stage: str
) -> dict[str, Any]:
    """跨省招生 (F-43 step 1): a graduate of another province, in the 毕业后跨省就学 window (F-33), for a stage the
    admitting school teaches; the student enters grade 1 without a class (待分班, Q-28) once the archive arrives."""
    own, other = _provinces(ctx, CrossProvinceKind.ADMISSION, to_school_id, from_province_id, national_student_id)
    check_window(ctx, to_school_id, "cross_province_admission")
    school = ctx.session.get_one(School, to_school_id)
    if stage not in school.stage_list:
        raise DomainError(f"{school.name}没有{Stage(stage).label}阶段，不能招收该阶段新生")
    require_new_cohort(ctx.session, to_school_id, Stage(stage))  # as every admission: the new term and classes
    _name_case(ctx, "毕业后跨省就学（转入）")
    return {
        "city_review": False,  # F-43: the admitting school's county reviews, no city step
        "from_province_name": other.name,
        "to_province_name": own.name,
        "to_school_name": school.name,
        "to_class_name": f"{Stage(stage).label}一年级（待分班）",
        "to_class_id": None,
        "admission_stage": stage,
    }


def _name_case(ctx: HandlerContext, business: str) -> None:
    """The case title names the business, not the shared diagram (跨省转学 and 毕业后跨省就学 share it)."""
    ctx.case.title = f"{business}：{ctx.case.title.partition('：')[2]}"


def _refusal(student: Student | None, name: str) -> str:
    if student is None:
        return NOT_FOUND
    if student.name != name.strip():
        return "学生姓名与全国学籍号不符"
    if student.problem_type:
        return f"该生为问题学籍（{student.problem_label}），问题学籍不允许转学"
    if student.status != StudentStatus.IN_SCHOOL:
        return f"该生学籍状态为「{student.status_label}」，不能转学"
    if student.open_case_id is not None:
        return "该生在转出省有在办业务，办结后才能转学"
    return ""


@handler("xp.validate_request", results={"valid": "bool", "reason": "str", "student_id": "int"})
def validate_request(
    ctx: HandlerContext, *, national_student_id: str, student_name: str, kind: str = CrossProvinceKind.TRANSFER
) -> dict[str, Any]:
    """The sending province's validation of number + name (F-31 step 4); a valid request binds the student to
    this case, so the sending school, county, city and province find their steps. A graduate (F-43) is checked
    against the national admission rules and goes to the graduating school's county only."""
    province = ctx.session.get_one(OrgUnit, ctx.case.org_id)
    student = _in_province(ctx, province, national_student_id)
    if student is not None:  # checked and bound under the row lock an in-province admission takes too
        student = adm.lock_student(ctx.session, student.id)
    graduate = kind == CrossProvinceKind.ADMISSION
    if graduate:
        reason = adm.cross_province_refusal(ctx.session, student, student_name, local_date(ctx.now))
        _name_case(ctx, "毕业后跨省就学（转出）")
    else:
        reason = _refusal(student, student_name)
    if reason or student is None:
        return {"valid": False, "reason": reason}
    bind_subject(ctx.session, ctx.case, student)
    if graduate:
        return {"valid": True, "reason": "", "student_id": student.id, **dict.fromkeys(OUTBOUND_STEPS, False)}
    city_review, province_review = outbound_steps(ctx.session, province.id)
    return {
        "valid": True,
        "reason": "",
        "student_id": student.id,
        "school_review": True,
        "city_review": city_review
        and has_city_level(ctx, ctx.session.get_one(School, student.school_id).record_authority_id),
        "province_review": province_review,
    }


OUTBOUND_STEPS = ("school_review", "city_review", "province_review")  # the county always reviews


@handler("xp.hand_over", results={"record": "dict"})
def hand_over(ctx: HandlerContext, *, student_id: int, to_province_name: str) -> dict[str, Any]:
    """调档 (F-32): hand the record to the relay and mark it 转出 (T13). Idempotent."""
    student = ctx.session.get_one(Student, student_id)
    if student.status != StudentStatus.TRANSFERRED_OUT:
        transitions.check(student, StudentStatus.TRANSFERRED_OUT)  # T13 (§4.3)
        before = {"status": student.status.value}
        student.status = StudentStatus.TRANSFERRED_OUT
        audit.record(
            ctx.session,
            actor=ctx.actor,
            action="跨省转出",
            entity="student",
            entity_id=student.id,
            before=before,
            after={"status": student.status.value, "转入省份": to_province_name},
            instance_id=ctx.case.id,
        )
    return {"record": _record_of(student)}


def _record_of(student: Student) -> dict[str, Any]:
    fields = ("name", "sex", "ethnicity", "id_doc_type", "id_doc_number", "national_student_id")
    record: dict[str, Any] = {f: getattr(student, f) for f in fields}
    record["birth_date"] = student.birth_date.isoformat()
    record["guardians"] = [
        {f: getattr(g, f) for f in ("seq", "name", "relation", "phone", "is_guardian", "id_doc_type", "id_doc_number")}
        for g in student.guardians
    ]
    return record


@handler("xp.receive_archive", results={"student_id": "int"})
def receive_archive(
    ctx: HandlerContext,
    *,
    record: dict[str, Any],
    to_school_id: int,
    to_class_id: int | None,
    admission_stage: str = "",  # cases of diagram versions before F-43 do not pass it
) -> dict[str, Any]:
    """学籍调档完毕 (F-31 step 6, T3): the record arrives at the receiving school and class, 在校. A graduate
    (F-43, ``admission_stage`` set) arrives without a class (待分班) and is the school's admission of that stage."""
    existing = ctx.session.scalars(
        select(Student).where(
            has_national_id(record["national_student_id"]),
            Student.status != StudentStatus.TRANSFERRED_OUT,
        )
    ).first()
    if existing is not None:
        if existing.school_id == to_school_id:
            return {"student_id": existing.id}  # a retried step
        raise DomainError(f"全国学籍号{record['national_student_id']}已有在籍记录，不能重复调入")
    student = Student(
        **{f: record[f] for f in ("name", "sex", "ethnicity", "id_doc_type", "id_doc_number", "national_student_id")},
        birth_date=date.fromisoformat(record["birth_date"]),
        school_id=to_school_id,
        class_id=to_class_id,
        status=StudentStatus.IN_SCHOOL,
        guardians=[Guardian(**g) for g in record.get("guardians", [])],
    )
    ctx.session.add(student)
    ctx.session.flush()
    bind_subject(ctx.session, ctx.case, student)
    if admission_stage:
        adm.record_cross_province(
            ctx.session,
            student,
            to_school_id,
            Stage(admission_stage),
            actor=ctx.actor,
            by_id=ctx.case.initiator_id,
            now=ctx.now,
            instance_id=ctx.case.id,
        )
    audit.record(
        ctx.session,
        actor=ctx.actor,
        action="跨省转入",
        entity="student",
        entity_id=student.id,
        before={},
        after={"status": student.status.value, "学校": ctx.session.get_one(OrgUnit, to_school_id).name},
        instance_id=ctx.case.id,
    )
    return {"student_id": student.id}
