"""参数设置 pages of the province (F-51, F-53): 受控字段设置 and 基本系统设置. The other parameter pages (班额配置,
异动类型配置, 在校生注册开关, 照片采集控制, 升级时间, 转学设置, 节假日) have their own blueprints; 基本系统设置 links
to them so that the province finds every parameter from one page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from handlers import parameters
from models.business_calendar import province_id_of
from models.errors import DomainError
from models.org import OrgLevel
from models.settings import DEFAULT_CONTROLLED, controlled_fields
from models.system_settings import SETTINGS, decode, stored
from models.user import Role
from webapp.access import me, requires
from webapp.db import db

bp = Blueprint("parameters", __name__, url_prefix="/settings")
PROVINCE = (OrgLevel.PROVINCE,)


def _system_page(status: int = 200) -> ResponseReturnValue:
    rows = stored(db(), me().org.ancestor_ids()[1])
    current = [(spec, decode(spec, rows[spec.key].value) if spec.key in rows else spec.default) for spec in SETTINGS]
    return render_template("settings/system.html", current=current), status


@bp.get("/system")
@requires(Role.PROVINCE_OFFICER, at=PROVINCE)
def system() -> ResponseReturnValue:
    return _system_page()


@bp.post("/system")
@requires(Role.PROVINCE_OFFICER, at=PROVINCE)
def system_save() -> ResponseReturnValue:
    try:
        changed = parameters.save_settings(db(), me(), request.form.to_dict())
        db().commit()
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
        return _system_page(422)
    flash(f"已保存：{'、'.join(changed)}，立即生效" if changed else "没有修改", "success")
    return redirect(url_for("parameters.system"))


@bp.route("/controlled-fields", methods=["GET", "POST"])
@requires(Role.PROVINCE_OFFICER, at=PROVINCE)
def controlled() -> ResponseReturnValue:
    status = 200
    if request.method == "POST":
        chosen = {f: request.form.get(f"level_{f}", "county") for f in request.form.getlist("field")}
        try:
            parameters.save_controlled(db(), me(), chosen)
            db().commit()
            flash("受控字段设置已保存，对新提交的关键数据变更生效", "success")
            return redirect(url_for("parameters.controlled"))
        except DomainError as err:
            db().rollback()
            flash(err.message, "danger")
            status = 422
    current = controlled_fields(db(), province_id_of(db(), me().org_id))
    rows = [(f, DEFAULT_CONTROLLED[f][0], current.get(f)) for f in parameters.CONTROLLABLE]
    return render_template("settings/controlled.html", rows=rows, levels=parameters.LEVEL_LABELS), status
