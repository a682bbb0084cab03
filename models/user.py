"""Users: one organisation, one or more roles (F-05). Passwords are stored as werkzeug hashes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint, func
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
}


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

    org: Mapped[OrgUnit] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(r.role) for r in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

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
