"""Every setting of the web app, once, with its default. Environment variables override (XUEJI_*)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


class Config:
    DATABASE_URL = os.environ.get("XUEJI_DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'xueji.sqlite3'}")
    # Unset: a key kept in instance/secret_key (created once), so restarts keep people logged in.
    SECRET_KEY = os.environ.get("XUEJI_SECRET_KEY")
    # Demo mode shows the demo password on the login page; never on in production.
    DEMO_MODE = _flag("XUEJI_DEMO", False)
    DEMO_PASSWORD = "Xueji@2026"  # noqa: S105 -- the documented demo password, shown only in demo mode
    # Front-end packages installed by npm (Bootstrap, bpmn-js) are served from here: no CDN on school intranets.
    ASSETS_DIR = Path(os.environ.get("XUEJI_ASSETS_DIR", ROOT / "node_modules"))
    # Times are stored in UTC and shown in this zone on every page and export (a tz database name).
    TIMEZONE = os.environ.get("XUEJI_TIMEZONE", "Asia/Shanghai")
    PROCESSES_DIR = ROOT / "processes"
    # Uploaded import files, kept so that the dry run, the commit and the error report read the same bytes.
    IMPORT_DIR = Path(os.environ.get("XUEJI_IMPORT_DIR", ROOT / "instance" / "imports"))

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _flag("XUEJI_SECURE_COOKIES", True)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    WTF_CSRF_TIME_LIMIT = 8 * 3600

    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    PAGE_SIZE = 50
    MAX_CONTENT_LENGTH = 4 * 1024 * 1024  # uploads (diagrams) are small; refuse anything bigger unread


def instance_secret_key() -> str:
    path = ROOT / "instance" / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
