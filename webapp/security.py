"""Response headers, upload size limits and the login rate limit of the web app.

The content-security policy allows scripts and styles from the app only: no inline script, no inline style. The one
exception is a fixed list of ``style="..."`` attributes that the bpmn-js modeler writes into its own toolbar icons,
allowed by their hashes (read from the installed bundle, so an upgrade of bpmn-js brings its own list).
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from flask import Flask, current_app, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

MODELER_BUNDLE = ("bpmn-js", "dist", "bpmn-modeler.production.min.js")
_STYLE_ATTRIBUTE = re.compile(r'style="([^"$\\]*)"')
MB = 1024 * 1024


def init_app(app: Flask) -> None:
    app.extensions["xueji_login_throttle"] = LoginThrottle(
        app.config["LOGIN_IP_MAX_FAILURES"], app.config["LOGIN_IP_WINDOW_SECONDS"]
    )
    app.extensions["xueji_csp"] = content_security_policy(Path(app.config["ASSETS_DIR"]).joinpath(*MODELER_BUNDLE))
    if app.config["PROXY_HOPS"]:  # behind nginx: the client's address (for the login limit) and scheme
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    # First of all: CSRF protection reads the form (and so the body) in its own before_request.
    app.before_request_funcs.setdefault(None, []).insert(0, _upload_limit)
    app.after_request(_headers)
    app.register_error_handler(RequestEntityTooLarge, _too_large)


def content_security_policy(modeler_bundle: Path) -> str:
    hashes = sorted({_sha256(value) for value in _STYLE_ATTRIBUTE.findall(_text(modeler_bundle))})
    attributes = f"style-src-attr 'unsafe-hashes' {' '.join(hashes)}" if hashes else "style-src-attr 'none'"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            attributes,
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:  # no node_modules (e.g. a server without the modeler): no exception to allow
        return ""


def _sha256(value: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(value.encode()).digest()).decode() + "'"


def _headers(response: Any) -> Any:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Content-Security-Policy", current_app.extensions["xueji_csp"])
    if current_app.config["SESSION_COOKIE_SECURE"]:  # served over HTTPS: browsers must not fall back to HTTP
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


# -- uploads -----------------------------------------------------------------------------------------------------------


def _upload_limit() -> None:
    """Pages that take big files (an import of a county's pupils, a ZIP of photos) get a higher limit than the
    ``MAX_CONTENT_LENGTH`` of every other request; a body above it is refused unread (413)."""
    limit = current_app.config["UPLOAD_LIMITS"].get(request.endpoint)
    if limit is not None:
        request.max_content_length = limit


def _too_large(_err: RequestEntityTooLarge) -> ResponseReturnValue:
    limit = request.max_content_length or current_app.config["MAX_CONTENT_LENGTH"]
    message = f"上传的文件过大：此页面最多接受 {limit // MB} MB，请压缩或拆分成几个文件后分批上传。"
    return render_template("error.html", code=413, title="文件过大", message=message), 413


# -- login rate limit --------------------------------------------------------------------------------------------------


class LoginThrottle:
    """Failed logins per client address within a sliding window. Failures only: a school behind one address where
    everybody logs in at eight is not slowed down, a script trying passwords over many accounts is. Per process
    (each gunicorn worker counts its own), which bounds the rate at workers × limit."""

    def __init__(self, max_failures: int, window_seconds: float) -> None:
        self.max_failures, self.window = max_failures, window_seconds
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait_seconds(self, address: str) -> int:
        """0 when ``address`` may try to log in; else the seconds until its oldest counted failure expires."""
        now = time.monotonic()
        with self._lock:
            failures = self._recent(address, now)
            if len(failures) < self.max_failures:
                return 0
            return max(1, int(failures[0] + self.window - now) + 1)

    def failed(self, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent(address, now).append(now)
            if len(self._failures) > 10_000:  # forget addresses whose failures have all expired
                for stale in [a for a, f in self._failures.items() if not f or f[-1] <= now - self.window]:
                    del self._failures[stale]

    def _recent(self, address: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(address, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures


def login_throttle() -> LoginThrottle:
    throttle: LoginThrottle = current_app.extensions["xueji_login_throttle"]
    return throttle
