"""北京条件 (F-65) for the authorities: each grade's 学籍总量, a school's 示范校 / foreign-student qualification and
plan, and the 特批 of a refused transfer or admission with its reason. The rules are handlers/regional_rules.py."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from handlers import regional_rules
from models.errors import DomainError
from models.org import Stage
from models.student import Student, has_national_id
from models.user import Role
from webapp.access import me, requires
from webapp.db import db

bp = Blueprint("regional", __name__, url_prefix="/regional")
AUTHORITIES = (Role.COUNTY_OFFICER, Role.CITY_OFFICER, Role.PROVINCE_OFFICER)


@bp.get("/")
@requires(*AUTHORITIES)
def index() -> ResponseReturnValue:
    return render_template(
        "settings/regional.html",
        pack_on=regional_rules.pack_on(db(), me().org_id),
        rules=regional_rules.RULES,
        stages=list(Stage),
        quotas=regional_rules.quotas_visible_to(db(), me()),
        overrides=regional_rules.overrides_visible_to(db(), me()),
    )


def _done(action: str) -> ResponseReturnValue:
    """Commit and say so, or roll back and show the refusal: nothing half-written."""
    try:
        db().commit()
        flash(action, "success")
    except DomainError as err:  # pragma: no cover - commit raises no domain errors
        db().rollback()
        flash(err.message, "danger")
    return redirect(url_for("regional.index"))


def _int(name: str) -> int | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise DomainError("请填写整数")
    return int(raw)


@bp.post("/quota")
@requires(*AUTHORITIES)
def quota() -> ResponseReturnValue:
    f = request.form
    try:
        year, value = _int("cohort_year"), _int("quota")
        if year is None or value is None or f.get("stage") not in set(Stage):
            raise DomainError("请填写学校标识码、教育阶段、年级（入学年份）和学籍总量")
        regional_rules.set_quota(
            db(), me(), school_code=f.get("school_code", ""), cohort_year=year, stage=Stage(f["stage"]), quota=value
        )
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
        return redirect(url_for("regional.index"))
    return _done("学籍总量已设置")


@bp.post("/profile")
@requires(*AUTHORITIES)
def profile() -> ResponseReturnValue:
    f = request.form
    try:
        regional_rules.set_profile(
            db(),
            me(),
            school_code=f.get("school_code", ""),
            is_model_school=f.get("is_model_school") == "1",
            foreign_qualified=f.get("foreign_qualified") == "1",
            foreign_plan=_int("foreign_plan"),
        )
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
        return redirect(url_for("regional.index"))
    return _done("学校接收条件已保存")


@bp.post("/override")
@requires(*AUTHORITIES)
def override() -> ResponseReturnValue:
    """特批: the school by code, the student by 全国学籍号 (a local record is bound by id too), a reason."""
    f = request.form
    try:
        school = regional_rules.school_by_code(db(), me(), f.get("school_code", ""))
        number = (f.get("national_student_id") or "").strip().upper()
        local = db().scalar(select(Student.id).where(has_national_id(number))) if number else None
        regional_rules.grant_override(
            db(),
            me(),
            rule=f.get("rule", ""),
            to_school_id=school.org_id,
            reason=f.get("reason", ""),
            student_id=local,
            national_student_id=number,
        )
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
        return redirect(url_for("regional.index"))
    return _done("已特批，学校可以重新提交")
