"""角色配置 · 权限 (F-05): saving a province's role → feature matrix, audited (models/permissions.py)."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from handlers.accounts import ROLES_AT_LEVEL
from models import audit
from models.errors import DomainError
from models.org import OrgLevel
from models.permissions import FEATURES, RolePermissionOff, switched_off
from models.user import Role, User

LEVELS = (OrgLevel.PROVINCE, OrgLevel.CITY, OrgLevel.COUNTY, OrgLevel.SCHOOL)


def configurable_roles(level: OrgLevel) -> tuple[Role, ...]:
    """The roles of a level whose features a province may switch off (administrators keep theirs)."""
    return tuple(role for role in ROLES_AT_LEVEL[level] if role is not Role.ADMINISTRATOR)


def save(session: Session, actor: User, off: set[tuple[OrgLevel, Role, str]]) -> None:
    ids = actor.org.ancestor_ids()
    if actor.org.level is not OrgLevel.PROVINCE:
        raise DomainError("只有省级系统管理员可以配置角色权限")
    for level, role, feature in off:
        if level not in LEVELS or role not in configurable_roles(level) or feature not in FEATURES:
            raise DomainError("权限配置中有不能配置的项")
    province_id = ids[-1]
    before = switched_off(session, province_id)
    if before == off:
        return
    session.execute(delete(RolePermissionOff).where(RolePermissionOff.province_id == province_id))
    session.add_all(
        RolePermissionOff(province_id=province_id, level=level, role=role, feature=feature)
        for level, role, feature in sorted(off)
    )
    session.flush()

    def listed(cells: set[tuple[OrgLevel, Role, str]]) -> list[str]:
        return sorted(f"{level.label}·{role.label}·{FEATURES[feature]}" for level, role, feature in cells)

    audit.record(
        session,
        actor=actor,
        action="角色权限配置",
        entity="org",
        entity_id=province_id,
        before={"switched_off": listed(before)},
        after={"switched_off": listed(off)},
    )
