"""角色配置 · 权限 page (F-05): the province administrator switches features off per level and role. A cell is
shown only where the code lets the role use a page of the feature (configuration narrows, never widens)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from handlers import role_permissions
from models.errors import DomainError
from models.org import OrgLevel
from models.permissions import FEATURES, switched_off
from models.user import Role
from webapp.access import me, requires
from webapp.db import db

bp = Blueprint("permissions", __name__, url_prefix="/admin/permissions")


def _code_roles() -> dict[str, set[Role]]:
    """Per feature, the roles some page of it admits in the code."""
    found: dict[str, set[Role]] = {feature: set() for feature in FEATURES}
    for endpoint, view in current_app.view_functions.items():
        feature, permission = endpoint.split(".")[0], getattr(view, "permission", None)
        if feature in found and permission is not None:
            found[feature] |= permission.roles
    return found


def _cells() -> list[tuple[OrgLevel, Role, list[str]]]:
    code = _code_roles()
    return [
        (level, role, [feature for feature in FEATURES if role in code[feature]])
        for level in role_permissions.LEVELS
        for role in role_permissions.configurable_roles(level)
    ]


@bp.route("/", methods=["GET", "POST"])
@requires(Role.SECURITY_ADMINISTRATOR, at=(OrgLevel.PROVINCE,))  # roles and permissions: 三员分立
def index() -> ResponseReturnValue:
    cells, status = _cells(), 200
    if request.method == "POST":
        FlaskForm().validate_on_submit()  # the CSRF check
        on = set(request.form.getlist("on"))
        off = {
            (level, role, feature)
            for level, role, features in cells
            for feature in features
            if f"{level.value}|{role.value}|{feature}" not in on
        }
        try:
            role_permissions.save(db(), me(), off)
            db().commit()
        except DomainError as err:
            db().rollback()
            flash(err.message, "danger")
            status = 422
        else:
            flash("角色权限已保存，立即生效", "success")
            return redirect(url_for("permissions.index"))
    return render_template(
        "admin/permissions.html", cells=cells, features=FEATURES, off=switched_off(db(), me().org_id)
    ), status
