"""基本系统设置 (F-53): the scalar settings of a province, as data, each with its seed default.

A province row overrides the default; no row = the seed value. Handlers read the value at the moment they run
(``setting``), so an edit takes effect at once, without a restart or a new diagram. The settings that have their own
table and page (在校生注册开关, 升级时间, 转学时间窗口, 市级审核规则, 照片采集控制, 节假日, 班额) stay there; the page
of this module links to them. Only settings that some rule reads are listed here: a setting that changed nothing
would mislead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, utcnow
from models.errors import DomainError
from models.org import OrgUnit

MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")


@dataclass(frozen=True)
class Setting:
    key: str
    label: str
    kind: str  # int | month_day | bool
    default: Any
    help: str  # shown on the page: plain Chinese, no spec ids
    low: int = 0
    high: int = 0


SETTINGS: tuple[Setting, ...] = (
    Setting("dropout_suspect_days", "疑似辍学：无故缺课上学日数", "int", 3, "缺课满此天数可标记疑似辍学", 1, 30),
    Setting("dropout_days", "辍学：无故缺课上学日数", "int", 7, "缺课满此天数提示确认辍学", 2, 60),
    Setting("death_deadline_days", "死亡异动办理期限（工作日）", "int", 10, "超过只提示、不拒绝", 1, 60),
    Setting("graduation_deadline", "毕业办理截止日", "month_day", "07-30", "逾期提示；北京为07-31"),
    Setting(
        "beijing_rules",
        "地区限制规则包「北京条件」",
        "bool",
        False,
        "启用后，发起转学和招生录取时检查非本市户籍高中生、非示范校转入示范校、学籍总量、外籍学生资格与计划；"
        "不符合的须由主管部门特批并填写理由",
    ),
)
YES, NO = ("是", "1", "true", "on"), ("否", "0", "false", "off")
BY_KEY = {s.key: s for s in SETTINGS}


class SystemSetting(Base):
    __tablename__ = "system_setting"
    __table_args__ = (UniqueConstraint("province_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    key: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(40))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


def _province_of(session: Session, org_id: int) -> int | None:
    ids = session.get_one(OrgUnit, org_id).ancestor_ids()
    return ids[1] if len(ids) > 1 else None


def decode(spec: Setting, raw: str) -> Any:
    """The typed value of a stored or entered text; a clear Chinese refusal when it is not one."""
    raw = raw.strip()
    if spec.kind == "bool":
        if raw.lower() not in YES + NO:
            raise DomainError(f"「{spec.label}」须为“是”或“否”")
        return raw.lower() in YES
    if spec.kind == "int":
        if not raw.lstrip("-").isdigit():
            raise DomainError(f"「{spec.label}」须为整数")
        number = int(raw)
        if not spec.low <= number <= spec.high:
            raise DomainError(f"「{spec.label}」须在{spec.low}到{spec.high}之间")
        return number
    if not MONTH_DAY.match(raw):
        raise DomainError(f"「{spec.label}」须为“月-日”格式，如 07-30")
    try:
        date(2024, int(raw[:2]), int(raw[3:]))  # a leap year: 02-29 is a valid month-day
    except ValueError as err:
        raise DomainError(f"「{spec.label}」不是有效的日期：{raw}") from err
    return raw


def stored(session: Session, province_id: int) -> dict[str, SystemSetting]:
    rows = session.scalars(select(SystemSetting).where(SystemSetting.province_id == province_id))
    return {row.key: row for row in rows if row.key in BY_KEY}


def setting(session: Session, org_id: int | None, key: str) -> Any:
    """The value that applies to an organisation (its province's row, else the seed default), read now."""
    spec = BY_KEY[key]
    province_id = _province_of(session, org_id) if org_id is not None else None
    if province_id is None:
        return spec.default
    raw = session.scalar(
        select(SystemSetting.value).where(SystemSetting.province_id == province_id, SystemSetting.key == key)
    )
    return spec.default if raw is None else decode(spec, raw)


def month_day(value: str) -> tuple[int, int]:
    return int(value[:2]), int(value[3:])
