"""数据交换 (F-63): the read-only change feed for related systems, and the administrators' pages that issue and
revoke its tokens.

``GET /api/v1/students/changes`` answers JSON to a bearer token only (never to a browser session, so no CSRF and
no cookies are involved), within the token's organisation, at most FEED_RATE_PER_MINUTE calls a minute per token.
Its description is the static ``/api/v1/openapi.json``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from models import audit, feed
from models.base import utcnow
from models.errors import DomainError
from models.feed import ApiToken
from models.jurisdiction import units_administered_by
from models.org import OrgLevel, OrgUnit
from models.user import Role
from webapp import access_log
from webapp.access import administered_unit_or_404, api_token_or_404, me, requires
from webapp.db import db
from webapp.security import LoginThrottle

bp = Blueprint("feed", __name__)
api = Blueprint("api", __name__, url_prefix="/api/v1")


# -- administration (系统管理 → 数据交换令牌) -----------------------------------------------------------------------


def _tokens() -> list[ApiToken]:
    scope = me().org.path
    return list(
        db().scalars(
            select(ApiToken)
            .join(OrgUnit, OrgUnit.id == ApiToken.org_id)
            .where(OrgUnit.path.startswith(scope, autoescape=True))
            .order_by(ApiToken.id.desc())
        )
    )


def _scopes() -> list[OrgUnit]:
    """The units a token may be issued for: the administrator's own and the authorities below (not each school)."""
    return list(db().scalars(units_administered_by(me()).where(OrgUnit.level != OrgLevel.SCHOOL)))


@bp.get("/admin/api-tokens")
@requires(Role.ADMINISTRATOR)
def tokens() -> ResponseReturnValue:
    return render_template("feed/tokens.html", tokens=_tokens(), scopes=_scopes(), issued=None)


@bp.post("/admin/api-tokens")
@requires(Role.ADMINISTRATOR)
def issue() -> ResponseReturnValue:
    user = me()
    org = administered_unit_or_404(request.form.get("org_id", type=int) or user.org_id)
    try:
        row, text = feed.issue(db(), actor=user, org=org, name=request.form.get("name", ""))
    except DomainError as err:
        flash(err.message, "danger")
        return redirect(url_for("feed.tokens"))
    audit.record(
        db(), actor=user, action="签发数据交换令牌", entity="api_token", entity_id=row.id, before={},
        after={"name": row.name, "org": org.name},
    )  # fmt: skip
    db().commit()
    # The token is shown in this answer only: not in a flash message (the session cookie is signed, not secret).
    return render_template("feed/tokens.html", tokens=_tokens(), scopes=_scopes(), issued=(row, text))


@bp.post("/admin/api-tokens/<int:token_id>/revoke")
@requires(Role.ADMINISTRATOR)
def revoke(token_id: int) -> ResponseReturnValue:
    row = api_token_or_404(token_id)
    if row.active:
        feed.revoke(row, me())
        audit.record(
            db(), actor=me(), action="吊销数据交换令牌", entity="api_token", entity_id=row.id,
            before={"revoked": False}, after={"revoked": True},
        )  # fmt: skip
        db().commit()
        flash(f"已吊销「{row.name}」的令牌，之后的调用一律拒绝。", "success")
    return redirect(url_for("feed.tokens"))


# -- the API ----------------------------------------------------------------------------------------------------------


def _error(status: int, code: str, message: str, **headers: str) -> ResponseReturnValue:
    return jsonify({"error": code, "message": message}), status, headers


def _limiter() -> LoginThrottle:
    """Calls per token in the last minute (the login limit's sliding window, counting every call)."""
    limiter: LoginThrottle | None = current_app.extensions.get("xueji_feed_limit")
    if limiter is None:
        limiter = LoginThrottle(current_app.config["FEED_RATE_PER_MINUTE"], 60)
        current_app.extensions["xueji_feed_limit"] = limiter
    return limiter


def _since(value: str) -> datetime | None:
    if not value:
        return None
    try:
        return feed.utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError as err:
        raise DomainError("since 应为 ISO 8601 时间，例如 2026-09-01T00:00:00+08:00") from err


def _limit() -> int:
    asked = request.args.get("limit", type=int) or current_app.config["FEED_PAGE_SIZE"]
    return max(1, min(asked, current_app.config["FEED_PAGE_MAX"]))


@api.get("/students/changes")
def changes() -> ResponseReturnValue:
    presented = request.headers.get("Authorization", "")
    token = feed.holder(db(), presented.removeprefix("Bearer ").strip()) if presented.startswith("Bearer ") else None
    if token is None:
        return _error(401, "unauthorized", "令牌无效或已吊销", **{"WWW-Authenticate": "Bearer"})
    wait = _limiter().wait_seconds(f"token:{token.id}")
    if wait:
        return _error(429, "rate_limited", f"调用过于频繁，请 {wait} 秒后再试", **{"Retry-After": str(wait)})
    _limiter().failed(f"token:{token.id}")  # counts the call
    now = utcnow()
    try:
        page = feed.changes(
            db(),
            token,
            since=_since(request.args.get("since", "")),
            cursor=request.args.get("cursor", ""),
            limit=_limit(),
            until=now - timedelta(seconds=current_app.config["FEED_SETTLE_SECONDS"]),
        )
    except DomainError as err:
        return _error(400, "bad_request", err.message)
    token.last_used_at = now
    g.access_log_actor = (token.created_by_id, token.org_id)  # the reads are logged under the token's issuer
    access_log.saw([item["id"] for item in page.items], "数据交换接口", purpose=token.name[:200])
    db().commit()
    body: dict[str, Any] = {"items": page.items, "next_cursor": page.next_cursor, "cursor": page.cursor}
    return jsonify(body)


@api.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    description = Path(current_app.static_folder or "", "openapi.json").read_bytes()  # a few KB
    return Response(description, mimetype="application/json")
