"""学期学年设置 (F-03): a county (or city, province) creates its terms, a school creates or confirms them (a county
may confirm its province's too); each organisation marks one term current. Every page works on the user's own
organisation only."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from forms.school_setup import TermDatesForm, TermForm
from handlers import terms
from models.calendar import Term, terms_of
from models.errors import DomainError, NotFound
from models.user import Role
from webapp.access import me, own_term_or_404, requires
from webapp.db import db

bp = Blueprint("terms", __name__, url_prefix="/school/terms")
TERM_ROLES = (Role.SCHOOL_REGISTRAR, Role.COUNTY_OFFICER, Role.CITY_OFFICER, Role.PROVINCE_OFFICER)


def _page(form: TermForm | None = None, status: int = 200) -> ResponseReturnValue:
    org = me().org
    return (
        render_template(
            "school/terms.html",
            terms=terms_of(db(), org.id),
            form=form or TermForm(),
            offered=terms.confirmable(db(), org),
        ),
        status,
    )


@bp.get("/")
@requires(*TERM_ROLES)
def index() -> ResponseReturnValue:
    return _page()


@bp.post("/")
@requires(*TERM_ROLES)
def create() -> ResponseReturnValue:
    """新增学期 for the user's organisation."""
    form = TermForm(request.form)
    if not form.validate():
        return _page(form, 422)
    try:
        term = terms.create_term(
            db(),
            me(),
            academic_year=form.academic_year.data or "",
            season=form.season.data or "",
            dates=form.dates(),
        )
        db().commit()
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
        return _page(form, 422)
    flash(f"已新增{term.name}", "success")
    return redirect(url_for("terms.index"))


@bp.post("/<int:term_id>/current")
@requires(*TERM_ROLES)
def make_current(term_id: int) -> ResponseReturnValue:
    term = own_term_or_404(term_id)
    terms.set_current(db(), me(), term)
    db().commit()
    flash(f"当前学期已设为{term.name}", "success")
    return redirect(url_for("terms.index"))


@bp.route("/<int:term_id>/edit", methods=["GET", "POST"])
@requires(*TERM_ROLES)
def edit(term_id: int) -> ResponseReturnValue:
    """修改 the dates of one of the organisation's terms."""
    term = own_term_or_404(term_id)
    form = TermDatesForm(request.form if request.method == "POST" else None, obj=term)
    if request.method == "POST":
        if form.validate():
            try:
                terms.update_dates(db(), me(), term, form.dates())
                db().commit()
                flash(f"已修改{term.name}的起止日期", "success")
                return redirect(url_for("terms.index"))
            except DomainError as err:
                db().rollback()
                flash(err.message, "danger")
        return render_template("school/term_edit.html", term=term, form=form), 422
    return render_template("school/term_edit.html", term=term, form=form)


@bp.post("/confirm/<int:term_id>")
@requires(*TERM_ROLES)
def confirm(term_id: int) -> ResponseReturnValue:
    """确认: a school takes its county's term (a county its province's, …) as its own, in one click."""
    source = db().get(Term, term_id)
    if source is None:
        abort(404)
    try:
        term = terms.confirm(db(), me(), source)
        db().commit()
    except NotFound:
        db().rollback()
        abort(404)
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
        return redirect(url_for("terms.index"))
    flash(f"已确认{term.name}" + ("，并设为当前学期" if term.is_current else ""), "success")
    return redirect(url_for("terms.index"))
