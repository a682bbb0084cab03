"""电子签章 (F-61): the security administrator makes an organisation's seal (key and certificate); anybody may
check a downloaded PDF on the public verification page (upload it: unchanged since sealing, and whose seal)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from handlers import sealing
from models.errors import DomainError
from models.jurisdiction import units_sealed_by
from models.org import OrgUnit
from models.seal_key import SealKey
from models.user import Role
from webapp.access import me, requires, seal_unit_or_404
from webapp.db import db
from webapp.prints import passphrase

bp = Blueprint("seals", __name__)
MAX_PDF = 20 * 1024 * 1024


@bp.get("/admin/seals")
@requires(Role.SECURITY_ADMINISTRATOR)
def index() -> ResponseReturnValue:
    units = db().scalars(units_sealed_by(me()).limit(500)).all()
    keys = {k.org_id: k for k in db().scalars(select(SealKey).where(SealKey.org_id.in_([u.id for u in units])))}
    return render_template("seals/index.html", units=units, keys=keys)


@bp.post("/admin/seals")
@requires(Role.SECURITY_ADMINISTRATOR)
def create() -> ResponseReturnValue:
    org: OrgUnit = seal_unit_or_404(request.form.get("org_id", type=int) or 0)
    try:
        sealing.create_key(db(), me(), org, passphrase())
        db().commit()
    except DomainError as err:
        db().rollback()
        flash(err.message, "danger")
    else:
        flash(f"已为{org.name}制作电子印章", "success")
    return redirect(url_for("seals.index"))


@bp.route("/seals/verify", methods=["GET", "POST"])
def verify() -> ResponseReturnValue:
    """印章验证 (public): no sign-in, the file is read and forgotten."""
    verdict, status = None, 200
    if request.method == "POST":
        file = request.files.get("file")
        data = file.read(MAX_PDF + 1) if file else b""
        if not data:
            flash("请选择要验证的PDF文件", "danger")
            status = 422
        elif len(data) > MAX_PDF:
            flash("文件过大：最多验证20MB的PDF文件", "danger")
            status = 413
        else:
            verdict = sealing.verify(db(), data)
            status = 200 if verdict.ok else 422
    return render_template("seals/verify.html", verdict=verdict), status
