"""Transfer settings of a province (F-33 calendar, F-30 city-review rule table, F-32 optional sending steps).

Province officers and the province's policy staff configure their own province; nothing else is shown.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from models.base import utcnow
from models.business_calendar import (
    DEFAULT_PERIODS,
    Period,
    PeriodKind,
    add_period,
    configured,
    delete_period,
    initiation_refusal,
    overlapping_freezes,
    periods,
)
from models.errors import DomainError
from models.org import OrgLevel, Stage
from models.transfer_rules import TransferScope, outbound_steps, rule_table, set_city_review, set_outbound_steps
from models.user import Role
from webapp.access import me, requires
from webapp.db import db

bp = Blueprint("transfer_settings", __name__, url_prefix="/transfers/settings")
BUSINESS = "transfer"


# Each province configures its own transfers: province officers and the province's policy staff.
province_staff = requires(Role.PROVINCE_OFFICER, Role.POLICY_OFFICER, at=(OrgLevel.PROVINCE,))


@bp.get("/")
@province_staff
def index() -> ResponseReturnValue:
    province_id = me().org_id
    rows = configured(db(), province_id, BUSINESS)
    effective = periods(db(), province_id, BUSINESS)
    listed = [(r.period, r.id) for r in rows] if rows else [(p, None) for p in effective]
    return render_template(
        "transfers/settings.html",
        rows=rows,
        effective=effective,
        # (shown period, its row id or None for a default, the freezes that take days from it)
        shown=[(period, row_id, overlapping_freezes(period, effective)) for period, row_id in listed],
        today_refusal=initiation_refusal(db(), province_id, BUSINESS, utcnow()),
        defaults=DEFAULT_PERIODS[BUSINESS],
        rules=rule_table(db(), province_id),
        outbound=outbound_steps(db(), province_id),
        kinds={PeriodKind.WINDOW: "允许发起的时间窗口", PeriodKind.FREEZE: "冻结期（暂停发起）"},
    )


@bp.post("/")
@province_staff
def update() -> ResponseReturnValue:
    province_id = me().org_id
    form = request.form
    try:
        match form.get("action"):
            case "add_period":
                kind = PeriodKind(form.get("kind", ""))
                period = Period(
                    kind, form.get("start_md", "").strip(), form.get("end_md", "").strip(), form.get("note", "")
                )
                add_period(db(), province_id, BUSINESS, period)
            case "delete_period":
                delete_period(db(), province_id, int(form.get("period_id", "0")))
            case "set_rule":
                value = form.get("value") == "1"
                set_city_review(db(), province_id, Stage(form["stage"]), TransferScope(form["scope"]), value)
            case "set_outbound":
                set_outbound_steps(db(), province_id, city_review="city" in form, province_review="province" in form)
            case _:
                abort(400)
    except (DomainError, ValueError, KeyError) as err:
        db().rollback()
        flash(getattr(err, "message", "设置内容不正确"), "danger")
        return redirect(url_for("transfer_settings.index"))
    db().commit()
    flash("设置已保存", "success")
    return redirect(url_for("transfer_settings.index"))
