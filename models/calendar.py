"""Academic years and terms (F-03): exactly one current term per organisation that sets them.

A county (or the province) creates the term for its area; each school creates or confirms the same term as its
own row, so "the school's current term" is always a row of the school.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, select, text
from sqlalchemy.orm import Mapped, Session, contains_eager, joinedload, mapped_column, relationship

from models.base import Base
from models.org import OrgUnit

AUTUMN, SPRING = "秋季学期", "春季学期"
SEASONS = (AUTUMN, SPRING)  # autumn is the first term of an academic year (§3.5)


@dataclass(frozen=True)
class TermDates:
    start_date: date
    end_date: date


class AcademicYear(Base):
    __tablename__ = "academic_year"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(20))  # "2025-2026"
    start_year: Mapped[int]

    terms: Mapped[list[Term]] = relationship(back_populates="academic_year")


class Term(Base):
    __tablename__ = "term"
    __table_args__ = (
        UniqueConstraint("academic_year_id", "season"),
        # One current term per organisation, held by the database rather than by code.
        Index(
            "uq_term_current_per_org",
            "org_id",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    academic_year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    season: Mapped[str] = mapped_column(String(10))  # 秋季学期 / 春季学期
    start_date: Mapped[date]
    end_date: Mapped[date]
    is_current: Mapped[bool] = mapped_column(default=False)

    academic_year: Mapped[AcademicYear] = relationship(back_populates="terms")
    org: Mapped[OrgUnit] = relationship()

    @property
    def name(self) -> str:
        return f"{self.academic_year.name}学年{self.season}"


def terms_of(session: Session, *org_ids: int) -> list[Term]:
    """The terms of the organisations (their year and organisation loaded with them), newest academic year first,
    autumn before spring."""
    return list(
        session.scalars(
            select(Term)
            .join(Term.academic_year)
            .options(contains_eager(Term.academic_year), joinedload(Term.org))
            .where(Term.org_id.in_(org_ids))
            .order_by(AcademicYear.start_year.desc(), Term.season != AUTUMN, Term.id)
        )
    )


def current_term(session: Session, org_id: int) -> Term | None:
    return session.scalars(select(Term).where(Term.org_id == org_id, Term.is_current)).one_or_none()
