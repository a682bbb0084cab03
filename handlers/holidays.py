"""节假日设置 (F-33, Q-16): a national or province officer enters the State Council's yearly calendar — the days
off of each holiday and the weekend days worked instead (调休上班) — into the one national table.

A range is written whole or not at all: every day is checked before the first row is added.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from models import audit
from models.errors import DomainError, NotFound
from models.holidays import Holiday, on_days
from models.user import User

MAX_RANGE_DAYS = 31  # the longest holiday (春节) is 9 days; a longer range is a typing error
FIRST_YEAR, LAST_YEAR = 2000, 2099
NAME_LENGTH = 30
LISTED = 3  # days named in the refusal when a range meets days already set
WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def cn_day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日（{WEEKDAY_NAMES[day.weekday()]}）"


def add_days(session: Session, actor: User, first: date, last: date, *, working: bool, name: str) -> list[Holiday]:
    """Days ``first`` … ``last`` (both included) become days off, or with ``working`` weekend days worked."""
    name = name.strip()
    if not name:
        raise DomainError("请填写名称，例如“国庆节”或“国庆调休上班”")
    if len(name) > NAME_LENGTH:
        raise DomainError(f"名称不能超过{NAME_LENGTH}个字")
    if last < first:
        raise DomainError("结束日期不能早于开始日期")
    if not (FIRST_YEAR <= first.year and last.year <= LAST_YEAR):
        raise DomainError(f"日期应在{FIRST_YEAR}年至{LAST_YEAR}年之间")
    count = (last - first).days + 1
    if count > MAX_RANGE_DAYS:
        raise DomainError(f"一次最多设置{MAX_RANGE_DAYS}天，{cn_day(first)}至{cn_day(last)}共{count}天，请检查日期")
    days = [first + timedelta(days=n) for n in range(count)]
    if working:
        weekdays = [day for day in days if day.weekday() < 5]
        if weekdays:
            raise DomainError(f"{cn_day(weekdays[0])}本来就是工作日，调休上班只能设在周六或周日")
    taken = on_days(session, days)
    if taken:
        listed = "、".join(cn_day(h.day) for h in taken[:LISTED]) + ("等" if len(taken) > LISTED else "")
        names = "、".join(dict.fromkeys(f"“{h.name}”" for h in taken))
        raise DomainError(f"{listed}已设置为{names}，请先删除再重新设置")
    rows = [Holiday(day=day, is_working_day=working, name=name) for day in days]
    session.add_all(rows)
    session.flush()
    for row in rows:
        audit.record(
            session,
            actor=actor,
            action="设置节假日",
            entity="holiday",
            entity_id=row.id,
            before={},
            after=_snapshot(row),
        )
    return rows


def delete_day(session: Session, actor: User, holiday_id: int) -> Holiday:
    row = session.get(Holiday, holiday_id)
    if row is None:
        raise NotFound()
    audit.record(
        session, actor=actor, action="删除节假日", entity="holiday", entity_id=row.id, before=_snapshot(row), after={}
    )
    session.delete(row)
    session.flush()
    return row


def _snapshot(row: Holiday) -> dict[str, str]:
    return {"日期": row.day.isoformat(), "类型": row.kind_label, "名称": row.name}
