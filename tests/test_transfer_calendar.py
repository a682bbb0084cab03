"""The business calendar (F-33): windows, freezes, defaults, periods across the new year."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select

from models.business_calendar import BusinessPeriod, Period, PeriodKind, initiation_refusal, periods
from models.org import OrgUnit


@pytest.fixture
def guizhou(session) -> OrgUnit:
    return session.scalars(select(OrgUnit).where(OrgUnit.name == "贵州省")).one()


def china(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC).replace(hour=hour) - (
        datetime(2026, 1, 1, 8, tzinfo=UTC) - datetime(2026, 1, 1, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("month", "day", "hour", "open_"),
    [(7, 20, 23, True), (7, 21, 0, False), (8, 14, 23, False), (8, 15, 0, True), (11, 26, 10, True)],
)
def test_the_seed_freeze_is_from_21_july_to_14_august_china_time(session, guizhou, month, day, hour, open_):
    refusal = initiation_refusal(session, guizhou.id, "transfer", china(month, day, hour))
    assert (refusal is None) == open_


def test_without_configuration_the_default_windows_and_freeze_apply(session, guizhou):
    session.execute(delete(BusinessPeriod).where(BusinessPeriod.org_id == guizhou.id))
    kinds = [(p.kind, p.start_md) for p in periods(session, guizhou.id, "transfer")]
    assert kinds[0] == (PeriodKind.FREEZE, "07-21")
    assert [m for k, m in kinds if k == PeriodKind.WINDOW] == ["03-01", "06-01", "09-01", "12-01"]
    assert initiation_refusal(session, guizhou.id, "transfer", china(3, 15)) is None
    assert "不在转学业务时间窗口内" in initiation_refusal(session, guizhou.id, "transfer", china(4, 15))


def test_a_period_may_wrap_the_new_year():
    winter = Period(PeriodKind.FREEZE, "12-20", "01-10", "寒假")
    assert winter.contains("12-31") and winter.contains("01-05") and not winter.contains("02-01")
    assert winter.text == "12月20日至1月10日"
