"""Business calendar (F-33, Appendix D): windows of the status-change types, working days, grade years.

Working days are Monday–Friday (Q-16; a holiday table is not modelled yet). Term months follow §3.5's defaults:
autumn term September–December, spring term March–June.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.calendar import AcademicYear, Term
from models.errors import DomainError
from models.lifecycle import PromotionRun, PromotionStatus, WindowKind
from models.org import OrgUnit, Stage

CHINA = timezone(timedelta(hours=8), "CST")  # windows and deadlines are counted in Beijing time
FIRST_MONTHS = frozenset({9, 3})  # 秋季学期 9月, 春季学期 3月
LAST_MONTHS = frozenset({12, 6})  # 秋季学期 12月, 春季学期 6月
DEATH_DEADLINE_WORKING_DAYS = 10
# Years of each stage; the last is the graduating grade (F-35: 6-year primary, 3-year junior and senior).
STAGE_YEARS = {Stage.PRIMARY: 6, Stage.JUNIOR: 3, Stage.SENIOR: 3}


def local_date(moment: datetime) -> date:
    """The calendar day in China of an aware moment (the engine's clock is UTC)."""
    return moment.astimezone(CHINA).date()


def is_working_day(day: date) -> bool:
    return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start``."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        days -= is_working_day(day)
    return day


def school_days_between(first: date, last: date) -> int:
    """Working days from ``first`` to ``last``, both included (F-28 counts school days, Q-15)."""
    return sum(is_working_day(first + timedelta(days=n)) for n in range((last - first).days + 1))


def nth_school_day(first: date, n: int) -> date:
    """The date of the n-th school day counted from ``first`` (which counts if it is a school day)."""
    day = first
    while not is_working_day(day):
        day += timedelta(days=1)
    return add_working_days(day, n - 1)


def check_window(kind: WindowKind, label: str, on: date) -> None:
    """Refuse initiation outside the type's window (windows restrict initiation only, Q-14)."""
    if kind is WindowKind.FIRST_MONTH and on.month not in FIRST_MONTHS:
        raise DomainError(f"「{label}」只能在每学期第一个月（3月、9月）申请，今天（{on:%Y-%m-%d}）不在办理时间内")
    if kind is WindowKind.FIRST_AND_LAST_MONTH and on.month not in FIRST_MONTHS | LAST_MONTHS:
        raise DomainError(
            f"「{label}」只能在每学期第一个月和最后一个月（3、6、9、12月）申请，今天（{on:%Y-%m-%d}）不在办理时间内"
        )


def death_deadline_warning(death_date: date, on: date) -> str:
    """F-25: a warning (not a refusal) when entered later than 10 working days after the death."""
    deadline = add_working_days(death_date, DEATH_DEADLINE_WORKING_DAYS)
    if on > deadline:
        return f"已超过死亡后10个工作日的办理期限（应于{deadline:%Y-%m-%d}前办理）"
    return ""


def province_id_of(session: Session, org_id: int) -> int:
    org = session.get_one(OrgUnit, org_id)
    ids = org.ancestor_ids()
    if len(ids) < 2:  # noqa: PLR2004 -- national root, then the province
        raise DomainError("该机构不属于任何省份")
    return ids[1]


def grade_year(session: Session, province_id: int) -> int:
    """The academic year grades are counted in: the last promotion's target, else the current term's year."""
    promoted = session.scalar(
        select(PromotionRun.to_year)
        .where(PromotionRun.org_id == province_id, PromotionRun.status == PromotionStatus.DONE)
        .order_by(PromotionRun.to_year.desc())
        .limit(1)
    )
    if promoted is not None:
        return promoted
    year = session.scalar(
        select(AcademicYear.start_year)
        .join(Term, Term.academic_year_id == AcademicYear.id)
        .where(Term.org_id == province_id, Term.is_current)
    )
    if year is None:
        raise DomainError("省级尚未设置当前学期（学期学年设置），无法确定年级")
    return year


def grade_level(cohort_year: int, year: int) -> int:
    """§3.4: grade_level = current academic year start − cohort year + 1."""
    return year - cohort_year + 1
