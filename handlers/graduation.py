"""毕业 (F-35), 毕业信息 (F-36), 毕业生驳回 (F-37): batch operations of schools and counties, and the service
tasks of the senior-stage approval flow (processes/senior_graduation.bpmn).

The batch functions take the session, never commit (the caller's one transaction), and refuse with a message that
names every student in the way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.registry import HandlerContext, handler
from models import admission, audit, transitions
from models.business_calendar import STAGE_YEARS, grade_level, grade_year, local_date, province_id_of
from models.errors import DomainError
from models.job import Progress, no_progress
from models.lifecycle import GraduateRejection
from models.org import Cohort, Stage
from models.student import Student, StudentStatus
from models.user import User
from models.workflow import ProcessInstance

S = StudentStatus
OUTCOMES = {"毕业": S.GRADUATED, "结业": S.COMPLETED, "肄业": S.INCOMPLETE}
# 毕业去向 (F-36, seed 000): exactly these fifteen.
DESTINATIONS = (
    "升学",
    "本科",
    "专科",
    "中专",
    "技校",
    "高职",
    "职业高中",
    "普通高中",
    "普通初中",
    "就业",
    "参军",
    "出国",
    "赴港澳台",
    "待就业",
    "其他",
)


GRADUATION_DEADLINE = (7, 30)  # 30 July (seed 000; Beijing 31 July), a warning, not a block


def deadline_warning(on: date, deadline: tuple[int, int] = GRADUATION_DEADLINE) -> str:
    """``deadline``: the province's 毕业办理截止日 (基本系统设置, F-53), 30 July by default."""
    month, day = deadline
    if (on.month, on.day) > (month, day) and on.month < 9:  # noqa: PLR2004 -- until the new school year
        return f"已超过{month}月{day}日的毕业办理期限，请尽快完成毕业"
    return ""


def _names(students: Sequence[Student], detail: dict[int, str] | None = None) -> str:
    return "、".join(f"{s.name}（{detail[s.id]}）" if detail and s.id in detail else s.name for s in students)


def _cohort_of(student: Student) -> Cohort:
    if student.school_class is None:
        raise DomainError(f"学生{student.name}没有班级，无法确定毕业年级")
    return student.school_class.cohort


def is_graduating(session: Session, cohort: Cohort) -> bool:
    """The cohort is in (or past, 应毕业未毕业 Q-22) the last grade of its stage in the current grade year."""
    year = grade_year(session, province_id_of(session, cohort.school_id))
    return grade_level(cohort.cohort_year, year) >= STAGE_YEARS[cohort.stage]


def check_graduation(session: Session, students: Sequence[Student]) -> None:
    """F-35 preconditions, all at once: 在校, graduating cohort, no 在办业务 (R12). Problem records do not block."""
    if not students:
        raise DomainError("请选择要毕业的学生")
    not_in_school = [s for s in students if s.status != S.IN_SCHOOL]
    if not_in_school:
        labels = {s.id: s.status_label for s in not_in_school}
        raise DomainError(f"以下学生不是在校状态，不能毕业：{_names(not_in_school, labels)}")
    too_young = [s for s in students if not is_graduating(session, _cohort_of(s))]
    if too_young:
        raise DomainError(f"以下学生不在毕业年级：{_names(too_young)}")
    pending = [s for s in students if _blocks_graduation(session, s.open_case_id)]
    if pending:
        titles = {s.id: _case_label(session, s.open_case_id) for s in pending}
        raise DomainError(f"以下学生有在办业务，须办结或清理后才能毕业：{_names(pending, titles)}")


def _blocks_graduation(session: Session, case_id: int | None) -> bool:
    """在办业务 blocks 毕业 (R12), except problem-record processing: such students graduate and the admitting
    school processes the record later (seed 000, F-47)."""
    return case_id is not None and session.get_one(ProcessInstance, case_id).process_key != admission.PROBLEM_RECORD


def _case_label(session: Session, case_id: int | None) -> str:
    case = session.get_one(ProcessInstance, case_id)
    return f"{case.title}，{case.state_label}"


def graduate(
    session: Session, actor: User, students: Sequence[Student], *, on: date, progress: Progress = no_progress
) -> int:
    """Compulsory-stage 毕业 by the school, no county step (seed 000). Senior graduation goes through the flow.
    All or nothing: the caller commits once, after the last student."""
    progress(0, len(students), "检查毕业条件")
    check_graduation(session, students)
    senior = [s for s in students if _cohort_of(s).stage is Stage.SENIOR]
    if senior:
        raise DomainError(f"高中阶段毕业须报学籍主管部门核办：{_names(senior)}")
    for done, student in enumerate(students):
        progress(done, len(students), "办理毕业")
        _graduate_one(session, actor, student, S.GRADUATED, on=on, instance_id=None)
    progress(len(students), len(students), "办理毕业")
    return len(students)


def class_students(session: Session, class_id: int) -> list[Student]:
    """Everyone of the class whose record is still active (in-school or away): graduation by class (F-35)."""
    return list(
        session.scalars(
            select(Student)
            .where(Student.class_id == class_id, Student.status == S.IN_SCHOOL)
            .order_by(Student.name, Student.id)
        )
    )


def _graduate_one(
    session: Session, actor: User | None, student: Student, outcome: StudentStatus, *, on: date, instance_id: int | None
) -> None:
    transitions.change_status(
        session,
        student,
        outcome,
        actor=actor,
        action=f"学生毕业：{outcome.label}",
        instance_id=instance_id,
        extra={"graduated_on": on.isoformat()},
    )
    student.graduated_on = on


def set_graduation_info(
    session: Session, actor: User, student: Student, *, destination: str, certificate_no: str = ""
) -> None:
    """毕业信息管理→编辑 (F-36): the destination must be one of the fifteen; blank stays allowed until back-fill."""
    if StudentStatus(student.status) not in transitions.GRADUATE_STATES:
        raise DomainError(f"学生{student.name}不是毕业生，不能编辑毕业信息")
    if destination and destination not in DESTINATIONS:
        raise DomainError(f"毕业去向须为：{'、'.join(DESTINATIONS)}")
    before = {
        "graduation_destination": student.graduation_destination,
        "certificate_no": student.graduation_certificate_no,
    }
    student.graduation_destination = destination or None
    student.graduation_certificate_no = certificate_no or None
    audit.record(
        session,
        actor=actor,
        action="毕业信息管理",
        entity="student",
        entity_id=student.id,
        before=before,
        after={"graduation_destination": destination or None, "certificate_no": certificate_no or None},
    )


def reject_graduates(session: Session, actor: User, students: Sequence[Student], *, reason: str) -> int:
    """毕业生驳回 (F-37, T12): the county returns graduates to 在校; each rejection is kept for 毕业生驳回查询."""
    if not reason.strip():
        raise DomainError("驳回时必须填写驳回原因")
    for student in sorted(students, key=lambda s: s.id):  # in id order, so two batches cannot deadlock
        admission.lock_student(session, student.id)  # an admission of the same graduate waits, or we wait for it
    wrong = [s for s in students if StudentStatus(s.status) not in transitions.GRADUATE_STATES]
    if wrong:
        raise DomainError(f"以下学生不是毕业生，不能驳回：{_names(wrong)}")
    admitted = [s for s in students if admission.active_admissions(session, s.id)]
    if admitted:  # only while not admitted
        raise DomainError(f"以下学生已被学校招生录取，不能驳回：{_names(admitted)}")
    for student in students:
        former, graduated_on = StudentStatus(student.status), student.graduated_on
        transitions.change_status(
            session, student, S.IN_SCHOOL, actor=actor, action="毕业生驳回", extra={"reason": reason}
        )
        student.graduated_on = None
        student.graduation_destination = None
        session.add(
            GraduateRejection(
                student_id=student.id,
                school_id=student.school_id,
                former_status=former,
                graduated_on=graduated_on,
                reason=reason,
                rejected_by_id=actor.id,
            )
        )
    return len(students)


# -- the senior-stage flow ----------------------------------------------------------------------------------


MIN_GRADE_TO_LEAVE = 2  # R12: 肄业 after at least one year; 毕业/结业 only in the graduating (third) grade


def senior_application_applies(session: Session, student: Student) -> bool:
    """Whether a 高中毕结业 application can pass check_senior for some outcome: a senior pupil in school from the
    second grade on. The student page offers the flow only then (a first-grade pupil is never offered it)."""
    cohort = student.school_class.cohort if student.school_class else None
    if cohort is None or cohort.stage is not Stage.SENIOR or student.status != StudentStatus.IN_SCHOOL:
        return False
    year = grade_year(session, province_id_of(session, cohort.school_id))
    return grade_level(cohort.cohort_year, year) >= MIN_GRADE_TO_LEAVE


@handler("graduation.check_senior", repeatable=True, results={"outcome": "str"})
def check_senior(ctx: HandlerContext, *, student_id: int, outcome: str) -> dict[str, Any]:
    """A senior-stage application: 在校, senior stage, graduating cohort (肄业: after at least one year)."""
    student = ctx.session.get_one(Student, student_id)
    if outcome not in OUTCOMES:
        raise DomainError("毕业类型须为毕业、结业或肄业")
    cohort = _cohort_of(student)
    if cohort.stage is not Stage.SENIOR:
        raise DomainError(f"学生{student.name}不是高中阶段学生，义务教育阶段由学校直接办理毕业")
    transitions.check(student, OUTCOMES[outcome])
    year = grade_year(ctx.session, province_id_of(ctx.session, cohort.school_id))
    if outcome == "肄业":
        if grade_level(cohort.cohort_year, year) < MIN_GRADE_TO_LEAVE:
            raise DomainError(f"学生{student.name}在校不满一年，不能肄业")
    elif not is_graduating(ctx.session, cohort):
        raise DomainError(f"学生{student.name}不在毕业年级，不能{outcome}")
    return {"outcome": outcome}


@handler("graduation.apply_senior", results={"graduated_on": "date"})
def apply_senior(ctx: HandlerContext, *, student_id: int, outcome: str) -> dict[str, Any]:
    student = ctx.session.get_one(Student, student_id)
    on = local_date(ctx.now)
    _graduate_one(ctx.session, ctx.actor, student, OUTCOMES[outcome], on=on, instance_id=ctx.case.id)
    return {"graduated_on": on.isoformat()}
