"""公文流转 (F-60): the county drafts a red-header request or a filing with its attachments; every
later step (区县申报, 市教委审核, 市信息中心汇总, 服务团队处理, 结果反馈) is a task of processes/document_flow.bpmn
in the inbox."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

import engine as wf
from forms import FORMS
from models import jurisdiction
from models.base import utcnow
from models.business_calendar import CHINA
from models.document_flow import RED_HEADER_MONTHS, DocumentAttachment, DocumentRequest, store_attachment
from models.errors import DomainError
from models.user import Role
from webapp.access import document_request_or_404, me, requires
from webapp.db import db

bp = Blueprint("documents", __name__, url_prefix="/documents")
FORM = "document_flow.request"
AUTHORITIES = (Role.COUNTY_OFFICER, Role.CITY_OFFICER, Role.PROVINCE_OFFICER, Role.NATIONAL_OFFICER)


def _month_notice() -> str | None:
    month = utcnow().astimezone(CHINA).month
    if month in RED_HEADER_MONTHS:
        return None
    months = "、".join(f"{m}月" for m in RED_HEADER_MONTHS)
    return (
        f"本月（{month}月）不能提交红头文件申请（只在{months}）；平台备案可随时提交，毕业年级京籍返京须在转学时间窗口内"
    )


@bp.get("/")
@requires(*AUTHORITIES)
def index() -> ResponseReturnValue:
    rows = db().scalars(jurisdiction.document_requests_visible_to(me()).order_by(DocumentRequest.id.desc()).limit(100))
    return render_template("documents/index.html", rows=list(rows), may_draft=me().has_role(Role.COUNTY_OFFICER))


def _new_page(form: object, status: int = 200) -> ResponseReturnValue:
    return render_template("documents/new.html", form=form, notice=_month_notice()), status


@bp.get("/new")
@requires(Role.COUNTY_OFFICER)
def new() -> ResponseReturnValue:
    return _new_page(FORMS[FORM]())


@bp.post("/new")
@requires(Role.COUNTY_OFFICER)
def create() -> ResponseReturnValue:
    """起草: attachments are stored first and linked by the flow's draft step; a refusal rolls both back."""
    form = FORMS[FORM](request.form)
    if not form.validate():
        return _new_page(form, 422)
    try:
        files = [f for f in request.files.getlist("files") if f.filename]
        stored = [store_attachment(db(), me(), f.filename or "附件", f.read()) for f in files]
        data = {**form.to_task_data(), "attachment_ids": ",".join(str(row.id) for row in stored)}
        case = wf.start(
            db(),
            "document_flow",
            student_id=None,
            actor=me(),
            data=data,
            display=form.display_lines(),
            to_school_id=me().org_id,
        )
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
        return _new_page(form, 422)
    flash(f"已保存草稿「{case.title}」，请在待办任务中「区县申报」", "success")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.get("/<int:request_id>")
@requires(*AUTHORITIES)
def detail(request_id: int) -> ResponseReturnValue:
    row = document_request_or_404(request_id)
    return render_template("documents/detail.html", row=row)


@bp.get("/<int:request_id>/attachments/<int:attachment_id>")
@requires(*AUTHORITIES)
def attachment(request_id: int, attachment_id: int) -> ResponseReturnValue:
    row = document_request_or_404(request_id)
    upload = db().get(DocumentAttachment, attachment_id)
    if upload is None or upload.request_id != row.id:
        abort(404)
    return Response(
        upload.data,
        mimetype=upload.content_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(upload.filename)}"},
    )
