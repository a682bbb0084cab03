"""Windows of the status-change types (F-21 table, F-33) and the working-day arithmetic behind them."""

from __future__ import annotations

from datetime import date

import pytest

from models.business_calendar import (
    add_working_days,
    check_window,
    death_deadline_warning,
    nth_school_day,
    school_days_between,
)
from models.errors import DomainError
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


def test_working_days_skip_weekends():
    friday = date(2026, 9, 4)
    assert add_working_days(friday, 1) == date(2026, 9, 7)
    assert add_working_days(date(2026, 9, 1), 10) == date(2026, 9, 15)
    assert school_days_between(date(2026, 9, 4), date(2026, 9, 7)) == 2
    assert nth_school_day(date(2026, 9, 5), 1) == date(2026, 9, 7)  # a Saturday absence starts counting on Monday
    assert nth_school_day(date(2026, 9, 1), 7) == date(2026, 9, 9)


def test_death_deadline_is_ten_working_days():
    assert death_deadline_warning(date(2026, 9, 1), date(2026, 9, 15)) == ""
    assert death_deadline_warning(date(2026, 9, 1), date(2026, 9, 16)).startswith("已超过死亡后10个工作日")


def test_windows_follow_beijing_time():
    from datetime import UTC, datetime

    from models.business_calendar import local_date

    assert local_date(datetime(2026, 8, 31, 16, 30, tzinfo=UTC)) == date(2026, 9, 1)  # 00:30 on 1 Sep in Beijing
