"""数据质量核查 pages (F-58): authorities open campaigns and follow the progress per organisation, drilling down
to schools; a school sees its list of records to fix, each linked to the student's page (where the existing flows
start: 关键数据变更, 照片, 问题学籍, 调班)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from handlers import quality as campaigns
from models import quality
from models.base import utcnow
from models.business_calendar import local_date
from models.errors import DomainError, NotFound
from models.org import OrgLevel, OrgUnit
from models.user import Role
from webapp.access import me, requires
from webapp.db import db

bp = Blueprint("quality", __name__, url_prefix="/quality")
AUTHORITIES = (Role.COUNTY_OFFICER, Role.CITY_OFFICER, Role.PROVINCE_OFFICER)
VIEWERS = (*AUTHORITIES, Role.SCHOOL_REGISTRAR)


def campaign_or_404(campaign_id: int) -> quality.QualityCampaign:
    try:
        return quality.campaign_or_404(db(), me(), campaign_id)
    except NotFound:
        abort(404)


def _scopes() -> list[OrgUnit]:
    """The units a campaign may cover: the user's own, and the cities and counties below it."""
    user_org = me().org
    below = db().scalars(
        select(OrgUnit)
        .where(
            OrgUnit.path.startswith(user_org.path, autoescape=True),
            OrgUnit.id != user_org.id,
            OrgUnit.level.in_([OrgLevel.CITY, OrgLevel.COUNTY]),
        )
        .order_by(OrgUnit.path)
    )
    return [user_org, *below]


def _index(status: int = 200) -> ResponseReturnValue:
    authority = me().org.level is not OrgLevel.SCHOOL
    return render_template(
        "quality/index.html",
        campaigns=quality.campaigns_for(db(), me()),
        scopes=_scopes() if authority else [],
        authority=authority,
        today=local_date(utcnow()),
    ), status


@bp.get("/")
@requires(*VIEWERS)
def index() -> ResponseReturnValue:
    return _index()


@bp.post("/")
@requires(*AUTHORITIES)
def open_campaign() -> ResponseReturnValue:
    scope = next((u for u in _scopes() if u.id == request.form.get("scope_id", type=int)), None)
    try:
        deadline = date.fromisoformat(request.form.get("deadline", ""))
    except ValueError:
        deadline = None
    try:
        if scope is None:
            raise DomainError("请选择核查范围")
        today = local_date(utcnow())
        campaign = campaigns.open_campaign(db(), me(), scope, request.form.get("title", ""), deadline, today=today)
        db().commit()
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
        return _index(422)
    flash(f"已开启数据质量核查「{campaign.title}」", "success")
    return redirect(url_for("quality.detail", campaign_id=campaign.id))


@bp.get("/<int:campaign_id>")
@requires(*VIEWERS)
def detail(campaign_id: int) -> ResponseReturnValue:
    campaign = campaign_or_404(campaign_id)
    if me().org.level is OrgLevel.SCHOOL:
        return render_template(
            "quality/school.html", campaign=campaign, rows=quality.school_list(db(), me().org_id), labels=quality.LABELS
        )
    # The dashboard of a unit: the user's own (or the campaign's scope when that is lower), or one below it
    top = campaign.org if campaign.org.path.startswith(me().org.path) else me().org
    under = db().get(OrgUnit, request.args.get("org", type=int) or top.id)
    if under is None or not under.path.startswith(top.path):
        abort(404)
    if under.level is OrgLevel.SCHOOL:
        rows = quality.school_list(db(), under.id)
        return render_template("quality/school.html", campaign=campaign, rows=rows, labels=quality.LABELS, unit=under)
    rows = quality.progress(db(), campaign, under)
    return render_template("quality/dashboard.html", campaign=campaign, under=under, top=top, rows=rows)


@bp.post("/<int:campaign_id>/close")
@requires(*AUTHORITIES)
def close(campaign_id: int) -> ResponseReturnValue:
    campaign = campaign_or_404(campaign_id)
    try:
        campaigns.close_campaign(db(), me(), campaign, utcnow())
        db().commit()
        flash("核查已结束", "success")
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
    return redirect(url_for("quality.detail", campaign_id=campaign.id))
