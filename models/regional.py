"""The data of the regional rule pack "北京条件" (F-65): what a school may receive, the 学籍总量 of its grades, and
the authority's override of a refused transfer or admission.

The rules themselves live in ``handlers/regional_rules.py``; here are only the tables and the counts they read.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, utcnow
from models.crypto import Encrypted, id_index
from models.org import SchoolClass
from models.student import Student, StudentStatus, derived_default


class SchoolAdmissionProfile(Base):
    """示范校 and the qualification and plan to receive foreign students (seed 002); no row = an ordinary school
    without that qualification."""

    __tablename__ = "school_admission_profile"

    school_id: Mapped[int] = mapped_column(ForeignKey("school.org_id"), primary_key=True)
    is_model_school: Mapped[bool] = mapped_column(default=False)
    foreign_qualified: Mapped[bool] = mapped_column(default=False)
    foreign_plan: Mapped[int | None]  # places for foreign students; None = no plan
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class GradeQuota(Base):
    """学籍总量 of one grade (cohort) of a school: how many in-school records it may hold."""

    __tablename__ = "grade_quota"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), primary_key=True)
    quota: Mapped[int]
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class RegionalOverride(Base):
    """An authority's 特批 of one rule for one student and receiving school, with its reason. It is used by the first
    case or admission that needs it and stays bound to that case (a check that runs again finds it again)."""

    __tablename__ = "regional_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(20))
    student_id: Mapped[int | None] = mapped_column(ForeignKey("student.id"), index=True)
    # Cross-province: no local row. Sealed like the student's (a G number holds the ID number), found by its index.
    national_student_id: Mapped[str | None] = mapped_column(Encrypted())
    national_id_index: Mapped[str | None] = mapped_column(
        String(32),
        index=True,
        default=derived_default("national_student_id", id_index),
        info={"blind_index_of": "national_student_id"},
    )
    to_school_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    reason: Mapped[str] = mapped_column(String(500))
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    used_at: Mapped[datetime | None]


def quota_of(session: Session, cohort_id: int) -> int | None:
    return session.scalar(select(GradeQuota.quota).where(GradeQuota.cohort_id == cohort_id))


def records_in_grade(session: Session, cohort_id: int) -> int:
    """The records that occupy the grade's 学籍总量: in-school students only, so that 休学 frees a place and 复学
    takes back the student's own (seed 002: 休学/复学 do not consume the quota)."""
    count = session.scalar(
        select(func.count(Student.id))
        .join(SchoolClass, SchoolClass.id == Student.class_id)
        .where(SchoolClass.cohort_id == cohort_id, Student.status == StudentStatus.IN_SCHOOL)
    )
    return int(count or 0)


def foreign_in_school(session: Session, school_id: int) -> int:
    count = session.scalar(
        select(func.count(Student.id)).where(
            Student.school_id == school_id,
            Student.status == StudentStatus.IN_SCHOOL,
            Student.nationality != "中国",
        )
    )
    return int(count or 0)
