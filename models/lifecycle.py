"""Lifecycle tables: status-change type configuration (F-54), graduate rejections (F-37), promotion runs (F-38)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_column, utcnow
from models.org import OrgUnit
from models.student import Student, StudentStatus
from models.user import User


class ChangeCode(StrEnum):
    """The status-change types of F-21…F-27 (学籍异动类型)."""

    SUSPENSION = "suspension"
    RESUMPTION = "resumption"
    OTHER_DEPARTURE = "other_departure"
    DEATH = "death"
    ABROAD = "abroad"
    GRADE_SKIP = "grade_skip"
    GRADE_REPEAT = "grade_repeat"

    @property
    def label(self) -> str:
        return CHANGE_LABELS[self]


CHANGE_LABELS = {
    ChangeCode.SUSPENSION: "休学",
    ChangeCode.RESUMPTION: "复学",
    ChangeCode.OTHER_DEPARTURE: "其他离校",
    ChangeCode.DEATH: "死亡",
    ChangeCode.ABROAD: "出国",
    ChangeCode.GRADE_SKIP: "跳级",
    ChangeCode.GRADE_REPEAT: "留级",
}


class WindowKind(StrEnum):
    """When a type may be initiated (F-21 table, F-33). Windows restrict initiation only (Q-14)."""

    WHOLE_YEAR = "whole_year"  # 全学年
    FIRST_MONTH = "first_month"  # 每学期第一个月
    FIRST_AND_LAST_MONTH = "first_and_last_month"  # 每学期第一个月和最后一个月
    DEATH_DEADLINE = "death_deadline"  # 死亡后10个工作日内（逾期提示）

    @property
    def label(self) -> str:
        return {
            "whole_year": "全学年",
            "first_month": "每学期第一个月",
            "first_and_last_month": "每学期第一个月和最后一个月",
            "death_deadline": "死亡后10个工作日内",
        }[self]


class StatusChangeType(Base):
    """异动类型配置 (F-54), as data. A case copies what it needs at its start, so an edit here applies to new
    requests only (F-54 acceptance)."""

    __tablename__ = "status_change_type"

    code: Mapped[ChangeCode] = mapped_column(enum_column(ChangeCode, 20), primary_key=True)
    label: Mapped[str] = mapped_column(String(20))
    enabled: Mapped[bool] = mapped_column(default=True)
    target_status: Mapped[StudentStatus] = mapped_column(enum_column(StudentStatus, 20))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)  # 异动原因; empty = free text
    window: Mapped[WindowKind] = mapped_column(enum_column(WindowKind, 30))
    school_review: Mapped[bool] = mapped_column(default=True)  # 学籍异动学校审核 on/off
    required_attachments: Mapped[list[str]] = mapped_column(JSON, default=list)
    # 留级 is refused for these stages by default (F-27: compulsory stage may not repeat).
    refused_stages: Mapped[list[str]] = mapped_column(JSON, default=list)


class GraduateRejection(Base):
    """毕业生驳回 (F-37): one row per rejection, the source of 毕业生驳回查询."""

    __tablename__ = "graduate_rejection"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    former_status: Mapped[StudentStatus] = mapped_column(enum_column(StudentStatus, 20))
    graduated_on: Mapped[date | None]
    reason: Mapped[str] = mapped_column(String(500))
    rejected_at: Mapped[datetime] = mapped_column(default=utcnow)
    rejected_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))

    student: Mapped[Student] = relationship()
    school: Mapped[OrgUnit] = relationship()
    rejected_by: Mapped[User] = relationship()


class PromotionStatus(StrEnum):
    SCHEDULED = "scheduled"
    DONE = "done"
    UNDONE = "undone"

    @property
    def label(self) -> str:
        return {"scheduled": "待升级", "done": "已升级", "undone": "已撤销"}[self]


class PromotionRun(Base):
    """升级 (F-38) of one province from one grade year to the next. With the cohort model (§3.4) the grade of
    every cohort is derived from the province's grade year, so promotion is this one row, not a change per student.
    A partial unique index lets each grade year be promoted once (exactly-once, also under concurrent ticks)."""

    __tablename__ = "promotion_run"
    __table_args__ = (
        Index(
            "uq_promotion_run_done_once",
            "org_id",
            "from_year",
            unique=True,
            sqlite_where=text("status = 'done'"),
            postgresql_where=text("status = 'done'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)  # the province
    from_year: Mapped[int]
    to_year: Mapped[int]
    promote_at: Mapped[datetime]
    status: Mapped[PromotionStatus] = mapped_column(enum_column(PromotionStatus, 12), default=PromotionStatus.SCHEDULED)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    executed_at: Mapped[datetime | None]
    undone_at: Mapped[datetime | None]
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    org: Mapped[OrgUnit] = relationship()
