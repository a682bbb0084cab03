"""招生录取 (F-40…F-46): one row per school's admission of a graduate.

Invariant held by the database, not only by the code: at most one admission of a student is 录取 (the partial
unique index ``uq_admission_one_admitted``). Every decision that may make an admission 录取 first locks the
student row (``SELECT … FOR UPDATE``), so two schools admitting, or two arbitrations finishing, at the same
moment are serialised; the index is the last line if a path forgets the lock.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, select, text
from sqlalchemy.orm import Mapped, Session, joinedload, mapped_column, relationship

from models import audit, transitions
from models.base import Base, enum_column
from models.errors import DomainError
from models.jurisdiction import common_superior
from models.org import OrgLevel, School, Stage
from models.school_year import require_new_cohort
from models.student import Student, StudentStatus, has_national_id
from models.user import User
from models.workflow import ProcessInstance


class RecordLocked(DomainError):
    message = "该问题学籍正在招生处理中，已锁定：毕业学校只能查看，招生结束后由录取学校处理"


class AdmissionStatus(StrEnum):
    PENDING = "pending"
    DUPLICATE = "duplicate"
    ADMITTED = "admitted"
    REJECTED = "rejected"
    DELETED = "deleted"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    AdmissionStatus.PENDING: "待核办",
    AdmissionStatus.DUPLICATE: "重复招生",
    AdmissionStatus.ADMITTED: "录取",
    AdmissionStatus.REJECTED: "不录取",
    AdmissionStatus.DELETED: "已删除",
}
ACTIVE = (AdmissionStatus.PENDING, AdmissionStatus.DUPLICATE, AdmissionStatus.ADMITTED)
PROBLEM_RECORD = "problem_record"  # the one flow a graduate may have open while admitted (Q-29, F-47)


class Admission(Base):
    __tablename__ = "admission"
    __table_args__ = (
        Index(
            "uq_admission_one_admitted",
            "student_id",
            unique=True,
            sqlite_where=text("status = 'admitted'"),
            postgresql_where=text("status = 'admitted'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.org_id"), index=True)
    stage: Mapped[Stage] = mapped_column(enum_column(Stage, 10))
    status: Mapped[AdmissionStatus] = mapped_column(enum_column(AdmissionStatus, 12))
    county_passed: Mapped[bool] = mapped_column(default=False)
    school_opinion: Mapped[str | None] = mapped_column(String(500))
    # 外地就读学生核办 (F-45) by the graduating school's county: None (not out of area), 待核办, 通过, 不通过
    origin_review: Mapped[str | None] = mapped_column(String(10))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]

    student: Mapped[Student] = relationship()
    school: Mapped[School] = relationship()


def lock_student(session: Session, student_id: int) -> Student:
    """The student row, locked until commit: the one place admissions of a student serialise."""
    statement = select(Student).where(Student.id == student_id).with_for_update()
    # populate_existing: what another transaction committed before the lock was granted, not the cached row
    return session.scalars(statement.execution_options(populate_existing=True)).one()


def active_admissions(session: Session, student_id: int) -> list[Admission]:
    return list(
        session.scalars(
            select(Admission)
            .where(Admission.student_id == student_id, Admission.status.in_(ACTIVE))
            .order_by(Admission.id)
        )
    )


def _set_status(session: Session, admission: Admission, status: AdmissionStatus, actor: User | None, **kw: Any) -> None:
    before = admission.status.label
    admission.status = status
    audit.record(
        session,
        actor=actor,
        action="admission",
        entity="admission",
        entity_id=admission.id,
        before={"status": before},
        after={"status": status.label, "student_id": admission.student_id, "school_id": admission.school_id},
        **kw,
    )
    sync_lock(session, admission.student_id, actor, instance_id=kw.get("instance_id"))


def sync_lock(session: Session, student_id: int, actor: User | None, *, instance_id: int | None = None) -> None:
    """问题学籍招生处理 (F-47): a graduate's unresolved problem record is locked while an admission of it is under
    way (recorded, reviewed, admitted but not yet moved). The move to the admitting school (T2) releases it there;
    the end of every admission (不录取, 删除) releases it back to the graduating school."""
    student = session.get_one(Student, student_id)
    under_way = student.status in transitions.GRADUATE_STATES and bool(active_admissions(session, student_id))
    locked = bool(student.problem_type) and under_way
    if locked == student.admission_lock:
        return
    audit.record(
        session,
        actor=actor,
        action="问题学籍招生锁定" if locked else "问题学籍招生解锁",
        entity="student",
        entity_id=student.id,
        before={"admission_lock": student.admission_lock},
        after={"admission_lock": locked, "school_id": student.school_id},
        instance_id=instance_id,
    )
    student.admission_lock = locked


def find_graduate(session: Session, number: str, name: str) -> Student:
    """自主招生's query window: the record by 学籍号, which must match the name."""
    student = session.scalars(select(Student).where(has_national_id(number))).first() if number else None
    if student is None:
        raise DomainError("学籍号不存在!")
    if student.name != name:
        raise DomainError("学籍号存在，但学籍号和姓名不匹配!")
    return student


def _add(
    session: Session,
    actor: User | None,
    admission: Admission,
    status: AdmissionStatus,
    *,
    now: datetime,
    action: str,
    instance_id: int | None = None,
) -> Admission:
    """A new admission row with its audit event."""
    admission.status, admission.created_at = status, now
    session.add(admission)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=action,
        entity="admission",
        entity_id=admission.id,
        before={},
        after={"status": status.label, "student_id": admission.student_id, "school_id": admission.school_id},
        instance_id=instance_id,
    )
    return admission


def record_admission(
    session: Session,
    actor: User,
    student_id: int,
    school_id: int,
    stage: Stage,
    *,
    now: datetime,
    setup_checked: bool = False,
) -> tuple[Admission, Admission | None]:
    """A school admits a graduate (F-41/F-42). Returns the new admission and, when another school already
    admitted the student, that earlier admission: both become 重复招生 and the caller opens F-46. Refused until
    the school has set up the new year (its current term, the new cohort's grade-1 classes), unless the caller
    checked that already for the school and stage (``setup_checked``: a batch checks it once)."""
    if not setup_checked:
        require_new_cohort(session, school_id, stage)
    student = lock_student(session, student_id)
    if student.status != StudentStatus.GRADUATED:
        raise DomainError("该学生的学籍状态是非毕业生!")
    open_case = session.get(ProcessInstance, student.open_case_id) if student.open_case_id else None
    if open_case is not None and open_case.process_key != PROBLEM_RECORD:  # Q-29, e.g. 毕业后跨省就学 (F-43)
        raise DomainError(f"{student.name}有在办业务「{open_case.title}」，办结后才能招生录取")
    others = active_admissions(session, student_id)
    if any(a.school_id == school_id for a in others):
        raise DomainError(f"{student.name}已被本校招生录取，不能重复录取")
    admission = _add(
        session,
        actor,
        Admission(student_id=student_id, school_id=school_id, stage=stage, created_by_id=actor.id),
        AdmissionStatus.PENDING,
        now=now,
        action="admission",
    )
    sync_lock(session, student_id, actor)
    if not others:
        return admission, None
    earlier = others[0]
    for row in (earlier, admission):
        if row.status != AdmissionStatus.DUPLICATE:
            _set_status(session, row, AdmissionStatus.DUPLICATE, actor)
    return admission, earlier


def admit(
    session: Session, admission: Admission, actor: User | None, *, now: datetime, instance_id: int | None
) -> None:
    """Make an admission 录取, refusing when another school already holds the student (§F-46 outcome)."""
    lock_student(session, admission.student_id)
    session.refresh(admission)
    holder = next(
        (a for a in active_admissions(session, admission.student_id) if a.status == AdmissionStatus.ADMITTED), None
    )
    if holder is not None and holder.id != admission.id:
        raise DomainError("该学生已被其他学校录取，不能再录取")
    admission.decided_at = now
    _set_status(session, admission, AdmissionStatus.ADMITTED, actor, instance_id=instance_id)
    session.flush()
    if same_county(session, admission):
        move_to_school(session, admission, actor, instance_id=instance_id)
    elif out_of_area(session, admission):
        admission.origin_review = ORIGIN_PENDING


ORIGIN_PENDING = "待核办"


def out_of_area(session: Session, admission: Admission) -> bool:
    """外地就读学生 (F-45): compulsory stage in another county, senior stage in another city (a municipality's
    districts count as one city)."""
    student = session.get_one(Student, admission.student_id)
    superior = common_superior(session, [student.school_id, admission.school_id])
    if admission.stage != Stage.SENIOR:
        return superior.level != OrgLevel.COUNTY
    return superior.level == OrgLevel.NATIONAL or (superior.level == OrgLevel.PROVINCE and not superior.is_municipality)


def same_county(session: Session, admission: Admission) -> bool:
    """Q-26: a same-county admission moves on county approval; others wait for 外地核办 and 调档 (F-45, F-48)."""
    student = session.get_one(Student, admission.student_id)
    graduating = session.get_one(School, student.school_id)
    return graduating.record_authority_id == session.get_one(School, admission.school_id).record_authority_id


def move_to_school(session: Session, admission: Admission, actor: User | None, *, instance_id: int | None) -> None:
    """T2 (§4.3): the graduate becomes an in-school student of the admitting school, without a class (待分班)."""
    student = session.get_one(Student, admission.student_id)
    former_school = student.school_id
    student.class_id = None
    student.school_id = admission.school_id
    transitions.change_status(
        session,
        student,
        StudentStatus.IN_SCHOOL,
        actor=actor,
        action="招生入学",
        instance_id=instance_id,
        extra={"from_school_id": former_school, "school_id": admission.school_id, "admission_id": admission.id},
    )
    sync_lock(session, student.id, actor, instance_id=instance_id)


def reject(
    session: Session, admission: Admission, actor: User | None, *, now: datetime, instance_id: int | None
) -> None:
    if admission.status in ACTIVE:
        admission.decided_at = now
        _set_status(session, admission, AdmissionStatus.REJECTED, actor, instance_id=instance_id)


def delete(
    session: Session, admission: Admission, actor: User | None, *, now: datetime, instance_id: int | None
) -> None:
    admission.decided_at = now
    _set_status(session, admission, AdmissionStatus.DELETED, actor, instance_id=instance_id)


# -- 跨省招生 / 毕业后跨省就学 (F-43) ------------------------------------------------------------------------------

GRADUATION_MONTH = 7  # graduation ends by 30 July (F-35): from July on, this year's graduates are the current ones


def is_current_graduate(student: Student, today: date) -> bool:
    """当年毕业生 (F-43 precondition 2): graduated in the latest graduation, the one whose admissions run now."""
    latest = today.year if today.month >= GRADUATION_MONTH else today.year - 1
    return student.graduated_on is not None and student.graduated_on.year >= latest


def cross_province_refusal(session: Session, student: Student | None, name: str, today: date) -> str:
    """The graduation province's validation of 毕业后跨省就学 (F-43, the national messages of seed 002), or ""."""
    if student is None:
        return "学籍号在毕业省不存在!"
    admissions = {a.status for a in active_admissions(session, student.id)}
    rules = (  # in the order the national system reports them; the first that fails is the answer
        (student.name != name.strip(), "学籍号在毕业省存在，但学籍号和姓名不匹配!"),
        (student.status not in (StudentStatus.GRADUATED, StudentStatus.COMPLETED), "该学生的学籍状态是非毕业生!"),
        # problem records cannot progress to another province (seed 002)
        (bool(student.problem_type), f"该学生为问题学籍（{student.problem_label}），不能办理毕业后跨省就学"),
        (not is_current_graduate(student, today), "该学生不是当年毕业生，不能办理毕业后跨省就学"),
        (AdmissionStatus.ADMITTED in admissions, "该学生已经被毕业省的其他学校录取!"),
        (bool(admissions), "存在正在办理的省内招生业务"),
        (student.open_case_id is not None, "该学生在毕业省有在办业务，办结后才能办理"),
    )
    return next((message for failed, message in rules if failed), "")


def record_cross_province(
    session: Session,
    student: Student,
    school_id: int,
    stage: Stage,
    *,
    actor: User | None,
    by_id: int | None,
    now: datetime,
    instance_id: int,
) -> Admission:
    """The admitting school's admission of a graduate from another province, once the archive arrived (F-43): 录取,
    so it counts against the school's plan (F-39) like the others."""
    row = Admission(
        student_id=student.id, school_id=school_id, stage=stage, created_by_id=by_id, county_passed=True, decided_at=now
    )
    return _add(session, actor, row, AdmissionStatus.ADMITTED, now=now, action="跨省招生", instance_id=instance_id)


class AdmissionResult(Base):
    """招生结果 (F-40): one row of the county's imported (or manually added) result list, used by F-41."""

    __tablename__ = "admission_result"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.org_id"), index=True)
    stage: Mapped[Stage] = mapped_column(enum_column(Stage, 10))
    county_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    admission_id: Mapped[int | None] = mapped_column(ForeignKey("admission.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime]

    student: Mapped[Student] = relationship()
    school: Mapped[School] = relationship()
    admission: Mapped[Admission | None] = relationship()

    @property
    def state_label(self) -> str:
        """The state of the admission made from this result, as the county and the school read it."""
        return RESULT_LABELS[self.admission.status if self.admission else None]

    @property
    def reopened(self) -> bool:
        """The county failed the school's admission (F-44): the result stands, the school may apply again."""
        return self.admission is not None and self.admission.status == AdmissionStatus.REJECTED


# A result reads as its admission's state, but 录取 reads 已录取 and no admission yet 未录取.
RESULT_LABELS: dict[AdmissionStatus | None, str] = dict(STATUS_LABELS.items())
RESULT_LABELS.update({AdmissionStatus.ADMITTED: "已录取", None: "未录取"})


class AdmissionPlan(Base):
    """招生计划数 (F-39): set by the county per school × year × stage; a warning, not a limit (Q-25)."""

    __tablename__ = "admission_plan"
    __table_args__ = (UniqueConstraint("school_id", "year", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.org_id"))
    year: Mapped[int]
    stage: Mapped[Stage] = mapped_column(enum_column(Stage, 10))
    planned: Mapped[int]

    school: Mapped[School] = relationship()


def set_plan(
    session: Session, actor: User | None, school_id: int, *, year: int, stage: Stage, planned: int
) -> AdmissionPlan:
    if planned < 0:
        raise DomainError("招生计划数不能为负数")
    plan = session.scalars(
        select(AdmissionPlan).where(
            AdmissionPlan.school_id == school_id, AdmissionPlan.year == year, AdmissionPlan.stage == stage
        )
    ).first()
    before = {"planned": plan.planned if plan else None}
    if plan is None:
        plan = AdmissionPlan(school_id=school_id, year=year, stage=stage, planned=planned)
        session.add(plan)
    plan.planned = planned
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="招生计划数",
        entity="admission_plan",
        entity_id=plan.id,
        before=before,
        after={"planned": planned, "school_id": school_id, "year": year, "stage": stage.value},
    )
    return plan


def plan_warning(session: Session, school_id: int, year: int, stage: Stage) -> str | None:
    """Q-25: a warning when the school's admissions of the year and stage exceed its plan."""
    plan = session.scalars(
        select(AdmissionPlan).where(
            AdmissionPlan.school_id == school_id, AdmissionPlan.year == year, AdmissionPlan.stage == stage
        )
    ).first()
    if plan is None:
        return None
    count = sum(
        1
        for a in session.scalars(
            select(Admission).where(
                Admission.school_id == school_id, Admission.stage == stage, Admission.status.in_(ACTIVE)
            )
        )
        if a.created_at.year == year
    )
    if count <= plan.planned:
        return None
    return f"录取人数{count}已超过招生计划数{plan.planned}"


def county_schools(session: Session, county_id: int) -> list[School]:
    """The schools the county supervises, by 学校标识码: what its admission results and plans name."""
    return list(
        session.scalars(
            select(School)
            .options(joinedload(School.org))
            .where(School.record_authority_id == county_id)
            .order_by(School.school_code)
        )
    )


def county_school_id(session: Session, actor: User, school_code: str) -> int:
    """A school supervised by the actor's county, by its 学校标识码."""
    if not school_code:
        raise DomainError("请选择学校")
    school = session.scalars(select(School).where(School.school_code == school_code)).first()
    if school is None or school.record_authority_id != actor.org_id:
        raise DomainError(f"学校标识码{school_code}不是本区县管理的学校")
    if school.closed_at is not None:  # F-50
        raise DomainError(f"{school.name}已{school.closed_reason}，学校标识码已作废")
    return school.org_id


def plans_of(session: Session, actor: User) -> list[AdmissionPlan]:
    """The plans a user may see: a school its own, a county those of the schools it supervises."""
    query = select(AdmissionPlan).join(School, School.org_id == AdmissionPlan.school_id)
    query = query.where((AdmissionPlan.school_id == actor.org_id) | (School.record_authority_id == actor.org_id))
    return list(session.scalars(query.order_by(AdmissionPlan.year.desc(), AdmissionPlan.school_id)))
