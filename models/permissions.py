"""角色 → 权限 matrix per level of a province (F-05 角色配置, Rec.): the code says which roles may use a page
(``webapp.access.requires``); a province may switch a feature off for a role at one of its levels, e.g. 转学 for
区县学籍主管 while a pilot runs. Only a switch-off is stored: configuration narrows the code's rules and never
widens them, so no setting can open a page to a role the code keeps out.

A feature is a group of pages (a blueprint). Administration pages, login and the inbox are not configurable: a
province must not be able to lock its own administrators out or strand tasks.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, enum_column
from models.org import OrgLevel
from models.user import Role, User

FEATURES: dict[str, str] = {
    "students": "学生查询",
    "registration": "学籍注册",
    "transfers": "转学",
    "lifecycle": "异动与毕业",
    "admissions": "招生入学",
    "school_classes": "年级班级",
    "terms": "学期学年",
    "quality": "数据质量核查",
    "school_changes": "学校合并撤销",
    "class_sizes": "班额配置",
    "transfer_settings": "转学设置",
    "holidays": "节假日设置",
    "parameters": "参数设置",
    "processes": "流程管理",
}


class RolePermissionOff(Base):
    __tablename__ = "role_permission_off"
    __table_args__ = (UniqueConstraint("province_id", "level", "role", "feature"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    level: Mapped[OrgLevel] = mapped_column(enum_column(OrgLevel, 10))
    role: Mapped[Role] = mapped_column(enum_column(Role, 30))
    feature: Mapped[str] = mapped_column(String(30))


def switched_off(session: Session, province_id: int) -> set[tuple[OrgLevel, Role, str]]:
    rows = session.scalars(select(RolePermissionOff).where(RolePermissionOff.province_id == province_id))
    return {(row.level, row.role, row.feature) for row in rows}


def switched_off_for(session: Session, user: User) -> set[tuple[OrgLevel, Role, str]]:
    """The switch-offs of the user's province (none for the national level, which belongs to no province)."""
    ids = user.org.ancestor_ids()
    return switched_off(session, ids[1]) if len(ids) > 1 else set()


def permits(user: User, roles: Iterable[Role], feature: str, off: set[tuple[OrgLevel, Role, str]]) -> bool:
    """Whether one of the user's roles that the page admits still has the feature at the user's level."""
    admitted = user.roles.intersection(roles)
    return any((user.org.level, role, feature) not in off for role in admitted)
