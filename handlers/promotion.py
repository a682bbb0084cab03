"""升级 (F-38): the record authority sets the promotion moment; at that moment every cohort of the province moves up
one grade, as one set-based change; the authority can undo it.

Design (domain.md §3.4, Q-45): a cohort's grade is derived, ``grade_level = grade_year − cohort_year + 1``, and the
province's grade year is the target of its last promotion run. Promoting is therefore one row (``PromotionRun``),
whatever the number of students: no student row changes, nothing can be half-promoted, and undo is the same row
switched back. The only per-student work is the report, one GROUP BY over the province's in-school students.
A partial unique index (one *done* run per province and year) makes the effect exactly-once, even when two ticks or
two officers race.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import audit
from models.business_calendar import STAGE_YEARS, grade_year
from models.errors import DomainError
from models.job import Progress, no_progress
from models.lifecycle import PromotionRun, PromotionStatus
from models.org import Cohort, OrgLevel, OrgUnit, SchoolClass, Stage
from models.student import Student, StudentStatus
from models.user import User

log = logging.getLogger(__name__)


def _province(session: Session, province_id: int) -> OrgUnit:
    org = session.get(OrgUnit, province_id)
    if org is None or org.level is not OrgLevel.PROVINCE:
        raise DomainError("升级时间由省级学籍主管部门设置")
    return org


def schedule(session: Session, actor: User, *, province_id: int, promote_at: datetime) -> PromotionRun:
    """设置升级时间: one scheduled promotion per province; setting it again moves the moment."""
    _province(session, province_id)
    run = session.scalar(
        select(PromotionRun).where(PromotionRun.org_id == province_id, PromotionRun.status == PromotionStatus.SCHEDULED)
    )
    year = grade_year(session, province_id)
    if run is None:
        run = PromotionRun(org_id=province_id, from_year=year, to_year=year + 1, promote_at=promote_at)
        session.add(run)
    run.promote_at, run.set_by_id = promote_at, actor.id
    run.from_year, run.to_year = year, year + 1
    session.flush()
    return run


def promote(
    session: Session, run_id: int, *, actor: User | None, now: datetime, progress: Progress = no_progress
) -> PromotionRun:
    """Carry out one scheduled promotion. Refused when it already ran or the grade year moved meanwhile."""
    progress(0, 2, "升级")
    run = session.scalars(
        select(PromotionRun)
        .where(PromotionRun.id == run_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if run.status is not PromotionStatus.SCHEDULED:
        raise DomainError(f"该升级（{run.from_year}→{run.to_year}学年）{run.status.label}，不能再次执行")
    current = grade_year(session, run.org_id)
    if current != run.from_year:
        raise DomainError(f"当前已是{current}学年的年级，升级设置（{run.from_year}→{run.to_year}）已失效")
    run.status, run.executed_at = PromotionStatus.DONE, now
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise DomainError(f"{run.from_year}学年的升级已经执行过") from exc
    progress(1, 2, "统计在校学生")
    run.report = report(session, run.org_id, run.to_year)
    progress(2, 2, "统计在校学生")
    _audit(session, run, actor, "升级", before={"grade_year": run.from_year}, after={"grade_year": run.to_year})
    return run


def undo(session: Session, run_id: int, *, actor: User, now: datetime) -> PromotionRun:
    """撤销升级: only the province's latest promotion, once."""
    run = session.scalars(
        select(PromotionRun)
        .where(PromotionRun.id == run_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if run.status is not PromotionStatus.DONE:
        raise DomainError(f"该升级{run.status.label}，不能撤销")
    if grade_year(session, run.org_id) != run.to_year:
        raise DomainError("只能撤销最近一次升级")
    run.status, run.undone_at, run.undone_by_id = PromotionStatus.UNDONE, now, actor.id
    session.flush()
    _audit(session, run, actor, "撤销升级", before={"grade_year": run.to_year}, after={"grade_year": run.from_year})
    return run


def run_due(session: Session, now: datetime) -> list[PromotionRun]:
    """The tick: promote every province whose moment has come (``flask xueji tick``)."""
    due = session.scalars(
        select(PromotionRun.id).where(PromotionRun.status == PromotionStatus.SCHEDULED, PromotionRun.promote_at <= now)
    ).all()
    done = []
    for run_id in due:
        try:
            done.append(promote(session, run_id, actor=None, now=now))
        except DomainError:
            log.info("promotion run %s was carried out by another tick", run_id)
    return done


def report(session: Session, province_id: int, year: int) -> dict[str, Any]:
    """In-school students per stage and grade in ``year``, and those past their last grade (应毕业未毕业, Q-22)."""
    province = session.get_one(OrgUnit, province_id)
    level = (year - Cohort.cohort_year + 1).label("level")
    rows = session.execute(
        select(Cohort.stage, level, func.count(Student.id))
        .join(SchoolClass, SchoolClass.id == Student.class_id)
        .join(Cohort, Cohort.id == SchoolClass.cohort_id)
        .join(OrgUnit, OrgUnit.id == Student.school_id)
        .where(Student.status == StudentStatus.IN_SCHOOL, OrgUnit.path.startswith(province.path, autoescape=True))
        .group_by(Cohort.stage, level)
    ).all()
    grades: dict[str, dict[str, int]] = {}
    overdue = 0
    for stage, grade, count in rows:
        stage = Stage(stage)
        grades.setdefault(stage.label, {})[str(grade)] = count
        if grade > STAGE_YEARS[stage]:
            overdue += count
    return {
        "grade_year": year,
        "students": sum(count for *_, count in rows),
        "grades": grades,
        "overdue_graduates": overdue,
    }


def _audit(
    session: Session,
    run: PromotionRun,
    actor: User | None,
    action: str,
    *,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    audit.record(
        session, actor=actor, action=action, entity="promotion_run", entity_id=run.id, before=before, after=after
    )
