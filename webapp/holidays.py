"""节假日设置 (Q-16): the national officer keeps the State Council's holiday calendar — days off and weekend days
worked — in the one national table every working-day deadline is counted on; province officers read it (one
province changing it would move every other province's deadlines)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError

from forms.holidays import WORKED, HolidayForm
from handlers import holidays
from models.base import utcnow
from models.business_calendar import local_date
from models.errors import DomainError, NotFound
from models.holidays import of_year
from models.user import Role
from webapp.access import me, requires
from webapp.db import db

bp = Blueprint("holidays", __name__, url_prefix="/settings/holidays")
HOLIDAY_READERS = (Role.NATIONAL_OFFICER, Role.PROVINCE_OFFICER)
HOLIDAY_EDITORS = (Role.NATIONAL_OFFICER,)


def _year() -> int:
    year = request.args.get("year", type=int) or local_date(utcnow()).year
    return min(max(year, holidays.FIRST_YEAR), holidays.LAST_YEAR)


def _page(year: int, form: HolidayForm | None = None, status: int = 200) -> ResponseReturnValue:
    rows = of_year(db(), year)
    return (
        render_template(
            "settings/holidays.html",
            year=year,
            rows=rows,
            days_off=sum(not r.is_working_day for r in rows),
            form=form or HolidayForm(),
            weekday=lambda day: holidays.WEEKDAY_NAMES[day.weekday()],
            may_edit=me().has_role(*HOLIDAY_EDITORS),
        ),
        status,
    )


@bp.get("/")
@requires(*HOLIDAY_READERS)
def index() -> ResponseReturnValue:
    return _page(_year())


@bp.post("/")
@requires(*HOLIDAY_EDITORS)
def add() -> ResponseReturnValue:
    form = HolidayForm(request.form)
    if not form.validate():
        return _page(_year(), form, 422)
    first, last = form.days()
    try:
        rows = holidays.add_days(db(), me(), first, last, working=form.kind.data == WORKED, name=form.name.data or "")
        db().commit()
    except (DomainError, IntegrityError) as err:  # IntegrityError: someone set one of the days meanwhile
        db().rollback()
        flash(getattr(err, "message", "其中有日期刚被他人设置，请查看列表后重试"), "danger")
        return _page(first.year, form, 422)
    done = f"{holidays.cn_day(first)}至{holidays.cn_day(last)}" if last != first else holidays.cn_day(first)
    flash(f"已设置{done}{rows[0].kind_label}（{rows[0].name}），共{len(rows)}天", "success")
    return redirect(url_for("holidays.index", year=first.year))


@bp.post("/<int:holiday_id>/delete")
@requires(*HOLIDAY_EDITORS)
def delete(holiday_id: int) -> ResponseReturnValue:
    try:
        row = holidays.delete_day(db(), me(), holiday_id)
    except NotFound:
        flash("该日期已不在节假日表中", "warning")
        return redirect(url_for("holidays.index", year=_year()))
    year, done = row.day.year, f"已删除{holidays.cn_day(row.day)}（{row.name}）"
    db().commit()
    flash(done, "success")
    return redirect(url_for("holidays.index", year=year))
