"""分阶段转入 (F-10): records that reach the registration pipeline in two steps.

学前调档: grade-1 pull lists are uploaded class by class and wait under 待确认学前学籍 until the school confirms them;
the export of the pulled students (调档学生导出) is open only when nothing waits. 数据核对转入: records pre-loaded from
another programme (营养改善计划) are corrected by the homeroom teacher and, once they pass the registration checks
(已通过校验), moved into the pipeline (转入学籍系统) where they become 未查重 registrations.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, enum_column, utcnow


class StagedSource(StrEnum):
    PRESCHOOL = "preschool"
    DATA_SOURCE = "data_source"

    @property
    def label(self) -> str:
        return {"preschool": "学前调档", "data_source": "数据核对转入"}[self]


class StagedRecord(Base):
    __tablename__ = "staged_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.org_id"), index=True)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("school_class.id"))
    source: Mapped[StagedSource] = mapped_column(enum_column(StagedSource, 12))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the registration form's fields
    confirmed: Mapped[bool] = mapped_column(default=False)  # 学前调档: out of 待确认学前学籍
    student_id: Mapped[int | None] = mapped_column(ForeignKey("student.id"))  # once 转入学籍系统
    created_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    moved_at: Mapped[datetime | None]


def waiting_confirmation(session: Session, school_id: int) -> int:
    """How many pulled records of the school still wait under 待确认学前学籍."""
    count = session.scalar(
        select(func.count(StagedRecord.id)).where(
            StagedRecord.school_id == school_id,
            StagedRecord.source == StagedSource.PRESCHOOL,
            StagedRecord.confirmed.is_(False),
        )
    )
    return int(count or 0)
