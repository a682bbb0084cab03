"""Users: one organisation, one or more roles (F-05). Passwords are stored as werkzeug hashes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_column, utcnow
from models.org import OrgLevel, OrgUnit


class Role(StrEnum):
    SCHOOL_REGISTRAR = "school_registrar"
    SCHOOL_REVIEWER = "school_reviewer"
    HOMEROOM_TEACHER = "homeroom_teacher"
    COUNTY_OFFICER = "county_officer"
    CITY_OFFICER = "city_officer"
    PROVINCE_OFFICER = "province_officer"
    NATIONAL_OFFICER = "national_officer"
    POLICY_OFFICER = "policy_officer"
    ADMINISTRATOR = "administrator"
    SECURITY_ADMINISTRATOR = "security_administrator"
    AUDIT_ADMINISTRATOR = "audit_administrator"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.SCHOOL_REGISTRAR: "学籍管理员",
    Role.SCHOOL_REVIEWER: "学校审核人员",
    Role.HOMEROOM_TEACHER: "班主任",
    Role.COUNTY_OFFICER: "区县学籍主管",
    Role.CITY_OFFICER: "市级学籍主管",
    Role.PROVINCE_OFFICER: "省级学籍主管",
    Role.NATIONAL_OFFICER: "国家级学籍主管",
    Role.POLICY_OFFICER: "流程管理员",
    Role.ADMINISTRATOR: "系统管理员",
    Role.SECURITY_ADMINISTRATOR: "安全管理员",
    Role.AUDIT_ADMINISTRATOR: "安全审计员",
}

# 三员分立 (GB/T 22239-2019 8.1.4.2 c, issue 22 item 4): the system administrator keeps accounts and parameters, the
# security administrator roles, permissions and sign-in policy, the audit administrator reads and exports the logs
# and changes nothing. An account with one of them holds no other role at all, so that no account is all-powerful
# and nobody audits their own administration.
ADMINISTRATOR_ROLES = frozenset({Role.ADMINISTRATOR, Role.SECURITY_ADMINISTRATOR, Role.AUDIT_ADMINISTRATOR})


def separation_problem(roles: frozenset[Role] | set[Role]) -> str | None:
    """The Chinese reason a set of roles breaks 三员分立, or None."""
    held = roles & ADMINISTRATOR_ROLES
    if held and len(roles) > 1:
        names = "、".join(ROLE_LABELS[role] for role in Role if role in roles)
        return f"三员分立：系统管理员、安全管理员、安全审计员只能单独授予，不能与其他角色同时授予（{names}）"
    return None


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    full_name: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(256))
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    # F-05: a new or reset account changes its password at its next login.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default="0")
    # Creation, each login and each reopening: an account idle past the configured time is sealed (R27).
    last_active_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.current_timestamp())
    sealed_at: Mapped[datetime | None]
    # Two-factor sign-in (issue 22 item 5): a TOTP secret, confirmed by a first code; recovery codes kept as hashes
    # (each used once). The secret itself must be readable to check codes, so it lives beside the password hash.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[datetime | None]
    recovery_codes: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default="[]")
    # The latest successful sign-in, shown to the user at the next one.
    last_login_at: Mapped[datetime | None]
    last_login_address: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # One active session per account (where configured): the token of the newest sign-in; older sessions end.
    session_token: Mapped[str | None] = mapped_column(String(64))

    org: Mapped[OrgUnit] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(r.role) for r in self.role_rows)

    @property
    def effective_roles(self) -> frozenset[Role]:
        """The roles that count when permissions are decided: an account that breaks 三员分立 (rows written behind
        the application's back) keeps none of its administrator roles, it does not get the union of them."""
        held = self.roles
        return held - ADMINISTRATOR_ROLES if separation_problem(held) else held

    def has_role(self, *roles: Role) -> bool:
        return bool(self.effective_roles.intersection(roles))

    # The session-user protocol of flask-login, by duck typing: models never import Flask.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active and self.sealed_at is None

    def get_id(self) -> str:
        return str(self.id)


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    role: Mapped[Role] = mapped_column(enum_column(Role, 30))


class RoleGrant(Base):
    """角色配置 (F-05): the roles that administrators of one level of a province may grant. A level without rows
    grants the defaults (models/accounts.py); a role is granted only at an organisation of a level it fits."""

    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("province_id", "level", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    level: Mapped[OrgLevel] = mapped_column(enum_column(OrgLevel, 10))
    role: Mapped[Role] = mapped_column(enum_column(Role, 30))


class SignInPolicy(Base):
    """Which levels of a province need the second factor besides the administrators (who always do); set by the
    province's security administrator. No row: password alone."""

    __tablename__ = "sign_in_policy"
    __table_args__ = (UniqueConstraint("province_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    level: Mapped[OrgLevel] = mapped_column(enum_column(OrgLevel, 10))
    totp_required: Mapped[bool] = mapped_column(default=False)
