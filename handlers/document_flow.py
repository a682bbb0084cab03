"""公文流转 (F-60): the steps of processes/document_flow.bpmn.

A county drafts a red-header request (红头文件申请) or a filing (平台备案) and submits it (区县申报); the municipal
commission reviews requests (市教委审核; filings skip it), the information centre consolidates (市信息中心汇总),
the service team processes (服务团队处理) and feeds the result back (结果反馈). Red-header requests may be submitted
only in January, March, July and September, and a county may submit only one per transfer window (Q-41: the
province's configured windows; in a red-header month outside every window the month itself is the window).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from handlers.registry import HandlerContext, handler
from models import audit
from models.business_calendar import CHINA, initiation_refusal, province_id_of
from models.document_flow import (
    RED_HEADER_MONTHS,
    TYPES,
    WINDOW_ONLY_FILINGS,
    DocCategory,
    DocStatus,
    DocumentAttachment,
    DocumentRequest,
    current_window,
)
from models.errors import DomainError
from models.org import OrgLevel, OrgUnit

MONTHS_TEXT = "、".join(f"{m}月" for m in RED_HEADER_MONTHS)


def window_of(ctx: HandlerContext, county_id: int) -> tuple[str, str]:
    """(key, label) of the window a red-header request submitted now belongs to."""
    window = current_window(ctx.session, province_id_of(ctx.session, county_id), ctx.now)
    if window is not None:
        return window
    today = ctx.now.astimezone(CHINA)
    return f"{today:%Y-%m}", f"{today.year}年{today.month}月"


def timing_refusal(ctx: HandlerContext, county_id: int, category: DocCategory, doc_type: str) -> str | None:
    """Why the county cannot submit this type now (months, windows, its one request per window), or None."""
    today = ctx.now.astimezone(CHINA)
    if category == DocCategory.FILING:
        if doc_type in WINDOW_ONLY_FILINGS:
            refusal = initiation_refusal(ctx.session, province_id_of(ctx.session, county_id), "transfer", ctx.now)
            if refusal:
                return f"「{doc_type}」只能在转学时间窗口内备案：{refusal}"
        return None
    if today.month not in RED_HEADER_MONTHS:
        return f"红头文件申请只能在{MONTHS_TEXT}提交，本月（{today.month}月）不能提交"
    key, label = window_of(ctx, county_id)
    taken = ctx.session.scalars(
        select(DocumentRequest).where(
            DocumentRequest.county_id == county_id,
            DocumentRequest.window_key == key,
            DocumentRequest.instance_id != ctx.case.id,
        )
    ).first()
    if taken is not None:
        return (
            f"本区县在本时间窗口（{label}）已提交红头文件申请「{taken.title}」（{taken.status_label}），"
            "每个时间窗口只能提交一份；可在一份申请中附多个附件"
        )
    return None


def _request(ctx: HandlerContext, request_id: int) -> DocumentRequest:
    row = ctx.session.get_one(DocumentRequest, request_id)
    if row.instance_id != ctx.case.id:
        raise DomainError("该公文不属于本业务")
    return row


def _set_status(ctx: HandlerContext, row: DocumentRequest, status: DocStatus, **after: Any) -> None:
    before = row.status.label
    row.status = status
    audit.record(
        ctx.session,
        actor=ctx.actor,
        action="公文流转",
        entity="document_request",
        entity_id=row.id,
        before={"状态": before},
        after={"状态": status.label, **after},
        instance_id=ctx.case.id,
    )


@handler("docflow.draft", results={"request_id": "int", "filing": "bool", "attachments": "int"})
def draft(
    ctx: HandlerContext,
    *,
    category: str,
    doc_type: str,
    title: str,
    content: str | None,
    attachment_ids: str | None,
) -> dict[str, Any]:
    """起草: the county's request with its attachments; refused at once when it could not be submitted now."""
    county = ctx.session.get_one(OrgUnit, ctx.case.org_id)
    if county.level != OrgLevel.COUNTY:
        raise DomainError("公文流转由区县申报")
    kind = DocCategory(category)
    if doc_type not in TYPES[kind]:
        raise DomainError(f"「{doc_type}」不是{kind.label}的事项类型")
    refusal = timing_refusal(ctx, county.id, kind, doc_type)
    if refusal:
        raise DomainError(refusal)
    row = DocumentRequest(
        instance_id=ctx.case.id,
        county_id=county.id,
        category=kind,
        doc_type=doc_type,
        title=title,
        content=content or "",
        created_by_id=ctx.case.initiator_id,
    )
    ctx.session.add(row)
    ctx.session.flush()
    ids = [int(part) for part in (attachment_ids or "").split(",") if part.strip().isdigit()]
    uploads = ctx.session.scalars(
        select(DocumentAttachment).where(
            DocumentAttachment.id.in_(ids),
            DocumentAttachment.request_id.is_(None),
            DocumentAttachment.uploaded_by_id == ctx.case.initiator_id,
        )
    ).all()
    for upload in uploads:
        upload.request_id = row.id
    return {"request_id": row.id, "filing": kind == DocCategory.FILING, "attachments": len(uploads)}


@handler("docflow.submit", results={"filing": "bool"})
def submit(ctx: HandlerContext, *, request_id: int) -> dict[str, Any]:
    """区县申报: the months and the one-request-per-window rule are decided now, when the place is taken."""
    row = _request(ctx, request_id)
    refusal = timing_refusal(ctx, row.county_id, row.category, row.doc_type)
    if refusal:
        raise DomainError(refusal)
    row.submitted_at = ctx.now
    if row.category == DocCategory.RED_HEADER:
        _take_place(ctx, row, *window_of(ctx, row.county_id))
    _set_status(ctx, row, DocStatus.SUBMITTED, 时间窗口=row.window_label)
    return {"filing": row.category == DocCategory.FILING}


def _take_place(ctx: HandlerContext, row: DocumentRequest, key: str, label: str) -> None:
    """The county's place in the window; the unique (county, window) key refuses a second one even when two
    submissions pass the check at the same moment."""
    ctx.session.flush()
    try:
        with ctx.session.begin_nested():
            row.window_key, row.window_label = key, label
            ctx.session.flush()
    except IntegrityError as err:
        raise DomainError(f"本区县在本时间窗口（{label}）已提交红头文件申请，每个时间窗口只能提交一份") from err


@handler("docflow.review", results={"passed": "bool"})
def review(ctx: HandlerContext, *, request_id: int, review: dict[str, Any]) -> dict[str, Any]:
    """市教委审核: 不通过 ends the request and gives the county's place in the window back."""
    row = _request(ctx, request_id)
    passed = review.get("decision") == "通过"
    if passed:
        _set_status(ctx, row, DocStatus.REVIEWED)
    else:
        row.window_key, row.result = None, str(review.get("comment") or "")
        _set_status(ctx, row, DocStatus.REJECTED, 意见=row.result)
    return {"passed": passed}


@handler("docflow.advance", results={"status": "str"})
def advance(ctx: HandlerContext, *, request_id: int, status: str) -> dict[str, Any]:
    """市信息中心汇总 / 服务团队处理: the request moves on."""
    _set_status(ctx, _request(ctx, request_id), DocStatus(status))
    return {"status": status}


@handler("docflow.close", results={"closed_on": "date"})
def close(ctx: HandlerContext, *, request_id: int, result: str) -> dict[str, Any]:
    """结果反馈: the service team's result, which the county reads on the request."""
    row = _request(ctx, request_id)
    row.result = result
    _set_status(ctx, row, DocStatus.CLOSED, 结果=result)
    return {"closed_on": _date(ctx.now)}


def _date(moment: datetime) -> str:
    return moment.astimezone(CHINA).date().isoformat()
