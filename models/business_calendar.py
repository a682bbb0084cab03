"""Business calendar (F-33): per province, the periods in which a business may be *initiated*.

A business is allowed when the date lies in one of its windows (no window rows = the F-33/Q-13 default
windows) and in none of its freezes. Windows and freezes restrict initiation only; cases already started
continue (Q-14). Dates are month-day pairs in China time, both ends inclusive; a period may wrap the new year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, enum_column
from models.errors import DomainError, NotFound

CHINA = timezone(timedelta(hours=8))


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
}

BUSINESS_LABELS = {"transfer": "转学"}


def periods(session: Session, province_id: int, business: str) -> tuple[Period, ...]:
    rows = session.scalars(
        select(BusinessPeriod).where(BusinessPeriod.org_id == province_id, BusinessPeriod.business == business)
    ).all()
    if not rows:
        return DEFAULT_PERIODS.get(business, ())
    return tuple(Period(PeriodKind(r.kind), r.start_md, r.end_md, r.note) for r in rows)


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


def add_working_days(start: datetime, days: int) -> datetime:
    """``start`` plus ``days`` working days (Monday to Friday, China time; public holidays are not modelled)."""
    moment = start
    remaining = days
    while remaining > 0:
        moment += timedelta(days=1)
        if moment.astimezone(CHINA).weekday() < 5:
            remaining -= 1
    return moment


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
