"""班额配置 (F-52): a province, city or county officer sets the 班额 of each stage for its area or one of its
schools, and sees every setting below it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from forms.school_setup import ClassSizeForm
from handlers import class_sizes
from models.class_size import DEFAULT_LIMITS, class_size
from models.errors import DomainError
from models.org import Stage
from models.user import Role
from webapp.access import class_size_setting_or_404, me, requires
from webapp.db import db

bp = Blueprint("class_sizes", __name__, url_prefix="/settings/class-sizes")
AUTHORITY_ROLES = (Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER)


def _page(form: ClassSizeForm | None = None, status: int = 200) -> ResponseReturnValue:
    org_id = me().org_id
    return (
        render_template(
            "school/class_sizes.html",
            form=form or ClassSizeForm(),
            effective=[(stage, class_size(db(), org_id, stage)) for stage in Stage],
            settings=class_sizes.settings_in_area(db(), me()),
            defaults=DEFAULT_LIMITS,
        ),
        status,
    )


@bp.get("/")
@requires(*AUTHORITY_ROLES)
def index() -> ResponseReturnValue:
    return _page()


@bp.post("/")
@requires(*AUTHORITY_ROLES)
def update() -> ResponseReturnValue:
    form = ClassSizeForm(request.form)
    if not form.validate():
        return _page(form, 422)
    try:
        org = class_sizes.target_org(db(), me(), form.school_code.data or "")
        stage = Stage(form.stage.data)
        class_sizes.set_limit(
            db(), me(), org, stage, max_students=form.max_students.data or 0, warn_at=form.warn_at.data
        )
        db().commit()
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
        return _page(form, 422)
    flash(f"已设置{org.name}的{stage.label}班额", "success")
    return redirect(url_for("class_sizes.index"))


@bp.post("/<int:setting_id>/clear")
@requires(*AUTHORITY_ROLES)
def clear(setting_id: int) -> ResponseReturnValue:
    """恢复默认: the setting is dropped; the one above it (or the default) applies again."""
    setting = class_size_setting_or_404(setting_id)
    org, stage = setting.org, setting.stage
    class_sizes.clear_limit(db(), me(), org, stage)
    db().commit()
    flash(f"{org.name}的{stage.label}班额已恢复为上级设置或默认值", "success")
    return redirect(url_for("class_sizes.index"))
