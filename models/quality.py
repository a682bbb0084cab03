"""数据质量核查 (F-58): an authority opens a campaign over its area with a deadline; each school sees its in-school
records that fail a check and fixes them through the existing flows (关键数据变更, 照片采集, 问题学籍处理, 调班 ...);
the dashboard compares what is left with what was found when the campaign opened.

The checks are SQL conditions on the record, so a school's list and an organisation's counts are the same query
(counted per school with GROUP BY, not row by row in Python).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, ForeignKey, String, and_, case, func, or_, select, type_coerce
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models import crypto
from models.base import Base, utcnow
from models.errors import NotFound
from models.org import OrgLevel, OrgUnit, School
from models.photo import StudentPhoto
from models.student import Guardian, Student, StudentStatus
from models.user import User


class QualityCampaign(Base):
    __tablename__ = "quality_campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)  # the scope: this unit's subtree
    title: Mapped[str] = mapped_column(String(100))
    deadline: Mapped[date]
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    org: Mapped[OrgUnit] = relationship()
    opened_by: Mapped[User] = relationship()


class QualityBaseline(Base):
    """What each school had to fix when the campaign opened: the denominator of its progress."""

    __tablename__ = "quality_baseline"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("quality_campaign.id"), primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    flagged: Mapped[int]


def _blank(column: Any) -> ColumnElement[bool]:
    return func.coalesce(column, "") == ""


_GUARDIANS = select(func.count(Guardian.id)).where(Guardian.student_id == Student.id).scalar_subquery()
_PHOTO = select(StudentPhoto.student_id).where(StudentPhoto.student_id == Student.id).exists()


def _id_length_invalid() -> ColumnElement[bool]:
    """A 居民身份证 number neither empty nor 18 characters long. The number is stored encrypted, whose length
    follows the plain length exactly (an authenticated cipher adds a fixed nonce and tag), so the check still runs
    in SQL: on the stored lengths an 18-character number can have under the configured key versions."""
    stored = func.length(func.coalesce(type_coerce(Student.id_doc_number, String), ""))
    return and_(Student.id_doc_type == "1", stored.not_in([0, *crypto.stored_lengths(18)]))


def checks() -> tuple[tuple[str, str, ColumnElement[bool]], ...]:
    """(key, label, condition): what §3.9 / F-58 asks a school to fix (缺项: ★ fields the record model keeps
    empty). The checks as SQL conditions, built per query: the encrypted number's valid lengths follow the keys."""
    return (
        (
            "missing",
            LABELS["missing"],
            or_(
                Student.class_id.is_(None),
                _blank(Student.hukou_code),
                _blank(Student.birthplace_code),
                _GUARDIANS < 2,  # noqa: PLR2004 -- §3.8: two family members
            ),
        ),
        ("invalid", LABELS["invalid"], _id_length_invalid()),
        ("no_photo", LABELS["no_photo"], ~_PHOTO),
        ("no_id", LABELS["no_id"], _blank(Student.id_doc_number)),
        ("problem", LABELS["problem"], Student.problem_type.is_not(None)),
    )


LABELS = {
    "missing": "★项缺失（班级、户口所在地、出生地、家庭成员）",
    "invalid": "身份证件号不合规",
    "no_photo": "无照片",
    "no_id": "无身份证件号",
    "problem": "问题学籍",
}


def _any() -> ColumnElement[bool]:
    return or_(*(condition for _, _, condition in checks()))


def _in_scope(scope: OrgUnit) -> ColumnElement[bool]:
    units = select(OrgUnit.id).where(OrgUnit.path.startswith(scope.path, autoescape=True))
    return and_(Student.school_id.in_(units), Student.status == StudentStatus.IN_SCHOOL)


def flagged_by_school(session: Session, scope: OrgUnit) -> dict[int, int]:
    """In-school records failing any check, per school of the scope."""
    rows = session.execute(
        select(Student.school_id, func.count(Student.id)).where(_in_scope(scope), _any()).group_by(Student.school_id)
    )
    return {school_id: n for school_id, n in rows}


def school_list(session: Session, school_id: int) -> list[tuple[Student, list[str]]]:
    """The school's in-school records failing a check, each with the labels of the checks it fails."""
    flags = [case((condition, 1), else_=0).label(key) for key, _, condition in checks()]
    rows = session.execute(
        select(Student, *flags)
        .where(Student.school_id == school_id, Student.status == StudentStatus.IN_SCHOOL, _any())
        .order_by(Student.class_id, Student.name)
    )
    return [(row[0], [LABELS[key] for key in LABELS if getattr(row, key)]) for row in rows]


@dataclass(frozen=True)
class Progress:
    org_id: int
    name: str
    level: OrgLevel
    found: int  # flagged when the campaign opened
    left: int  # flagged now

    @property
    def fixed(self) -> int:
        return max(self.found - self.left, 0)

    @property
    def percent(self) -> int:
        return 100 if self.found == 0 else round(100 * self.fixed / self.found)


def progress(session: Session, campaign: QualityCampaign, under: OrgUnit) -> list[Progress]:
    """Per unit one level below ``under`` (schools below a county): found at the opening and left now."""
    baseline = {
        school_id: n
        for school_id, n in session.execute(
            select(QualityBaseline.school_id, QualityBaseline.flagged).where(QualityBaseline.campaign_id == campaign.id)
        )
    }
    now = flagged_by_school(session, under)
    depth = len(under.ancestor_ids())
    schools = session.execute(
        select(OrgUnit.id, OrgUnit.path)
        .join(School, School.org_id == OrgUnit.id)
        .where(OrgUnit.path.startswith(under.path, autoescape=True))
    )
    found: defaultdict[int, int] = defaultdict(int)
    left: defaultdict[int, int] = defaultdict(int)
    for school_id, path in schools:
        ids = [int(part) for part in path.strip("/").split("/")]
        if len(ids) <= depth:
            continue
        child = ids[depth]
        found[child] += baseline.get(school_id, 0)
        left[child] += now.get(school_id, 0)
    units = session.scalars(select(OrgUnit).where(OrgUnit.id.in_(found.keys())).order_by(OrgUnit.path)).all()
    return [Progress(u.id, u.name, u.level, found[u.id], left[u.id]) for u in units]


def campaigns_for(session: Session, user: User) -> list[QualityCampaign]:
    """Campaigns whose scope covers the user's organisation, or lies within the user's subtree."""
    return list(
        session.scalars(
            select(QualityCampaign)
            .join(QualityCampaign.org)
            .where(
                or_(OrgUnit.id.in_(user.org.ancestor_ids()), OrgUnit.path.startswith(user.org.path, autoescape=True))
            )
            .order_by(QualityCampaign.id.desc())
        )
    )


def campaign_or_404(session: Session, user: User, campaign_id: int) -> QualityCampaign:
    """A campaign over the user's organisation or within its subtree; any other is 404 (as for every object)."""
    campaign = session.get(QualityCampaign, campaign_id)
    if campaign is None or campaign not in campaigns_for(session, user):
        raise NotFound()
    return campaign
