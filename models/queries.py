"""综合查询 (F-56) of the student lifecycle: 异动在办业务查询, 异动查询, 毕业生查询, 毕业生驳回查询, dropout counts.

Each query is scoped by ``models.jurisdiction`` and returns a ``Page`` of rows: a header and plain values, so the
same rows feed the table on screen and the xlsx export.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session, aliased

from models.base import utcnow
from models.clock import DAY, as_utc, local_text
from models.jurisdiction import cases_visible_to, in_subtree, students_visible_to
from models.lifecycle import CHANGE_LABELS, ChangeCode, GraduateRejection
from models.org import OrgLevel, OrgUnit
from models.student import Student, StudentStatus
from models.transitions import GRADUATE_STATES
from models.user import User
from models.workflow import CaseStatus, InboxTask, ProcessInstance, TaskStatus

EXPORT_LIMIT = 100_000


@dataclass(frozen=True)
class Filters:
    school_id: int | None = None
    process_key: str = ""
    change_type: str = ""
    status: str = ""
    older_than_days: int | None = None
    name: str = ""


@dataclass
class Page:
    headers: list[str]
    rows: list[list[Any]]
    total: int
    page: int
    per_page: int
    ids: list[int] = field(default_factory=list)  # the subject of each row (case or student), for actions

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _page(
    session: Session,
    query: Select[Any],
    *,
    order: list[Any],
    page: int,
    per_page: int,
    headers: list[str],
    row_of: Callable[[Any], tuple[int, list[Any]]],
) -> Page:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page = max(page, 1)
    items = session.scalars(query.order_by(*order).limit(per_page).offset((page - 1) * per_page)).all()
    pairs = [row_of(item) for item in items]
    return Page(headers, [row for _, row in pairs], total, page, per_page, [pid for pid, _ in pairs])


def schools_of(session: Session, user: User) -> list[tuple[int, str]]:
    """The schools in the user's jurisdiction, for the school filter of every query."""
    rows = session.execute(
        select(OrgUnit.id, OrgUnit.name)
        .where(OrgUnit.level == OrgLevel.SCHOOL, in_subtree(user, OrgUnit.id))
        .order_by(OrgUnit.path)
    ).all()
    return [(org_id, name) for org_id, name in rows]


# -- 异动在办业务查询 (F-34, F-56) ----------------------------------------------------------------------------


def pending_business(session: Session, user: User, filters: Filters, *, page: int = 1, per_page: int = 50) -> Page:
    """Open cases of every kind, by type, age and current owner, within the user's jurisdiction."""
    query = cases_visible_to(user).where(ProcessInstance.status == CaseStatus.OPEN)
    if filters.school_id:
        query = query.where(ProcessInstance.org_id == filters.school_id)
    if filters.process_key:
        query = query.where(ProcessInstance.process_key == filters.process_key)
    if filters.older_than_days:
        query = query.where(ProcessInstance.started_at <= utcnow() - timedelta(days=filters.older_than_days))
    now = utcnow()

    def row(case_: ProcessInstance) -> tuple[int, list[Any]]:
        owners = session.scalars(
            select(OrgUnit.name)
            .join(InboxTask, InboxTask.org_id == OrgUnit.id)
            .where(InboxTask.instance_id == case_.id, InboxTask.status == TaskStatus.OPEN)
        ).all()
        started = as_utc(case_.started_at)
        return case_.id, [
            case_.id,
            _case_name(case_),
            case_.student.name if case_.student else "",
            case_.org.name,
            case_.state_label,
            "、".join(owners),
            local_text(started),
            (now - started).days,
        ]

    headers = ["编号", "业务", "学生", "学校", "状态", "当前办理单位", "发起时间", "已办天数"]
    return _page(
        session,
        query,
        order=[ProcessInstance.started_at, ProcessInstance.id],
        page=page,
        per_page=per_page,
        headers=headers,
        row_of=row,
    )


def pending_counts(session: Session, user: User) -> list[tuple[str, int]]:
    """Open cases per school, most first: what a county chases before graduation (seed 000)."""
    visible = cases_visible_to(user).where(ProcessInstance.status == CaseStatus.OPEN).subquery()
    rows = session.execute(
        select(OrgUnit.name, func.count(visible.c.id))
        .join(visible, visible.c.org_id == OrgUnit.id)
        .group_by(OrgUnit.name)
        .order_by(func.count(visible.c.id).desc(), OrgUnit.name)
    ).all()
    return [(name, count) for name, count in rows]


# -- 异动查询 ---------------------------------------------------------------------------------------------------


def status_changes(session: Session, user: User, filters: Filters, *, page: int = 1, per_page: int = 50) -> Page:
    """Status-change cases (open or ended), filterable by type, school and state."""
    query = cases_visible_to(user).where(ProcessInstance.process_key == "status_change")
    if filters.school_id:
        query = query.where(ProcessInstance.org_id == filters.school_id)
    if filters.change_type in ChangeCode.__members__.values():
        query = query.where(ProcessInstance.summary["change_type"].as_string() == filters.change_type)
    if filters.status:
        query = query.where(ProcessInstance.state_label == filters.status)

    def row(case_: ProcessInstance) -> tuple[int, list[Any]]:
        code = case_.summary.get("change_type", "")
        return case_.id, [
            case_.id,
            CHANGE_LABELS.get(ChangeCode(code), code) if code in ChangeCode.__members__.values() else code,
            case_.student.name if case_.student else "",
            case_.org.name,
            case_.summary.get("reason", ""),
            case_.state_label,
            local_text(case_.started_at, DAY),
            local_text(case_.ended_at, DAY),
        ]

    headers = ["编号", "异动类型", "学生", "学校", "异动原因", "状态", "申请日期", "办结日期"]
    order = [ProcessInstance.started_at.desc(), ProcessInstance.id.desc()]
    return _page(session, query, order=order, page=page, per_page=per_page, headers=headers, row_of=row)


# -- 毕业生查询 / 毕业生驳回查询 -----------------------------------------------------------------------------


def graduates(session: Session, user: User, filters: Filters, *, page: int = 1, per_page: int = 50) -> Page:
    query = students_visible_to(user).where(Student.status.in_(GRADUATE_STATES))
    if filters.school_id:
        query = query.where(Student.school_id == filters.school_id)
    if filters.name:
        query = query.where(Student.name.startswith(filters.name, autoescape=True))
    if filters.status in {s.value for s in GRADUATE_STATES}:
        query = query.where(Student.status == filters.status)

    def row(student: Student) -> tuple[int, list[Any]]:
        return student.id, [
            student.name,
            student.sex_label,
            student.national_student_id or "",
            student.school.name,
            student.school_class.name if student.school_class else "",
            student.status_label,
            student.graduated_on.isoformat() if student.graduated_on else "",
            student.graduation_destination or "",
        ]

    headers = ["姓名", "性别", "学籍号", "学校", "班级", "毕业类型", "毕业日期", "毕业去向"]
    return _page(
        session,
        query,
        order=[Student.school_id, Student.name, Student.id],
        page=page,
        per_page=per_page,
        headers=headers,
        row_of=row,
    )


def graduated_students(session: Session, user: User, filters: Filters) -> list[Student]:
    """The 毕业 (not 结业/肄业) students in the user's jurisdiction, for the admission export (F-40)."""
    query = students_visible_to(user).where(Student.status == StudentStatus.GRADUATED)
    if filters.school_id:
        query = query.where(Student.school_id == filters.school_id)
    return list(session.scalars(query.order_by(Student.school_id, Student.id).limit(EXPORT_LIMIT)))


def rejected_graduates(session: Session, user: User, filters: Filters, *, page: int = 1, per_page: int = 50) -> Page:
    query = select(GraduateRejection).where(in_subtree(user, GraduateRejection.school_id))
    if filters.school_id:
        query = query.where(GraduateRejection.school_id == filters.school_id)

    def row(item: GraduateRejection) -> tuple[int, list[Any]]:
        return item.student_id, [
            item.student.name,
            item.school.name,
            StudentStatus(item.former_status).label,
            item.graduated_on.isoformat() if item.graduated_on else "",
            item.reason,
            item.rejected_by.full_name,
            local_text(item.rejected_at),
            item.student.status_label,
        ]

    headers = ["姓名", "学校", "驳回前状态", "原毕业日期", "驳回原因", "驳回人", "驳回时间", "当前状态"]
    order = [GraduateRejection.rejected_at.desc(), GraduateRejection.id.desc()]
    return _page(session, query, order=order, page=page, per_page=per_page, headers=headers, row_of=row)


# -- 辍学 counts (F-28) ---------------------------------------------------------------------------------------


def dropout_counts(session: Session, user: User) -> list[tuple[str, int, int]]:
    """Per school of the user's jurisdiction: (school, 疑似辍学, 辍学)."""
    school = aliased(OrgUnit)
    visible = students_visible_to(user).subquery()
    suspected = func.sum(case((visible.c.suspected_dropout_since.is_not(None), 1), else_=0))
    dropped = func.sum(case((visible.c.status == StudentStatus.DROPOUT.value, 1), else_=0))
    rows = session.execute(
        select(school.name, suspected, dropped)
        .join(visible, visible.c.school_id == school.id)
        .group_by(school.name)
        .having((suspected + dropped) > 0)
        .order_by(school.name)
    ).all()
    return [(name, int(s or 0), int(d or 0)) for name, s, d in rows]


def _case_name(case_: ProcessInstance) -> str:
    """The flow's name, with the change type for status changes (学籍异动（休学）)."""
    name = case_.version.name if case_.version else case_.process_key
    code = case_.summary.get("change_type", "")
    return f"{name}（{ChangeCode(code).label}）" if code in ChangeCode.__members__.values() else name
