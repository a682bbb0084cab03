"""Organisation tree (national → province → city → county → school), schools, campuses, cohorts, classes.

Jurisdiction is a prefix match on ``OrgUnit.path`` (``/1/4/9/``): a user sees its own unit and everything below.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, enum_column


class OrgLevel(StrEnum):
    NATIONAL = "national"
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    SCHOOL = "school"

    @property
    def label(self) -> str:
        return {"national": "全国", "province": "省级", "city": "市级", "county": "区县", "school": "学校"}[self]


class Stage(StrEnum):
    PRIMARY = "primary"
    JUNIOR = "junior"
    SENIOR = "senior"

    @property
    def label(self) -> str:
        return {"primary": "小学", "junior": "初中", "senior": "高中"}[self]


class OrgUnit(Base):
    __tablename__ = "org_unit"
    # Prefix searches (path LIKE '/1/4/%') need the pattern operator class on PostgreSQL.
    __table_args__ = (Index("ix_org_unit_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),)

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[OrgLevel] = mapped_column(enum_column(OrgLevel, 10))
    name: Mapped[str] = mapped_column(String(100))
    # 6-digit GB/T 2260 code for administrative units (national = 000000); schools carry their county's.
    division_code: Mapped[str] = mapped_column(String(6))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    path: Mapped[str] = mapped_column(String(200))
    is_municipality: Mapped[bool] = mapped_column(default=False)

    parent: Mapped[OrgUnit | None] = relationship(remote_side="OrgUnit.id")
    school: Mapped[School | None] = relationship(back_populates="org", uselist=False, foreign_keys="School.org_id")

    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this unit, read from the materialised path."""
        return [int(part) for part in self.path.strip("/").split("/")]

    def __repr__(self) -> str:
        return f"<OrgUnit {self.level} {self.name}>"


def add_unit(session: Session, level: OrgLevel, name: str, code: str, parent: OrgUnit | None) -> OrgUnit:
    """A new unit under ``parent``, flushed so that its path (which holds its own id) can be set."""
    unit = OrgUnit(level=level, name=name, division_code=code, parent_id=parent.id if parent else None, path="")
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    return unit


class School(Base):
    """The school's own data (§3.2); its place in the tree is ``org``, its record authority usually the county."""

    __tablename__ = "school"
    __table_args__ = (CheckConstraint("length(school_code) = 10", name="school_code_10_digits"),)

    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    school_code: Mapped[str] = mapped_column(String(10), unique=True)
    school_type: Mapped[str] = mapped_column(String(30))
    stages: Mapped[str] = mapped_column(String(40))  # comma-separated Stage values
    record_authority_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    name_en: Mapped[str] = mapped_column(String(200), default="无")
    address: Mapped[str] = mapped_column(String(200), default="")
    # F-50: a merged or closed school keeps its row (history, its students' past) and its code, which is thereby
    # never given to another school (the unique code column, and the import refuses a closed school's code).
    closed_at: Mapped[datetime | None]
    closed_reason: Mapped[str | None] = mapped_column(String(10))  # 合并 | 撤销
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))

    org: Mapped[OrgUnit] = relationship(foreign_keys=[org_id], back_populates="school")
    record_authority: Mapped[OrgUnit] = relationship(foreign_keys=[record_authority_id])
    merged_into: Mapped[OrgUnit | None] = relationship(foreign_keys=[merged_into_id])
    campuses: Mapped[list[Campus]] = relationship(back_populates="school")

    @property
    def name(self) -> str:
        return self.org.name

    @property
    def stage_list(self) -> list[Stage]:
        """The stages the school teaches, in the order stored."""
        return [Stage(value) for value in self.stages.split(",")]


class Campus(Base):
    __tablename__ = "campus"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.org_id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    address_code: Mapped[str] = mapped_column(String(12))
    manager: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(20))

    school: Mapped[School] = relationship(back_populates="campuses")


class Cohort(Base):
    """年级: a stage and an entry year of one school, e.g. 小学2024级 (§3.4)."""

    __tablename__ = "cohort"
    __table_args__ = (UniqueConstraint("school_id", "stage", "cohort_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.org_id"), index=True)
    stage: Mapped[Stage] = mapped_column(enum_column(Stage, 10))
    cohort_year: Mapped[int]

    classes: Mapped[list[SchoolClass]] = relationship(back_populates="cohort", order_by="SchoolClass.class_no")

    @property
    def name(self) -> str:
        return f"{self.stage.label}{self.cohort_year}级"


# 班级类型 (§3.4 Rec. list, national standard R28); 复式班 teaches several grades together (R17).
CLASS_TYPES = ("普通班", "民族班", "复式班", "教学点班", "特长班", "视力残疾班", "听力残疾班", "智力残疾班")


class SchoolClass(Base):
    __tablename__ = "school_class"
    __table_args__ = (UniqueConstraint("cohort_id", "class_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    class_no: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(50))
    class_type: Mapped[str] = mapped_column(String(10), default=CLASS_TYPES[0], server_default=CLASS_TYPES[0])
    # The class's own 班额, below the configured limit (F-52, models/class_size.py); None = the limit itself.
    capacity: Mapped[int | None]
    homeroom_teacher_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", use_alter=True))

    cohort: Mapped[Cohort] = relationship(back_populates="classes")


def class_choices(
    session: Session, school_id: int, *, cohort_year: int | None = None
) -> dict[Stage, list[tuple[int, str]]]:
    """(class id, "小学2026级一年级(1)班") of a school for pickers, by stage, then cohort (newest first) and class
    number; with ``cohort_year`` only the classes of that year's cohorts."""
    query = (
        select(SchoolClass.id, SchoolClass.name, Cohort)
        .join(Cohort, Cohort.id == SchoolClass.cohort_id)
        .where(Cohort.school_id == school_id)
        .order_by(Cohort.stage, Cohort.cohort_year.desc(), SchoolClass.class_no)
    )
    if cohort_year is not None:
        query = query.where(Cohort.cohort_year == cohort_year)
    found: dict[Stage, list[tuple[int, str]]] = {}
    for class_id, name, cohort in session.execute(query):
        found.setdefault(cohort.stage, []).append((class_id, f"{cohort.name}{name}"))
    return found


def other_provinces(session: Session, province_id: int) -> list[tuple[int, str]]:
    """Every province but this one (the sending province of a cross-province transfer, F-31)."""
    rows = session.execute(
        select(OrgUnit.id, OrgUnit.name)
        .where(OrgUnit.level == OrgLevel.PROVINCE, OrgUnit.id != province_id)
        .order_by(OrgUnit.id)
    )
    return [(unit_id, name) for unit_id, name in rows]
