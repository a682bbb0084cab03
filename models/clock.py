"""Times are stored in UTC and shown in one zone: every page, flash message and export formats through here.

The zone is the deployment's (``XUEJI_TIMEZONE``, default Asia/Shanghai), set once when the app starts. Business rules
that count days in China (windows, deadlines) use ``models.business_calendar.CHINA``; this module is for display.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"
MINUTES = "%Y-%m-%d %H:%M"
DAY = "%Y-%m-%d"
# A server without the tz database still shows China time for the default (China has had no DST since 1991).
_FALLBACK = {DEFAULT_ZONE: timezone(timedelta(hours=8), "CST")}

_zone: tzinfo = _FALLBACK[DEFAULT_ZONE]


def zone_named(name: str) -> tzinfo:
    """The tz database zone ``name``; ValueError names it when it is unknown (a typo in the setting stops start-up)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        if name in _FALLBACK:
            return _FALLBACK[name]
        raise ValueError(f"未知的时区：{name}") from err


def set_display_zone(name: str) -> None:
    global _zone  # noqa: PLW0603 -- one setting per process, read on every format
    _zone = zone_named(name)


def display_zone() -> tzinfo:
    return _zone


def as_utc(moment: datetime) -> datetime:
    """An aware moment; SQLite hands back naive datetimes, which were stored as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def local(moment: datetime) -> datetime:
    return as_utc(moment).astimezone(_zone)


def local_text(moment: datetime | None, fmt: str = MINUTES) -> str:
    """``moment`` as the user reads it: in the display zone, to the minute ("" for no time)."""
    return "" if moment is None else local(moment).strftime(fmt)


def from_local(value: datetime) -> datetime:
    """A time typed by a user (naive, in the display zone) as UTC for storing."""
    return value.replace(tzinfo=_zone).astimezone(UTC)
