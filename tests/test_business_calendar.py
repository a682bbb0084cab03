"""Windows of the status-change types (F-21 table, F-33) and the working-day arithmetic behind them, on the
national holiday calendar (Q-16)."""

from __future__ import annotations

from datetime import date

import pytest

from models.business_calendar import WorkingCalendar, check_window, death_deadline_warning
from models.errors import DomainError
from models.holidays import working_calendar
from models.lifecycle import WindowKind

OPEN_MONTHS = {
    WindowKind.WHOLE_YEAR: set(range(1, 13)),
    WindowKind.FIRST_MONTH: {3, 9},
    WindowKind.FIRST_AND_LAST_MONTH: {3, 6, 9, 12},
    WindowKind.DEATH_DEADLINE: set(range(1, 13)),  # a deadline per case, not a calendar window
}


@pytest.mark.parametrize("kind", list(WindowKind))
@pytest.mark.parametrize("month", range(1, 13))
def test_each_window_opens_exactly_in_its_months(kind, month):
    day = date(2027, month, 15)
    if month in OPEN_MONTHS[kind]:
        check_window(kind, "测试", day)
    else:
        with pytest.raises(DomainError, match=f"「测试」只能在每学期.*今天（2027-{month:02d}-15）不在办理时间内"):
            check_window(kind, "测试", day)


WEEKDAYS = WorkingCalendar()  # no exceptions: Monday–Friday
# 国庆 2026 as published by the State Council: 1–7 Oct off, Sunday 20 Sep and Saturday 10 Oct worked.
NATIONAL_DAY = WorkingCalendar(
    days_off=frozenset(date(2026, 10, d) for d in range(1, 8)),
    make_up_days=frozenset({date(2026, 9, 20), date(2026, 10, 10)}),
)


def test_working_days_skip_weekends():
    friday = date(2026, 9, 4)
    assert WEEKDAYS.add_working_days(friday, 1) == date(2026, 9, 7)
    assert WEEKDAYS.add_working_days(date(2026, 9, 1), 10) == date(2026, 9, 15)
    assert WEEKDAYS.school_days_between(date(2026, 9, 4), date(2026, 9, 7)) == 2
    assert WEEKDAYS.nth_school_day(date(2026, 9, 5), 1) == date(2026, 9, 7)  # a Saturday absence counts from Monday
    assert WEEKDAYS.nth_school_day(date(2026, 9, 1), 7) == date(2026, 9, 9)


def test_working_days_skip_the_holiday_and_count_the_saturday_worked():
    wednesday = date(2026, 9, 30)
    assert WEEKDAYS.add_working_days(wednesday, 1) == date(2026, 10, 1)
    assert NATIONAL_DAY.add_working_days(wednesday, 1) == date(2026, 10, 8)  # the day after 国庆
    assert NATIONAL_DAY.add_working_days(wednesday, 3) == date(2026, 10, 10)  # Saturday, 调休上班
    assert NATIONAL_DAY.add_working_days(wednesday, 4) == date(2026, 10, 12)
    assert NATIONAL_DAY.add_working_days(date(2026, 9, 18), 1) == date(2026, 9, 20)  # Sunday, 调休上班
    assert [NATIONAL_DAY.is_working_day(date(2026, 10, d)) for d in range(1, 12)] == [False] * 7 + [True] * 3 + [False]


def test_school_days_of_an_absence_leave_out_the_holiday():
    """F-28 counts school days: an absence from 30 Sep to 12 Oct is 5 of them (30 Sep, 8, 9, 10 and 12 Oct)."""
    assert NATIONAL_DAY.school_days_between(date(2026, 9, 30), date(2026, 10, 12)) == 5
    assert WEEKDAYS.school_days_between(date(2026, 9, 30), date(2026, 10, 12)) == 9
    assert NATIONAL_DAY.school_days_between(date(2026, 10, 1), date(2026, 10, 7)) == 0
    assert NATIONAL_DAY.nth_school_day(date(2026, 10, 3), 1) == date(2026, 10, 8)  # counting starts after 国庆
    assert NATIONAL_DAY.nth_school_day(date(2026, 9, 30), 7) == date(2026, 10, 14)


def test_a_due_moment_keeps_its_time_of_day_and_counts_on_the_china_calendar():
    from datetime import UTC, datetime

    started = datetime(2026, 9, 29, 17, 30, tzinfo=UTC)  # 01:30 on Wednesday 30 Sep in Beijing
    assert NATIONAL_DAY.working_days_later(started, 2) == datetime(2026, 10, 8, 17, 30, tzinfo=UTC)


def test_death_deadline_is_ten_working_days():
    assert death_deadline_warning(date(2026, 9, 1), date(2026, 9, 15), WEEKDAYS) == ""
    assert death_deadline_warning(date(2026, 9, 1), date(2026, 9, 16), WEEKDAYS).startswith("已超过死亡后10个工作日")
    assert death_deadline_warning(date(2026, 9, 28), date(2026, 10, 16), NATIONAL_DAY) == ""
    assert "应于2026-10-16前办理" in death_deadline_warning(date(2026, 9, 28), date(2026, 10, 17), NATIONAL_DAY)


def test_the_calendar_is_read_from_the_national_table(session):
    """The demo world carries the State Council's 2026 calendar; the loaded object answers like the table."""
    calendar = working_calendar(session)
    assert {date(2026, 10, d) for d in range(1, 8)} <= calendar.days_off
    assert {date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9)} <= calendar.make_up_days
    assert {date(2026, 9, 20), date(2026, 10, 10)} <= calendar.make_up_days
    assert calendar.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert calendar.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)  # Saturday before 春节, worked
    assert calendar.add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)  # 春节 15–23 Feb


def test_windows_follow_beijing_time():
    from datetime import UTC, datetime

    from models.business_calendar import local_date

    assert local_date(datetime(2026, 8, 31, 16, 30, tzinfo=UTC)) == date(2026, 9, 1)  # 00:30 on 1 Sep in Beijing
