"""年级信息管理 / 班级信息管理 (F-04): the school registrar's cohorts and classes, 班级合并. Another school's cohort
or class is 404 (``webapp.access``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms import SelectChoice

from forms.school_setup import ClassForm, CohortForm
from handlers import school_classes as sc
from models.errors import DomainError
from models.org import SchoolClass, Stage
from models.school_year import admission_year
from models.user import Role
from webapp.access import me, own_class_or_404, own_cohort_or_404, requires
from webapp.db import db

bp = Blueprint("school_classes", __name__, url_prefix="/school")
COHORTS, CLASSES = "school_classes.cohorts", "school_classes.classes"


def _done(success: str, back: str, change: Callable[..., object], *args: Any, **kwargs: Any) -> ResponseReturnValue:
    """Run one change as the user and commit it, or roll back and show the refusal; then back to the list."""
    try:
        change(db(), me(), *args, **kwargs)
        db().commit()
        flash(success, "success")
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
    return redirect(url_for(back))


# -- 年级信息管理 --------------------------------------------------------------------------------------------------


def _cohorts_page(form: CohortForm | None = None, status: int = 200) -> ResponseReturnValue:
    school = sc.school_of(db(), me())
    if form is None:
        try:  # the new cohort's year is the likely entry
            form = CohortForm(cohort_year=admission_year(db(), school.org_id))
        except DomainError:  # the province has no current term yet
            form = CohortForm()
    form.stage.choices = [SelectChoice(s.value, s.label) for s in school.stage_list]
    rows = sc.cohort_rows(db(), school.org_id)
    return render_template("school/cohorts.html", rows=rows, form=form), status


@bp.get("/cohorts")
@requires(Role.SCHOOL_REGISTRAR)
def cohorts() -> ResponseReturnValue:
    return _cohorts_page()


@bp.post("/cohorts")
@requires(Role.SCHOOL_REGISTRAR)
def cohort_add() -> ResponseReturnValue:
    form = CohortForm(request.form)
    if not form.validate():
        return _cohorts_page(form, 422)
    stage, year = Stage(form.stage.data), form.cohort_year.data or 0
    return _done("已新增年级", COHORTS, sc.add_cohort, stage=stage, cohort_year=year)


@bp.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
@requires(Role.SCHOOL_REGISTRAR)
def cohort_edit(cohort_id: int) -> ResponseReturnValue:
    cohort = own_cohort_or_404(cohort_id)
    form = CohortForm(request.form if request.method == "POST" else None, obj=cohort)
    form.stage.choices = [SelectChoice(s.value, s.label) for s in sc.school_of(db(), me()).stage_list]
    if request.method == "POST" and form.validate():
        stage, year = Stage(form.stage.data), form.cohort_year.data or 0
        return _done("已修改年级", COHORTS, sc.update_cohort, cohort, stage=stage, cohort_year=year)
    return render_template("school/cohort_edit.html", cohort=cohort, form=form), 422 if form.errors else 200


@bp.post("/cohorts/<int:cohort_id>/delete")
@requires(Role.SCHOOL_REGISTRAR)
def cohort_delete(cohort_id: int) -> ResponseReturnValue:
    cohort = own_cohort_or_404(cohort_id)
    return _done(f"已删除{cohort.name}", COHORTS, sc.delete_cohort, cohort)


# -- 班级信息管理 --------------------------------------------------------------------------------------------------


@bp.get("/classes")
@requires(Role.SCHOOL_REGISTRAR)
def classes() -> ResponseReturnValue:
    school_id = sc.school_of(db(), me()).org_id
    teachers = dict(sc.teacher_choices(db(), school_id))
    return render_template("school/classes.html", rows=sc.class_rows(db(), school_id), teachers=teachers)


def _class_form(school_class: SchoolClass | None) -> ClassForm:
    school_id = sc.school_of(db(), me()).org_id
    formdata = request.form if request.method == "POST" else None
    form = ClassForm(formdata, obj=school_class, cohort_id=request.args.get("cohort_id", type=int))
    form.cohort_id.choices = [SelectChoice(c.id, c.name) for c in sc.cohorts_of(db(), school_id)]
    teachers = sc.teacher_choices(db(), school_id)
    form.homeroom_teacher_id.choices = [SelectChoice(None, "（暂不指定）"), *(SelectChoice(*t) for t in teachers)]
    return form


def _fields(form: ClassForm) -> sc.ClassFields:
    return sc.ClassFields(
        class_no=(form.class_no.data or "").strip(),
        name=(form.name.data or "").strip(),
        class_type=form.class_type.data or "",
        homeroom_teacher_id=form.homeroom_teacher_id.data,
        capacity=form.capacity.data,
    )


def _class_page(
    form: ClassForm, school_class: SchoolClass | None, save: Callable[[sc.ClassFields], object]
) -> ResponseReturnValue:
    """The class form; a valid POST is saved (then back to the list) or its refusal shown on the form."""
    if request.method == "POST" and form.validate():
        try:
            save(_fields(form))
            db().commit()
            flash("班级已保存", "success")
            return redirect(url_for(CLASSES))
        except DomainError as err:
            db().rollback()
            flash(err.message, "danger")
    status = 422 if request.method == "POST" else 200
    return render_template("school/class_form.html", form=form, school_class=school_class), status


@bp.route("/classes/new", methods=["GET", "POST"])
@requires(Role.SCHOOL_REGISTRAR)
def class_add() -> ResponseReturnValue:
    form = _class_form(None)
    return _class_page(
        form, None, lambda fields: sc.add_class(db(), me(), own_cohort_or_404(form.cohort_id.data), fields)
    )


@bp.route("/classes/<int:class_id>/edit", methods=["GET", "POST"])
@requires(Role.SCHOOL_REGISTRAR)
def class_edit(class_id: int) -> ResponseReturnValue:
    school_class = own_class_or_404(class_id)
    form = _class_form(school_class)
    del form.cohort_id  # a class stays in its cohort; students move by 调班 or 班级合并
    return _class_page(form, school_class, lambda fields: sc.update_class(db(), me(), school_class, fields))


@bp.post("/classes/<int:class_id>/delete")
@requires(Role.SCHOOL_REGISTRAR)
def class_delete(class_id: int) -> ResponseReturnValue:
    school_class = own_class_or_404(class_id)
    name = f"{school_class.cohort.name}{school_class.name}"
    return _done(f"已删除{name}", CLASSES, sc.delete_class, school_class)


@bp.post("/classes/<int:class_id>/merge")
@requires(Role.SCHOOL_REGISTRAR)
def class_merge(class_id: int) -> ResponseReturnValue:
    """班级合并: this class's students into the chosen class of the same cohort, then this class is deleted."""
    source = own_class_or_404(class_id)
    target = own_class_or_404(request.form.get("target_class_id", 0, type=int))
    return _done(f"已将{source.name}合并到{target.name}", CLASSES, sc.merge_classes, source, target)
