"""Accounts and roles (F-05): an administrator creates, edits, disables and reopens the accounts of its
organisation and the units below it (models/jurisdiction.py decides where), resets their passwords; every user
changes its own password, at first login necessarily; the password policy; 角色配置 (which roles the
administrators of each level of a province may grant); dormant accounts sealed by the periodic tick (R27).

Every change is written to the audit trail; no password or hash ever is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models import audit, jurisdiction
from models.errors import DomainError
from models.org import OrgLevel, OrgUnit
from models.user import ROLE_LABELS, Role, RoleGrant, User, UserRole, separation_problem

# The roles that fit an organisation of each level: an officer's role names its level, a school has its own; the
# three administrators (三员) exist at every level of the education authorities.
_THREE = (Role.ADMINISTRATOR, Role.SECURITY_ADMINISTRATOR, Role.AUDIT_ADMINISTRATOR)
ROLES_AT_LEVEL: dict[OrgLevel, tuple[Role, ...]] = {
    OrgLevel.NATIONAL: (*_THREE, Role.NATIONAL_OFFICER, Role.POLICY_OFFICER),
    OrgLevel.PROVINCE: (*_THREE, Role.PROVINCE_OFFICER, Role.POLICY_OFFICER),
    OrgLevel.CITY: (*_THREE, Role.CITY_OFFICER),
    OrgLevel.COUNTY: (*_THREE, Role.COUNTY_OFFICER),
    OrgLevel.SCHOOL: (Role.SCHOOL_REGISTRAR, Role.SCHOOL_REVIEWER, Role.HOMEROOM_TEACHER),
}
LEVEL_ORDER = (OrgLevel.NATIONAL, OrgLevel.PROVINCE, OrgLevel.CITY, OrgLevel.COUNTY, OrgLevel.SCHOOL)
# 角色配置 covers the levels whose administrators a province has.
CONFIGURABLE_LEVELS = (OrgLevel.PROVINCE, OrgLevel.CITY, OrgLevel.COUNTY)
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{2,59}")
SYMBOLS = re.compile(r"[^A-Za-z0-9]")


def roles_below(level: OrgLevel) -> tuple[Role, ...]:
    """Every role that fits the level or a level below it: what its administrators could ever grant."""
    found: list[Role] = []
    for lower in LEVEL_ORDER[LEVEL_ORDER.index(level) :]:
        found += [role for role in ROLES_AT_LEVEL[lower] if role not in found]
    return tuple(found)


@dataclass(frozen=True)
class PasswordPolicy:
    """Length and character classes (upper case, lower case, digits, symbols) a password must have."""

    min_length: int = 8
    min_classes: int = 3

    def describe(self) -> str:
        return f"密码至少{self.min_length}位，且至少包含大写字母、小写字母、数字、符号中的{self.min_classes}类"

    def problem(self, password: str, username: str = "") -> str | None:
        """The Chinese reason the password is refused, or None."""
        if len(password) < self.min_length:
            return f"密码太短：{self.describe()}"
        classes = sum(
            bool(pattern.search(password))
            for pattern in (re.compile("[A-Z]"), re.compile("[a-z]"), re.compile("[0-9]"), SYMBOLS)
        )
        if classes < self.min_classes:
            return f"密码太简单：{self.describe()}"
        if username and username.lower() in password.lower():
            return "密码不能包含用户名"
        return None

    def check(self, password: str, username: str = "") -> None:
        if (problem := self.problem(password, username)) is not None:
            raise DomainError(problem)


def hash_password(password: str) -> str:
    return generate_password_hash(password)  # werkzeug's default: scrypt


def _province_id(org: OrgUnit) -> int:
    ids = org.ancestor_ids()
    return ids[1] if len(ids) > 1 else ids[0]


def _snapshot(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "org_id": user.org_id,
        "roles": sorted(role.value for role in user.roles),
        "active": user.active,
        "sealed": user.sealed_at is not None,
    }


def _audit(session: Session, actor: User | None, action: str, user: User, before: dict[str, Any]) -> None:
    audit.record(
        session, actor=actor, action=action, entity="user", entity_id=user.id, before=before, after=_snapshot(user)
    )


# -- 角色配置 -----------------------------------------------------------------------------------------------


def grants(session: Session, province_id: int) -> dict[OrgLevel, frozenset[Role]]:
    """Per configurable level of a province, the roles its administrators may grant (defaults where unset)."""
    rows = session.scalars(select(RoleGrant).where(RoleGrant.province_id == province_id)).all()
    found: dict[OrgLevel, frozenset[Role]] = {}
    for level in CONFIGURABLE_LEVELS:
        chosen = frozenset(row.role for row in rows if row.level == level)
        found[level] = chosen or frozenset(roles_below(level))
    return found


def grantable_roles(session: Session, granter: User) -> frozenset[Role]:
    """The roles ``granter`` may give (at any organisation it administers); none unless an administrator."""
    if not granter.has_role(Role.ADMINISTRATOR):
        return frozenset()
    level = granter.org.level
    if level not in CONFIGURABLE_LEVELS:
        return frozenset(roles_below(level))
    return grants(session, _province_id(granter.org))[level]


def roles_for(session: Session, granter: User, org: OrgUnit) -> list[Role]:
    """The roles ``granter`` may give an account of ``org``, in the order of the role list."""
    allowed = grantable_roles(session, granter) if jurisdiction.administers(granter, org) else frozenset()
    return [role for role in ROLES_AT_LEVEL[org.level] if role in allowed]


def save_grants(session: Session, actor: User, chosen: dict[OrgLevel, Iterable[Role]]) -> None:
    """角色配置 of the actor's province, by its security administrator (roles and permissions are the security
    administrator's part of 三员分立). Each level keeps at least one role, and only roles that fit it or a level
    below."""
    if not (actor.has_role(Role.SECURITY_ADMINISTRATOR) and actor.org.level is OrgLevel.PROVINCE):
        raise DomainError("只有省级安全管理员可以修改角色配置")
    province_id = actor.org_id
    before = {level.value: sorted(r.value for r in roles) for level, roles in grants(session, province_id).items()}
    session.execute(delete(RoleGrant).where(RoleGrant.province_id == province_id))
    after: dict[str, list[str]] = {}
    for level in CONFIGURABLE_LEVELS:
        roles = [role for role in roles_below(level) if role in set(chosen.get(level, ()))]
        if not roles:
            raise DomainError(f"{level.label}管理员至少要能授予一个角色")
        session.add_all(RoleGrant(province_id=province_id, level=level, role=role) for role in roles)
        after[level.value] = sorted(role.value for role in roles)
    audit.record(
        session, actor=actor, action="role_grant.save", entity="org", entity_id=province_id, before=before, after=after
    )
    session.flush()


# -- accounts -------------------------------------------------------------------------------------------------


def _checked_roles(session: Session, actor: User, org: OrgUnit, roles: Iterable[Role]) -> list[Role]:
    wanted = list(dict.fromkeys(roles))
    if not wanted:
        raise DomainError("请至少选择一个角色")
    allowed = roles_for(session, actor, org)
    refused = [role for role in wanted if role not in allowed]
    if refused:
        names = "、".join(ROLE_LABELS[role] for role in refused)
        raise DomainError(f"您不能给{org.name}的账号授予以下角色：{names}")
    if (problem := separation_problem(frozenset(wanted))) is not None:
        raise DomainError(problem)
    return wanted


def create_user(
    session: Session,
    actor: User,
    *,
    username: str,
    full_name: str,
    org: OrgUnit,
    roles: Iterable[Role],
    password: str,
    policy: PasswordPolicy,
) -> User:
    """A new account of ``org`` (administered by ``actor``) that must change its password at first login."""
    username, full_name = username.strip(), full_name.strip()
    if not jurisdiction.administers(actor, org):
        raise DomainError("只能在本单位及下级单位创建账号")
    if not USERNAME.fullmatch(username):
        raise DomainError("用户名为3至60位字母、数字或 _ . -，以字母或数字开头")
    if not full_name:
        raise DomainError("请填写姓名")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise DomainError(f"用户名“{username}”已被使用，请换一个")
    chosen = _checked_roles(session, actor, org, roles)
    policy.check(password, username)
    user = User(
        username=username,
        full_name=full_name[:50],
        password_hash=hash_password(password),
        org_id=org.id,
        org=org,
        must_change_password=True,
        role_rows=[UserRole(role=role) for role in chosen],
    )
    session.add(user)
    session.flush()
    _audit(session, actor, "user.create", user, {})
    return user


def update_user(session: Session, actor: User, user: User, *, full_name: str, roles: Iterable[Role]) -> None:
    """Name and roles. Roles the actor may not grant but the user holds are kept (a county administrator editing a
    name does not strip a role the province gave)."""
    before = _snapshot(user)
    full_name = full_name.strip()
    if not full_name:
        raise DomainError("请填写姓名")
    allowed = set(roles_for(session, actor, user.org))
    wanted = set(roles)
    kept = {role for role in user.roles if role not in allowed}
    chosen = _checked_roles(session, actor, user.org, wanted) if wanted else []
    final = kept | set(chosen)
    if not final:
        raise DomainError("请至少选择一个角色")
    if (problem := separation_problem(frozenset(final))) is not None:
        raise DomainError(problem)
    if user.id == actor.id and Role.ADMINISTRATOR not in final:
        raise DomainError("不能取消自己的系统管理员角色，请由上级管理员办理")
    user.full_name = full_name[:50]
    user.role_rows = [row for row in user.role_rows if row.role in final] + [
        UserRole(role=role) for role in sorted(final - user.roles)
    ]
    session.flush()
    if _snapshot(user) != before:
        _audit(session, actor, "user.update", user, before)


def set_active(session: Session, actor: User, user: User, *, active: bool) -> None:
    """停用 / 启用. Nobody disables its own account."""
    if user.id == actor.id:
        raise DomainError("不能停用自己的账号")
    if user.active == active:
        return
    before = _snapshot(user)
    user.active = active
    session.flush()
    _audit(session, actor, "user.enable" if active else "user.disable", user, before)


def reset_password(session: Session, actor: User, user: User, password: str, policy: PasswordPolicy) -> None:
    """A superior sets a temporary password: the lock goes, and the user changes it at its next login."""
    policy.check(password, user.username)
    before = _snapshot(user)
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.failed_logins, user.locked_until = 0, None
    session.flush()
    _audit(session, actor, "user.reset_password", user, before)


def change_password(session: Session, user: User, current: str, new: str, policy: PasswordPolicy) -> None:
    """The user's own change (at first login, or on demand): the current password, then a new, different one."""
    if not check_password_hash(user.password_hash, current):
        raise DomainError("当前密码不正确")
    if new == current:
        raise DomainError("新密码不能与当前密码相同")
    policy.check(new, user.username)
    before = _snapshot(user)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    session.flush()
    _audit(session, user, "user.change_password", user, before)


def reopen(session: Session, actor: User, user: User, now: datetime) -> None:
    """解封: a sealed account opens again, with a fresh idle period."""
    if user.sealed_at is None:
        return
    before = _snapshot(user)
    user.sealed_at, user.last_active_at = None, now
    session.flush()
    _audit(session, actor, "user.reopen", user, before)


def seal_dormant(session: Session, now: datetime, days: int) -> list[User]:
    """长期未用账号封存: accounts neither created, used nor reopened in the last ``days`` days are sealed."""
    cutoff = now - timedelta(days=days)
    dormant = session.scalars(
        select(User).where(User.active, User.sealed_at.is_(None), User.last_active_at < cutoff).order_by(User.id)
    ).all()
    for user in dormant:
        before = _snapshot(user)
        user.sealed_at = now
        _audit(session, None, "user.seal", user, before)
    session.flush()
    return list(dormant)
