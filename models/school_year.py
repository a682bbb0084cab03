"""What a school must have set up before it admits or places new students (G overview, F-03, F-04): its current
term in the admission year, and the grade-1 classes of the new cohort.

The admission year is the province's grade year (the year grades are counted in, after the August promotion), so
the new cohort is the one whose grade is 一年级 (§3.4: grade_level = grade year − cohort year + 1 = 1).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.business_calendar import grade_year, province_id_of
from models.calendar import AUTUMN, current_term
from models.errors import DomainError
from models.org import Cohort, School, SchoolClass, Stage


def admission_year(session: Session, school_id: int) -> int:
    return grade_year(session, province_id_of(session, school_id))


def new_cohort_refusal(session: Session, school_id: int, stage: Stage) -> str | None:
    """Why the school cannot yet admit (or place) new students of a stage, or None when it can."""
    try:
        year = admission_year(session, school_id)
    except DomainError as err:  # the province has no current term yet
        return err.message
    new_term = f"{year}-{year + 1}学年{AUTUMN}"
    term = current_term(session, school_id)
    if term is None:
        return f"本校尚未设置当前学期：请先在「学校管理→学期学年设置」新增或确认{new_term}并设为当前学期"
    if term.academic_year.start_year != year:
        return f"本校当前学期为{term.name}：请先在「学校管理→学期学年设置」新增或确认{new_term}并设为当前学期"
    has_class = session.scalar(
        select(SchoolClass.id)
        .join(Cohort, Cohort.id == SchoolClass.cohort_id)
        .where(Cohort.school_id == school_id, Cohort.stage == stage, Cohort.cohort_year == year)
        .limit(1)
    )
    if has_class is None:
        return f"本校尚未建立{stage.label}{year}级一年级的班级：请先在「学校管理→年级信息管理、班级信息管理」中建立"
    return None


def require_new_cohort(session: Session, school_id: int, stage: Stage) -> None:
    """Raise the Chinese refusal of ``new_cohort_refusal``, if any."""
    refusal = new_cohort_refusal(session, school_id, stage)
    if refusal is not None:
        raise DomainError(refusal)


def new_year_refusals(session: Session, school_id: int) -> list[str]:
    """``new_cohort_refusal`` for each stage the school teaches (shown where new students are placed)."""
    school = session.get_one(School, school_id)
    refusals = (new_cohort_refusal(session, school_id, stage) for stage in school.stage_list)
    return list(dict.fromkeys(r for r in refusals if r is not None))
