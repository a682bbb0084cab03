"""参数设置 by the province (F-51, F-53): validated, audited, and read by the rules at the moment they run, so that
a saved value changes behaviour without a restart."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.keydata import FIELDS, LEVELS
from models import audit
from models.business_calendar import province_id_of
from models.errors import DomainError
from models.settings import DEFAULT_CONTROLLED, ProvinceControlledField, controlled_fields
from models.system_settings import BY_KEY, SystemSetting, decode, stored
from models.user import User

# The fields a key-data change (F-18) can change, hence the only ones that can be controlled.
CONTROLLABLE = tuple(FIELDS.values())
LEVEL_LABELS = {"county": "区县审核", "city": "市级审核"}


def _province_of(actor: User) -> int:
    ids = actor.org.ancestor_ids()
    if len(ids) < 2:  # noqa: PLR2004 -- the national root has no province
        raise DomainError("只有省级用户可以修改基本系统设置")
    return ids[1]


def save_settings(session: Session, actor: User, entered: Mapping[str, str]) -> list[str]:
    """Every entered value is checked before any is stored (all or nothing); returns the labels changed."""
    province_id = _province_of(actor)
    values = {key: decode(BY_KEY[key], raw) for key, raw in entered.items() if key in BY_KEY and raw.strip()}
    rows = stored(session, province_id)
    changed = []
    for key, value in values.items():
        spec, row = BY_KEY[key], rows.get(key)
        before = decode(spec, row.value) if row is not None else spec.default
        if value == before:
            continue
        if row is None:
            row = SystemSetting(province_id=province_id, key=key, value=str(value))
            session.add(row)
        row.value, row.changed_by_id = str(value), actor.id
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="基本系统设置",
            entity="system_setting",
            entity_id=row.id,
            before={key: before},
            after={key: value},
        )
        changed.append(spec.label)
    return changed


def save_controlled(session: Session, actor: User, levels: Mapping[str, str]) -> None:
    """受控字段设置: ``levels`` maps each controlled field to its approving level; a field left out is no longer
    controlled. At least one field stays controlled (an empty table means the defaults)."""
    unknown = set(levels) - set(CONTROLLABLE)
    if unknown:
        raise DomainError(f"字段不能设为受控字段：{'、'.join(sorted(unknown))}")
    if not levels:
        raise DomainError("至少保留一个受控字段")
    for level in levels.values():
        if level not in LEVELS:
            raise DomainError(f"审批层级「{level}」不是允许的选项")
    province_id = province_id_of(session, actor.org_id)
    before = {field: level for field, (_label, level) in controlled_fields(session, province_id).items()}
    after = dict(levels)
    if before == after:
        return
    own = ProvinceControlledField.province_id == province_id
    rows = {row.field: row for row in session.scalars(select(ProvinceControlledField).where(own))}
    for field in CONTROLLABLE:
        row = rows.get(field)
        if field not in after:
            if row is not None:
                session.delete(row)
            continue
        if row is None:
            row = ProvinceControlledField(province_id=province_id, field=field, label=DEFAULT_CONTROLLED[field][0])
            session.add(row)
        row.approval_level = after[field]
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="受控字段设置",
        entity="province_controlled_field",
        entity_id=province_id,
        before=before,
        after=after,
    )
