"""北京市中小学学籍公文流转系统 (F-60): the requests and filings a county sends to the municipal commission.

The flow is processes/document_flow.bpmn; this row is what the flow works on (its type, its attachments, where it
stands and the result fed back), and the one-request-per-window rule is a unique key on it, so two officers
submitting at once cannot both take the county's place in a window.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.attachment import check_upload
from models.base import Base, enum_column, utcnow
from models.business_calendar import CHINA, PeriodKind, periods
from models.user import User


class DocCategory(StrEnum):
    RED_HEADER = "red_header"
    FILING = "filing"

    @property
    def label(self) -> str:
        return {"red_header": "红头文件申请", "filing": "平台备案"}[self]


# seed 002, in its order: the eight red-header request types and the five filing types.
RED_HEADER_TYPES = (
    "义务教育阶段补建学籍",
    "义务教育阶段更改学籍状态仍在京就读",
    "扩充学籍总量",
    "新建学校",
    "合并学校",
    "新生注册补注册",
    "学期注册补注册",
    "其他特殊情况",
)
FILING_TYPES = (
    "毕业年级京籍返京",
    "义务教育阶段更改学籍状态办理转出手续",
    "删除全国临时学籍",
    "关键信息变更（国籍变更成中国）",
    "更改校名，增设、撤销校区",
)
TYPES = {DocCategory.RED_HEADER: RED_HEADER_TYPES, DocCategory.FILING: FILING_TYPES}
# Red-header requests only in these months (seed 002); filing type 1 only inside the transfer windows.
RED_HEADER_MONTHS = (1, 3, 7, 9)
WINDOW_ONLY_FILINGS = frozenset({"毕业年级京籍返京"})


class DocStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    REVIEWED = "reviewed"
    REJECTED = "rejected"
    CONSOLIDATED = "consolidated"
    PROCESSING = "processing"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """The stage names of seed 002's flow (区县申报 → 市教委审核 → 市信息中心汇总 → 服务团队处理 → 结果反馈)."""
        return STATUS_LABELS[self]


STATUS_LABELS = {
    DocStatus.DRAFT: "草稿",
    DocStatus.SUBMITTED: "区县申报",
    DocStatus.REVIEWED: "市教委审核通过",
    DocStatus.REJECTED: "市教委审核不通过",
    DocStatus.CONSOLIDATED: "市信息中心汇总",
    DocStatus.PROCESSING: "服务团队处理",
    DocStatus.CLOSED: "结果反馈",
}


class DocumentRequest(Base):
    __tablename__ = "document_request"
    # One red-header request per county and transfer window; a rejected request gives its place back.
    __table_args__ = (UniqueConstraint("county_id", "window_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), unique=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    category: Mapped[DocCategory] = mapped_column(enum_column(DocCategory, 12))
    doc_type: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(100))
    content: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[DocStatus] = mapped_column(enum_column(DocStatus, 12), default=DocStatus.DRAFT)
    window_key: Mapped[str | None] = mapped_column(String(20))
    window_label: Mapped[str] = mapped_column(String(40), default="")
    submitted_at: Mapped[datetime | None]
    result: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    attachments: Mapped[list[DocumentAttachment]] = relationship(order_by="DocumentAttachment.id")

    @property
    def status_label(self) -> str:
        return self.status.label


class DocumentAttachment(Base):
    """An attachment printed from the platform or scanned (PDF, JPG, PNG): a request may carry several. Stored before
    its request exists (``request_id`` empty) and linked to it by the flow's draft step in the same transaction."""

    __tablename__ = "document_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("document_request.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


def store_attachment(session: Session, user: User, filename: str, data: bytes) -> DocumentAttachment:
    row = DocumentAttachment(
        filename=filename[-200:],
        content_type=check_upload(filename, data),
        size=len(data),
        data=data,
        uploaded_by_id=user.id,
    )
    session.add(row)
    session.flush()
    return row


def current_window(session: Session, province_id: int, now: datetime) -> tuple[str, str] | None:
    """(key, label) of the transfer window (F-33) open at ``now``, keyed by the day it opened; None outside them."""
    today = now.astimezone(CHINA).date()
    for period in periods(session, province_id, "transfer"):
        if period.kind != PeriodKind.WINDOW or not period.contains(today.strftime("%m-%d")):
            continue
        start = _last_occurrence(period.start_md, today)
        return f"{start:%Y-%m-%d}", f"{period.text}（{start.year}年）"
    return None


def _last_occurrence(month_day: str, today: date) -> date:
    """The latest date on or before ``today`` with this month-day (a window may have opened last year)."""
    month, day = int(month_day[:2]), int(month_day[3:])
    for year in (today.year, today.year - 1):
        try:
            found = date(year, month, day)
        except ValueError:  # 02-29 outside a leap year: the window opened on 1 March
            found = date(year, 3, 1)
        if found <= today:
            return found
    return today - timedelta(days=366)  # pragma: no cover - one of the two years always qualifies


def requests_of(session: Session, county_ids: list[int]) -> list[DocumentRequest]:
    return list(
        session.scalars(
            select(DocumentRequest).where(DocumentRequest.county_id.in_(county_ids)).order_by(DocumentRequest.id.desc())
        )
    )
