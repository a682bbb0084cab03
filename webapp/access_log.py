"""Logging every read of personal data: views say whom they showed (``saw``), and one multi-row insert at the end
of a successful request writes it (a page of fifty students costs one statement). Exports and prints are logged
with their row count. The pages to read the log are here too: who looked at a student, and what a user looked at.

A page that does not say whom it showed is still logged: every student record the ORM loads while a logged-in user's
GET request is handled (lists, task pages, the templates' ``case.student.name``) is collected by a load event and
logged under the page's menu name. What a view says itself takes precedence (it knows the page's purpose better).
tests/test_access_coverage.py visits every route of the access matrix marked as showing personal data and fails
for a route that is not marked either way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Flask, g, has_request_context, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import event, insert, select
from sqlalchemy.orm import joinedload

from models import seals
from models.access_log import AccessLog
from models.audit import AuditEvent
from models.base import utcnow
from models.clock import local_text
from models.family import FamilyAccessLog, ParentAccount
from models.student import Student
from models.user import Role, User
from webapp import menu, xlsx
from webapp.access import me, requires, student_or_404
from webapp.db import db

bp = Blueprint("access_log", __name__, url_prefix="/access-log")
# The name a page is logged under when its view does not give one: its menu entry, else its endpoint.
PAGE_NAMES = {link.endpoint: link.label for link in menu.links()}

# Who may read whom: the authorities over a student (the audit administrator queries by user: ``by_user``).
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


def shown(student_ids: Iterable[int | None]) -> None:
    """Students a page shows without loading their records (a list that reads only their names): logged as the
    records it loads are."""
    if request.endpoint not in _NOT_A_READ:
        g.setdefault("students_loaded", {}).update(dict.fromkeys(i for i in student_ids if i is not None))


def _loaded(student: Student, _context: Any) -> None:
    """ORM load event: a student record read while handling a request (logged if the request shows a page)."""
    if has_request_context() and request.endpoint not in _NOT_A_READ:
        g.setdefault("students_loaded", {})[student.id] = None


# Requests that load students without showing them: the log pages themselves show the log, not the pupil.
_NOT_A_READ = {"static", "vendor"}


def _page_name() -> str:
    return PAGE_NAMES.get(request.endpoint or "", request.endpoint or "")


def _write(response: Any) -> Any:
    loaded = g.pop("students_loaded", None)
    # A page or a file was shown (200): its students were read. A redirect after a POST is a change, not a read.
    if loaded and "access_log" not in g and response.status_code == 200:  # noqa: PLR2004
        saw(loaded, _page_name())
    entries = g.pop("access_log", None)
    # A request without a login (the change feed's token, webapp/feed.py) names whom its reads are logged under.
    actor: tuple[int, int] | None = g.pop("access_log_actor", None)
    if current_user.is_authenticated:
        actor = (me().id, me().org_id)
    if not entries or response.status_code >= 400 or actor is None:
        return response
    (user_id, org_id), now, address = actor, utcnow(), (request.remote_addr or "")[:64]
    session = db()
    if not (session.new or session.dirty or session.deleted):
        # End the page's reads first, so the entry is written in a transaction of its own: on SQLite a read
        # transaction that turns into a write after a worker has committed fails at once ("database is locked"),
        # where a fresh write waits for the lock.
        session.commit()
    session.execute(
        insert(AccessLog),
        [{**entry, "user_id": user_id, "org_id": org_id, "address": address, "at": now} for entry in entries],
    )
    db().commit()
    return response


def init_app(app: Flask) -> None:
    if not event.contains(Student, "load", _loaded):
        event.listen(Student, "load", _loaded)
    app.after_request(_write)
    app.register_blueprint(bp)


@bp.get("/verify")
@requires(Role.PROVINCE_OFFICER, Role.NATIONAL_OFFICER, Role.AUDIT_ADMINISTRATOR)
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
    parents = (
        db()
        .execute(
            select(FamilyAccessLog, ParentAccount.phone)
            .join(ParentAccount, ParentAccount.id == FamilyAccessLog.parent_id)
            .where(FamilyAccessLog.student_id == shown.id)
            .order_by(FamilyAccessLog.id.desc())
            .limit(500)
        )
        .all()
    )
    return render_template("access_log/student.html", student=shown, rows=rows, parents=parents)


# -- the audit administrator's query by user (三员分立: reads and exports, changes nothing) ------------------

SIGN_IN_ACTIONS = ("login", "login.failed", "logout")
AUDIT_LIMIT = 2000


@bp.get("/users")
@requires(Role.AUDIT_ADMINISTRATOR)
def by_user() -> ResponseReturnValue:
    """访问日志查询: what one user (of the auditor's subtree) looked at, and its sign-ins; exportable."""
    username = request.args.get("username", "").strip()
    subject = db().scalar(select(User).where(User.username == username)) if username else None
    if subject is not None and not subject.org.path.startswith(me().org.path):
        subject = None  # another province's user: as if unknown
    rows: list[AccessLog] = []
    events: list[AuditEvent] = []
    if subject is not None:
        rows = list(
            db().scalars(
                select(AccessLog)
                .options(joinedload(AccessLog.org))
                .where(AccessLog.user_id == subject.id)
                .order_by(AccessLog.id.desc())
                .limit(AUDIT_LIMIT)
            )
        )
        events = list(
            db().scalars(
                select(AuditEvent)
                .where(AuditEvent.entity == "user", AuditEvent.entity_id == subject.id)
                .where(AuditEvent.action.in_(SIGN_IN_ACTIONS))
                .order_by(AuditEvent.id.desc())
                .limit(AUDIT_LIMIT)
            )
        )
        if request.args.get("format") == "xlsx":
            exported(f"导出：访问日志（{subject.username}）", len(rows))
            headers = ["时间", "单位", "页面", "学生编号", "记录数", "地址", "用途"]
            table = [
                [local_text(r.at), r.org.name, r.page, r.student_id or "", r.rows, r.address, r.purpose] for r in rows
            ]
            return xlsx.download(f"访问日志-{subject.username}", headers, table, by=me())
    return render_template(
        "access_log/user.html", username=username, subject=subject, rows=rows, events=events, limit=AUDIT_LIMIT
    )
