"""The national holiday calendar (节假日, F-33, Q-16): the exceptions to "Monday–Friday are working days".

Each year the State Council publishes the public holidays (法定节假日, e.g. 国庆节 1–7 October) and the weekend
days worked instead (调休上班). One table holds them for the whole country: the calendar is national, so a day
has at most one row. Deadlines read it once per operation through ``working_calendar`` and count on the
immutable ``WorkingCalendar`` it returns, never with a query per day.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base
from models.business_calendar import WorkingCalendar


class Holiday(Base):
    """One exception: a day off (放假, usually a weekday) or a weekend day worked (调休上班)."""

    __tablename__ = "holiday"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    is_working_day: Mapped[bool]
    name: Mapped[str] = mapped_column(String(30))  # "国庆节", "国庆调休上班"

    @property
    def kind_label(self) -> str:
        return "调休上班" if self.is_working_day else "放假"


def working_calendar(session: Session) -> WorkingCalendar:
    """The whole table in one query (a few dozen rows a year), as the pure object deadlines are counted on."""
    rows = session.execute(select(Holiday.day, Holiday.is_working_day)).all()
    return WorkingCalendar(
        days_off=frozenset(day for day, working in rows if not working),
        make_up_days=frozenset(day for day, working in rows if working),
    )


def of_year(session: Session, year: int) -> list[Holiday]:
    return list(
        session.scalars(
            select(Holiday).where(Holiday.day.between(date(year, 1, 1), date(year, 12, 31))).order_by(Holiday.day)
        )
    )


def on_days(session: Session, days: list[date]) -> list[Holiday]:
    return list(session.scalars(select(Holiday).where(Holiday.day.in_(days)).order_by(Holiday.day)))
