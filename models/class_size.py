"""班额配置 (F-52): the most students a class of a stage may hold, and a warning threshold below it.

A setting belongs to an organisation and covers its subtree: the province for its area, a county for its schools,
or one school (an override). A lower level may only tighten: for a school the strictest setting on its way up
(its own included) applies; without any, the Rec. defaults apply. A class's own ``capacity`` (lower than the
limit) overrides the limit for that class.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, enum_column, utcnow
from models.org import Cohort, OrgUnit, SchoolClass, Stage
from models.student import Student, StudentStatus

# F-52 Rec. defaults (common national guidance, editable by the province).
DEFAULT_LIMITS = {Stage.PRIMARY: 45, Stage.JUNIOR: 50, Stage.SENIOR: 50}
DEFAULT_SOURCE = "系统默认"


class ClassSizeLimit(Base):
    __tablename__ = "class_size_limit"
    __table_args__ = (
        UniqueConstraint("org_id", "stage"),
        CheckConstraint("max_students > 0", name="max_students_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    stage: Mapped[Stage] = mapped_column(enum_column(Stage, 10))
    max_students: Mapped[int]
    warn_at: Mapped[int | None]  # 预警人数: a class at or past it is flagged; None = only when full
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)

    org: Mapped[OrgUnit] = relationship()


@dataclass(frozen=True)
class ClassSize:
    limit: int
    warn_at: int | None
    source: str  # the organisation whose setting applies, or 系统默认

    def warns(self, count: int, capacity: int) -> bool:
        return reaches_warning(count, capacity, self.warn_at)


def reaches_warning(count: int, capacity: int, warn_at: int | None) -> bool:
    """预警: the class is full, or reached the warning threshold."""
    return count >= capacity or (warn_at is not None and count >= warn_at)


def rows_above(session: Session, org: OrgUnit, stage: Stage) -> list[ClassSizeLimit]:
    """The settings for a stage on the organisation and its ancestors, nearest first."""
    chain = org.ancestor_ids()
    rows = session.scalars(
        select(ClassSizeLimit).where(ClassSizeLimit.org_id.in_(chain), ClassSizeLimit.stage == stage)
    ).all()
    return sorted(rows, key=lambda row: -chain.index(row.org_id))


def class_size(session: Session, org_id: int, stage: Stage) -> ClassSize:
    """The 班额 that applies to an organisation (usually a school) for a stage: the strictest setting on the way
    up, so that a level tightening its limit later still binds the looser settings made below it before."""
    rows = rows_above(session, session.get_one(OrgUnit, org_id), stage)
    if not rows:
        return ClassSize(DEFAULT_LIMITS[stage], None, DEFAULT_SOURCE)
    strictest = min(rows, key=lambda row: row.max_students)  # min keeps the nearest of equal limits
    return ClassSize(strictest.max_students, strictest.warn_at, strictest.org.name)


def effective_capacity(school_class: SchoolClass, size: ClassSize) -> int:
    """How many in-school students the class may hold: its own capacity, else the configured limit."""
    return school_class.capacity if school_class.capacity is not None else size.limit


def capacity_of(session: Session, school_class: SchoolClass) -> int:
    """``effective_capacity`` of one class, the 班额 read for its school and stage."""
    cohort = session.get_one(Cohort, school_class.cohort_id)
    return effective_capacity(school_class, class_size(session, cohort.school_id, cohort.stage))


def in_school_by_sex(session: Session, class_ids: Collection[int]) -> defaultdict[int, Counter[str]]:
    """In-school students of each class, by sex (``.total()`` of a class: what a capacity is measured against)."""
    counts: defaultdict[int, Counter[str]] = defaultdict(Counter)
    rows = session.execute(
        select(Student.class_id, Student.sex, func.count(Student.id))
        .where(Student.class_id.in_(class_ids), Student.status == StudentStatus.IN_SCHOOL)
        .group_by(Student.class_id, Student.sex)
    )
    for class_id, sex, n in rows:
        if class_id is not None:  # never None (IN the classes); the column is nullable
            counts[class_id][sex] += n
    return counts


def class_count(session: Session, class_id: int) -> int:
    """In-school students of one class."""
    return in_school_by_sex(session, [class_id])[class_id].total()
