"""Logging every read of personal data: views say whom they showed (``saw``), and one multi-row insert at the end
of a successful request writes it (a page of fifty students costs one statement). Exports and prints are logged
with their row count. The pages to read the log are here too: who looked at a student, and what a user looked at.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Flask, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import insert, select
from sqlalchemy.orm import joinedload

from models import seals
from models.access_log import AccessLog
from models.base import utcnow
from models.user import Role
from webapp.access import me, requires, student_or_404
from webapp.db import db

bp = Blueprint("access_log", __name__, url_prefix="/access-log")

# Who may read whom: the authorities over a student (and, once 三员分立 exists, the audit administrator).
READERS = (Role.COUNTY_OFFICER, Role.CITY_OFFICER, Role.PROVINCE_OFFICER, Role.NATIONAL_OFFICER)


def saw(student_ids: Iterable[int | None], page: str, *, purpose: str = "") -> None:
    """The current request shows these students' personal data on ``page``."""
    entries: list[dict[str, Any]] = g.setdefault("access_log", [])
    for student_id in dict.fromkeys(student_ids):
        if student_id is not None:
            entries.append({"student_id": student_id, "page": page, "purpose": purpose, "rows": 1})


def exported(page: str, rows: int, *, purpose: str = "") -> None:
    """A list, export or print of ``rows`` records whose rows do not carry their students' ids."""
    g.setdefault("access_log", []).append({"student_id": None, "page": page, "purpose": purpose, "rows": rows})


def _write(response: Any) -> Any:
    entries = g.pop("access_log", None)
    # A request without a login (the change feed's token, webapp/feed.py) names whom its reads are logged under.
    actor: tuple[int, int] | None = g.pop("access_log_actor", None)
    if current_user.is_authenticated:
        actor = (me().id, me().org_id)
    if not entries or response.status_code >= 400 or actor is None:
        return response
    (user_id, org_id), now, address = actor, utcnow(), (request.remote_addr or "")[:64]
    db().execute(
        insert(AccessLog),
        [{**entry, "user_id": user_id, "org_id": org_id, "address": address, "at": now} for entry in entries],
    )
    db().commit()
    return response


def init_app(app: Flask) -> None:
    app.after_request(_write)
    app.register_blueprint(bp)


@bp.get("/verify")
@requires(Role.PROVINCE_OFFICER, Role.NATIONAL_OFFICER)
def verify() -> ResponseReturnValue:
    """日志完整性校验: seal what arrived, then recompute both chains."""
    for chain in seals.CHAINS:
        seals.seal(db(), chain)
    db().commit()
    results = [(seals.CHAIN_LABELS[chain], seals.verify(db(), chain)) for chain in seals.CHAINS]
    return render_template("access_log/verify.html", results=results)


@bp.get("/students/<int:student_id>")
@requires(*READERS)
def student(student_id: int) -> ResponseReturnValue:
    """谁查看过该学生: every read of this student's data, newest first."""
    shown = student_or_404(student_id)
    rows = (
        db()
        .scalars(
            select(AccessLog)
            .options(joinedload(AccessLog.user), joinedload(AccessLog.org))
            .where(AccessLog.student_id == shown.id)
            .order_by(AccessLog.id.desc())
            .limit(500)
        )
        .all()
    )
    return render_template("access_log/student.html", student=shown, rows=rows)
