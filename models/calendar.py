"""Academic years and terms (F-03): exactly one current term per organisation that sets them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base


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

    @property
    def name(self) -> str:
        return f"{self.academic_year.name}学年{self.season}"
