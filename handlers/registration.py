"""学籍注册 (F-07…F-13): save a validated registration, 查重 at once, school review and 上报, authority 核办
with the L number. Functions take the session and the acting user, never commit, and write the audit trail."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import audit, bulk, dedup, numbers, transitions
from models.errors import DomainError
from models.org import Cohort, OrgUnit, School, SchoolClass
from models.settings import in_school_registration_open
from models.student import DedupStatus, Guardian, RegistrationState, Student, StudentStatus
from models.user import Role, User
from models.validation import Problem, Result, validate

STUDENT_COLUMNS = ("name", "sex", "birth_date", "ethnicity", "id_doc_type", "id_doc_number", "nationality")
RECORD_COLUMNS = ("birthplace_code", "hukou_code", "entry_month")
MEMBER_COLUMNS = ("name", "relation", "phone", "is_guardian", "id_doc_type", "id_doc_number")
NOT_PROFILE = {"school_code", "class_no", "grade", *STUDENT_COLUMNS, *RECORD_COLUMNS}


class RegistrationRefused(DomainError):
    """The record breaks §3.9 rules; ``problems`` name field, rule and message."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("；".join(p.message for p in problems))


@dataclass
class Outcome:
    """The result per student of a batch action (F-12, F-13): done ids and refusals with their reason."""

    done: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


# -- entry ----------------------------------------------------------------------------------------------------


def check_business_type(session: Session, school_org: OrgUnit, business_type: str, now: datetime) -> None:
    """F-09: 在校生注册 only while a province has it open for this school."""
    if business_type not in ("新生注册", "在校生注册"):
        raise DomainError("注册类别应为「新生注册」或「在校生注册」")
    if business_type == "在校生注册" and not in_school_registration_open(session, school_org, now):
        raise DomainError("在校生注册未开放，请通过转学办理，或联系省级学籍主管部门临时开放")


def context_problems(
    session: Session, actor: User, school: School, result: Result, business_type: str
) -> tuple[list[Problem], SchoolClass | None]:
    """The rules that need the database: school code of the importing school, the class, the teacher's own class."""
    found: list[Problem] = []
    code = result.record.get("school_code") or ""
    if code != school.school_code:
        found.append(Problem("school_code", "V-21", f"学校标识码应为本校的{school.school_code}"))
    class_no = result.record.get("class_no") or ""
    school_class = None
    if class_no:
        school_class = session.scalar(
            select(SchoolClass)
            .join(Cohort)
            .where(Cohort.school_id == school.org_id, SchoolClass.class_no == class_no)
            .order_by(Cohort.cohort_year.desc())
        )
        if school_class is None:
            found.append(Problem("class_no", "V-01", f"本校没有班级号为{class_no}的班级"))
    elif business_type == "在校生注册":
        found.append(Problem("class_no", "V-01", "在校生注册须填写班级号"))
    if not actor.roles & {Role.SCHOOL_REGISTRAR} and actor.has_role(Role.HOMEROOM_TEACHER):
        if school_class is None or school_class.homeroom_teacher_id != actor.id:
            found.append(Problem("class_no", "F-08", "班主任只能导入本班学生"))
    return found, school_class


def student_values(
    record: dict[str, Any], *, school: School, class_id: int | None, actor: User, business_type: str
) -> dict[str, Any]:
    """Column values of a new registration (未查重) from a validated record."""
    columns = student_columns(
        {k: [v] for k, v in record.items()},
        1,
        school=school,
        class_ids=[class_id],
        actor=actor,
        business_type=business_type,
    )
    return _one_row(columns)


def student_columns(
    values: Mapping[str, Sequence[Any]],
    count: int,
    *,
    school: School,
    class_ids: Sequence[int | None],
    actor: User,
    business_type: str,
) -> bulk.Columns:
    """``student_values`` of ``count`` validated records given column by column (an import's)."""
    division = school.org.division_code
    return {
        **{k: values[k] for k in STUDENT_COLUMNS if k != "nationality"},
        "nationality": [n or "中国" for n in values["nationality"]],
        **{k: values[k] for k in RECORD_COLUMNS},
        "school_id": [school.org_id] * count,
        "class_id": class_ids,
        "status": [StudentStatus.REGISTERING] * count,
        "registration_state": [RegistrationState.DEDUP_PENDING] * count,
        "registration_type": [business_type] * count,
        "dedup_status": [DedupStatus.PENDING] * count,
        "is_out_of_county": [bool(code) and code[:6] != division for code in values["hukou_code"]],
        "profile": bulk.JsonObjects({k: values[k] for k in _profile_keys(tuple(values))}),
        "created_by_id": [actor.id] * count,
    }


def member_values(record: dict[str, Any], seq: int) -> dict[str, Any]:
    """Column values of family member ``seq`` (1 or 2, §3.8)."""
    return _one_row(member_columns({k: [v] for k, v in record.items()}, 1, seq))


def member_columns(values: Mapping[str, Sequence[Any]], count: int, seq: int) -> bulk.Columns:
    """``member_values`` of ``count`` validated records given column by column (an import's)."""
    own, profile = _member_keys(tuple(values), f"m{seq}_")
    return {
        "seq": [seq] * count,
        "name": values[own["name"]],
        "relation": values[own["relation"]],
        "phone": values[own["phone"]],
        "is_guardian": [g == "是" for g in values[own["is_guardian"]]],
        "id_doc_type": values[own["id_doc_type"]],
        "id_doc_number": values[own["id_doc_number"]],
        "profile": bulk.JsonObjects({name: values[key] for name, key in profile}),
    }


def _one_row(columns: bulk.Columns) -> dict[str, Any]:
    return {k: next(c.dicts()) if isinstance(c, bulk.JsonObjects) else c[0] for k, c in columns.items()}


@lru_cache(maxsize=64)
def _profile_keys(keys: tuple[str, ...]) -> tuple[str, ...]:
    """The keys of a record that go into the student's profile (records of one import share their keys)."""
    return tuple(k for k in keys if k not in NOT_PROFILE and not k.startswith(("m1_", "m2_", "_")))


@lru_cache(maxsize=64)
def _member_keys(keys: tuple[str, ...], prefix: str) -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    """The member's fields (keys starting with ``prefix``): field → record key, and (field, key) of its profile."""
    own = {k[len(prefix) :]: k for k in keys if k.startswith(prefix)}
    return own, tuple((name, key) for name, key in own.items() if name not in MEMBER_COLUMNS)


def build_student(
    record: dict[str, Any], *, school: School, school_class: SchoolClass | None, actor: User, business_type: str
) -> Student:
    class_id = school_class.id if school_class else None
    student = Student(
        **student_values(record, school=school, class_id=class_id, actor=actor, business_type=business_type)
    )
    student.guardians = [Guardian(**member_values(record, seq)) for seq in (1, 2)]
    return student


def register(session: Session, *, actor: User, raw: dict[str, Any], business_type: str, now: datetime) -> Student:
    """F-07: validate, save and 查重 one registration. Raises ``RegistrationRefused`` listing every problem."""
    school = session.get(School, actor.org_id)
    if school is None:
        raise DomainError("只有学校用户可以注册学籍")
    check_business_type(session, school.org, business_type, now)
    result = validate({"school_code": school.school_code, **raw}, today=now.date())
    extra, school_class = context_problems(session, actor, school, result, business_type)
    errors = result.errors + extra
    if errors:
        raise RegistrationRefused(errors)
    student = build_student(
        result.record, school=school, school_class=school_class, actor=actor, business_type=business_type
    )
    session.add(student)
    session.flush()
    _audit_registration(session, actor, [student])
    run_dedup(session, [student], actor=actor)
    return student


def _audit_registration(session: Session, actor: User, students: Iterable[Student]) -> None:
    for student in students:
        audit.record(
            session,
            actor=actor,
            action="学籍注册",
            entity="student",
            entity_id=student.id,
            before={},
            after={"status": student.status.value, "registration_type": student.registration_type},
        )


# -- 查重 -----------------------------------------------------------------------------------------------------


def run_dedup(session: Session, students: Sequence[Student], *, actor: User | None) -> list[tuple[Student, int]]:
    """F-11: mark each record 查重无问题 or 查重有问题; a duplicate becomes a problem record at once, together with
    the records it collides with. Returns (record, the first record it collides with) for each problem found; the
    caller opens the 问题学籍 case of each pair."""
    mine = {s.id for s in students}
    keys = {s.id: dedup.key_of(s.id_doc_number, s.name, s.sex, s.birth_date) for s in students}
    found = dedup.find(session, keys.values())
    problems = []
    for student in students:
        others = [i for i in found.get(keys[student.id], []) if i != student.id]
        if not others:
            student.dedup_status = DedupStatus.OK
            student.registration_state = RegistrationState.DEDUP_OK
            continue
        problem_type = "2" if student.id_doc_number else "3"
        student.dedup_status = DedupStatus.PROBLEM
        student.registration_state = RegistrationState.DEDUP_PROBLEM
        student.problem_type = problem_type
        for other_id in others:
            if other_id not in mine:
                mark_problem(session, session.get_one(Student, other_id), problem_type, actor)
        problems.append((student, others[0]))
    return problems


def mark_problem(session: Session, student: Student, problem_type: str, actor: User | None) -> None:
    if student.problem_type == problem_type:
        return
    before = {"problem_type": student.problem_type}
    student.problem_type = problem_type
    audit.record(
        session,
        actor=actor,
        action="标记问题学籍",
        entity="student",
        entity_id=student.id,
        before=before,
        after={"problem_type": problem_type},
    )


# -- review, submission, 核办 ---------------------------------------------------------------------------------


def _school_students(session: Session, actor: User, ids: Iterable[int]) -> dict[int, Student | None]:
    rows = session.scalars(select(Student).where(Student.id.in_(list(ids)), Student.school_id == actor.org_id))
    by_id: dict[int, Student | None] = {i: None for i in ids}
    by_id.update({s.id: s for s in rows})
    return by_id


def school_review(session: Session, *, actor: User, student_ids: Iterable[int], comment: str) -> Outcome:
    """F-12 审核: only 查重无问题 (or returned) records; 学校补充意见 required."""
    if not comment.strip():
        raise DomainError("请填写学校补充意见")
    outcome = Outcome()
    allowed = {RegistrationState.DEDUP_OK, RegistrationState.RETURNED}
    for student_id, student in _school_students(session, actor, student_ids).items():
        if student is None:
            outcome.refused[student_id] = "记录不存在或不在您的管辖范围内"
        elif student.registration_state not in allowed or student.dedup_status != DedupStatus.OK:
            outcome.refused[student_id] = f"{student.name}：{student.registration_label}，不能审核"
        else:
            student.registration_state = RegistrationState.SCHOOL_REVIEWED
            student.school_comment = comment.strip()
            outcome.done.append(student.id)
    return outcome


def submit(session: Session, *, actor: User, student_ids: Iterable[int]) -> Outcome:
    """F-12 上报: reviewed records go to 待核办."""
    outcome = Outcome()
    for student_id, student in _school_students(session, actor, student_ids).items():
        if student is None:
            outcome.refused[student_id] = "记录不存在或不在您的管辖范围内"
        elif student.registration_state != RegistrationState.SCHOOL_REVIEWED:
            outcome.refused[student_id] = f"{student.name}：{student.registration_label}，须先经学校审核"
        else:
            student.registration_state = RegistrationState.SUBMITTED
            outcome.done.append(student.id)
    return outcome


def authority_review(
    session: Session, *, actor: User, student_ids: Iterable[int], passed: bool, reason: str, now: datetime
) -> Outcome:
    """F-13 核办 by the record authority: pass ⇒ 在校 with an L number (F-14); fail ⇒ 驳回 with a reason."""
    if not passed and not reason.strip():
        raise DomainError("核办不通过时必须填写原因")
    ids = list(student_ids)
    rows = session.scalars(
        select(Student)
        .join(School, School.org_id == Student.school_id)
        .where(Student.id.in_(ids), School.record_authority_id == actor.org_id)
    )
    by_id = {s.id: s for s in rows}
    outcome = Outcome()
    for student_id in ids:
        student = by_id.get(student_id)
        if student is None:
            outcome.refused[student_id] = "记录不存在或不在您的管辖范围内"
        elif student.registration_state != RegistrationState.SUBMITTED:
            outcome.refused[student_id] = f"{student.name}：{student.registration_label}，不是待核办的注册"
        else:
            _decide(session, student, actor=actor, passed=passed, reason=reason.strip(), now=now)
            outcome.done.append(student.id)
    return outcome


def _decide(session: Session, student: Student, *, actor: User, passed: bool, reason: str, now: datetime) -> None:
    before = {"status": student.status.value, "registration_state": student.registration_state.value}
    if passed:
        transitions.check(student, StudentStatus.IN_SCHOOL)  # T1 (§4.3)
        student.registration_state = RegistrationState.APPROVED
        student.status = StudentStatus.IN_SCHOOL
        student.approved_at, student.approved_by_id = now, actor.id
        student.return_reason = None
        if not student.national_student_id:
            student.national_student_id = numbers.new_l_number(
                session, student.school.division_code, student.birth_date
            )
    else:
        student.registration_state = RegistrationState.RETURNED
        student.return_reason = reason
    audit.record(
        session,
        actor=actor,
        action="学籍注册核办" + ("通过" if passed else "不通过"),
        entity="student",
        entity_id=student.id,
        before=before,
        after={
            "status": student.status.value,
            "registration_state": student.registration_state.value,
            "national_student_id": student.national_student_id,
            **({"reason": reason} if not passed else {}),
        },
    )


def issue_g_numbers(session: Session, *, actor: User) -> int:
    """F-14 G: every approved in-school L record with a valid 居民身份证 number and no problem flag gets G+ID."""
    rows = session.scalars(
        select(Student).where(
            Student.status == StudentStatus.IN_SCHOOL,
            Student.id_doc_type == "1",
            Student.problem_type.is_(None),
            Student.national_id_kind == "L",
        )
    ).all()
    issued = 0
    for student in rows:
        number = numbers.g_number(student.id_doc_number or "")
        if numbers.taken(session, number):
            continue
        audit.record(
            session,
            actor=actor,
            action="发放正式学籍号",
            entity="student",
            entity_id=student.id,
            before={"national_student_id": student.national_student_id},
            after={"national_student_id": number},
        )
        student.national_student_id = number
        issued += 1
    return issued


def assign_j_number(session: Session, *, actor: User, student: Student) -> str:
    """F-14 J: for an approved student without a usable ID number."""
    if student.status != StudentStatus.IN_SCHOOL or student.id_doc_type == "1":
        raise DomainError("只能为无可用身份证件号的在校学生分配J字头学籍号")
    number = numbers.new_j_number(session, student.school.division_code, student.birth_date)
    audit.record(
        session,
        actor=actor,
        action="分配J字头学籍号",
        entity="student",
        entity_id=student.id,
        before={"national_student_id": student.national_student_id},
        after={"national_student_id": number},
    )
    student.national_student_id = number
    return number
