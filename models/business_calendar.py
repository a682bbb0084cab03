"""Business calendar (F-33, Appendix D): when a business may be initiated, working days, grade years.

Per province, the periods in which a business may be *initiated*: allowed when the date lies in one of its windows
(no window rows = the F-33/Q-13 default windows) and in none of its freezes. Windows and freezes restrict
initiation only; cases already started continue (Q-14). Dates are month-day pairs in China time, both ends
inclusive; a period may wrap the new year. Status-change types carry their own window kind (first month of a
term …). Term months follow §3.5's defaults: autumn term September–December, spring term March–June.

Working days (Q-16) are Monday–Friday, minus the public holidays (法定节假日) and plus the weekend days worked
instead (调休上班) of the State Council's yearly calendar. ``WorkingCalendar`` does the arithmetic on those
exceptions and nothing else, so it stays pure: ``models.holidays.working_calendar`` reads the one national
table (``holiday``) once per operation and every deadline counted in working days is computed on that object.
School days (F-28, Q-15) are the same working days.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, enum_column
from models.calendar import AcademicYear, Term
from models.errors import DomainError, NotFound
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


@dataclass(frozen=True)
class WorkingCalendar:
    """Monday–Friday, except ``days_off`` (放假) and plus ``make_up_days`` (调休上班)."""

    days_off: frozenset[date] = frozenset()
    make_up_days: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        if day in self.days_off:
            return False
        return day.weekday() < 5 or day in self.make_up_days

    def add_working_days(self, start: date, days: int) -> date:
        """The date ``days`` working days after ``start``."""
        day = start
        while days > 0:
            day += timedelta(days=1)
            days -= self.is_working_day(day)
        return day

    def school_days_between(self, first: date, last: date) -> int:
        """Working days from ``first`` to ``last``, both included (F-28 counts school days, Q-15)."""
        return sum(self.is_working_day(first + timedelta(days=n)) for n in range((last - first).days + 1))

    def nth_school_day(self, first: date, n: int) -> date:
        """The date of the n-th school day counted from ``first`` (which counts if it is a school day)."""
        day = first
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return self.add_working_days(day, n - 1)

    def working_days_later(self, moment: datetime, days: int) -> datetime:
        """``moment`` plus ``days`` working days, counted on the China calendar (due dates of inbox tasks)."""
        day = local_date(moment)
        return moment + (self.add_working_days(day, days) - day)


def check_window(kind: WindowKind, label: str, on: date) -> None:
    """Refuse initiation outside the type's window (windows restrict initiation only, Q-14)."""
    if kind is WindowKind.FIRST_MONTH and on.month not in FIRST_MONTHS:
        raise DomainError(f"「{label}」只能在每学期第一个月（3月、9月）申请，今天（{on:%Y-%m-%d}）不在办理时间内")
    if kind is WindowKind.FIRST_AND_LAST_MONTH and on.month not in FIRST_MONTHS | LAST_MONTHS:
        raise DomainError(
            f"「{label}」只能在每学期第一个月和最后一个月（3、6、9、12月）申请，今天（{on:%Y-%m-%d}）不在办理时间内"
        )


def death_deadline_warning(
    death_date: date, on: date, calendar: WorkingCalendar, days: int = DEATH_DEADLINE_WORKING_DAYS
) -> str:
    """F-25: a warning (not a refusal) when entered later than ``days`` working days after the death (基本系统设置,
    F-53; 10 by default)."""
    deadline = calendar.add_working_days(death_date, days)
    if on > deadline:
        return f"已超过死亡后{days}个工作日的办理期限（应于{deadline:%Y-%m-%d}前办理）"
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


class PeriodKind(StrEnum):
    WINDOW = "window"
    FREEZE = "freeze"


class BusinessPeriod(Base):
    __tablename__ = "business_period"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)  # the province
    business: Mapped[str] = mapped_column(String(30))  # e.g. "transfer"
    kind: Mapped[PeriodKind] = mapped_column(enum_column(PeriodKind, 10))
    start_md: Mapped[str] = mapped_column(String(5))  # "07-21"
    end_md: Mapped[str] = mapped_column(String(5))  # "08-14" (inclusive, i.e. until 24:00)
    note: Mapped[str] = mapped_column(String(200), default="")

    @property
    def period(self) -> Period:
        return Period(PeriodKind(self.kind), self.start_md, self.end_md, self.note)


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start_md: str
    end_md: str
    note: str

    def contains(self, month_day: str) -> bool:
        if self.start_md <= self.end_md:
            return self.start_md <= month_day <= self.end_md
        return month_day >= self.start_md or month_day <= self.end_md  # wraps the new year

    @property
    def text(self) -> str:
        return f"{_md_label(self.start_md)}至{_md_label(self.end_md)}"


def _md_label(month_day: str) -> str:
    month, day = month_day.split("-")
    return f"{int(month)}月{int(day)}日"


# F-33 seed default (seed 000): no new transfers from 21 Jul 00:00 to 14 Aug 24:00;
# Q-13 default windows: the first and last calendar month of each term (Mar, Jun, Sep, Dec).
DEFAULT_PERIODS: dict[str, tuple[Period, ...]] = {
    "transfer": (
        Period(PeriodKind.FREEZE, "07-21", "08-14", "暂停发起转学（教基一司函[2014]50号）"),
        Period(PeriodKind.WINDOW, "03-01", "03-31", "春季学期第一个月"),
        Period(PeriodKind.WINDOW, "06-01", "06-30", "春季学期最后一个月"),
        Period(PeriodKind.WINDOW, "09-01", "09-30", "秋季学期第一个月"),
        Period(PeriodKind.WINDOW, "12-01", "12-31", "秋季学期最后一个月"),
    ),
    # 毕业后跨省就学 (F-43; R13, the 2017 national calendar): 15 Aug – 14 Dec and 1 Mar – 31 May.
    "cross_province_admission": (
        Period(PeriodKind.WINDOW, "08-15", "12-14", "秋季毕业后跨省就学"),
        Period(PeriodKind.WINDOW, "03-01", "05-31", "春季毕业后跨省就学"),
    ),
}

BUSINESS_LABELS = {"transfer": "转学", "cross_province_admission": "毕业后跨省就学"}


def periods(session: Session, province_id: int, business: str) -> tuple[Period, ...]:
    rows = session.scalars(
        select(BusinessPeriod).where(BusinessPeriod.org_id == province_id, BusinessPeriod.business == business)
    ).all()
    if not rows:
        return DEFAULT_PERIODS.get(business, ())
    return tuple(r.period for r in rows)


# Every month-day of a leap year, to compare periods that may wrap the new year.
_YEAR_DAYS = tuple((date(2024, 1, 1) + timedelta(days=n)).strftime("%m-%d") for n in range(366))


def overlapping_freezes(period: Period, others: Iterable[Period]) -> list[Period]:
    """The freezes that share days with the window ``period``: on those days nothing can be initiated, because
    a freeze wins over a window (initiation_refusal checks freezes first)."""
    if period.kind != PeriodKind.WINDOW:
        return []
    window_days = {day for day in _YEAR_DAYS if period.contains(day)}
    return [p for p in others if p.kind == PeriodKind.FREEZE and any(p.contains(day) for day in window_days)]


def initiation_refusal(session: Session, province_id: int, business: str, now: datetime) -> str | None:
    """The Chinese reason why ``business`` cannot be initiated at ``now``, or None when it can."""
    month_day = now.astimezone(CHINA).strftime("%m-%d")
    label = BUSINESS_LABELS.get(business, business)
    configured = periods(session, province_id, business)
    for period in configured:
        if period.kind == PeriodKind.FREEZE and period.contains(month_day):
            return f"{period.text}为业务冻结期（{period.note}），不能发起{label}；冻结前已发起的业务可继续办理"
    windows = [p for p in configured if p.kind == PeriodKind.WINDOW]
    if windows and not any(p.contains(month_day) for p in windows):
        allowed = "、".join(p.text for p in windows)
        return f"当前不在{label}业务时间窗口内（可发起时间：{allowed}）"
    return None


MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")


def configured(session: Session, province_id: int, business: str) -> list[BusinessPeriod]:
    return list(
        session.scalars(
            select(BusinessPeriod)
            .where(BusinessPeriod.org_id == province_id, BusinessPeriod.business == business)
            .order_by(BusinessPeriod.kind, BusinessPeriod.start_md)
        )
    )


def add_period(session: Session, province_id: int, business: str, period: Period) -> None:
    """Add a window or freeze. The first configured period replaces the defaults, so they are copied first."""
    for value in (period.start_md, period.end_md):
        if not MONTH_DAY.match(value):
            raise DomainError(f"日期「{value}」格式不正确，应为 月-日，如 07-21")
    if not configured(session, province_id, business):
        for default in DEFAULT_PERIODS.get(business, ()):
            session.add(_row(province_id, business, default))
    session.add(_row(province_id, business, period))
    session.flush()


def delete_period(session: Session, province_id: int, period_id: int) -> None:
    row = session.get(BusinessPeriod, period_id)
    if row is None or row.org_id != province_id:
        raise NotFound()
    session.delete(row)
    session.flush()


def _row(province_id: int, business: str, period: Period) -> BusinessPeriod:
    return BusinessPeriod(
        org_id=province_id,
        business=business,
        kind=period.kind,
        start_md=period.start_md,
        end_md=period.end_md,
        note=period.note,
    )
