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
    INSTANCE_DIR = Path(os.environ.get("XUEJI_INSTANCE_DIR", ROOT / "instance"))
    DATABASE_URL = os.environ.get("XUEJI_DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'xueji.sqlite3'}")
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
    # Uploaded import files, kept so that the dry run, the commit and the error report read the same bytes; the
    # web and the workers must both reach it (one machine, or a shared volume).
    IMPORT_DIR = Path(
        os.environ.get("XUEJI_UPLOAD_DIR") or os.environ.get("XUEJI_IMPORT_DIR") or INSTANCE_DIR / "imports"
    )
    # Celery (jobs/): the embedded default needs no server (messages are files under BROKER_DIR, see jobs/__init__);
    # production names Redis or RabbitMQ, e.g. redis://127.0.0.1:6379/0 or amqp://guest:guest@127.0.0.1:5672//.
    BROKER_URL = os.environ.get("XUEJI_BROKER_URL", "filesystem://")
    BROKER_DIR = Path(os.environ.get("XUEJI_BROKER_DIR", INSTANCE_DIR / "broker"))
    BROKER_POLL_SECONDS = float(os.environ.get("XUEJI_BROKER_POLL_SECONDS", "0.5"))
    TICK_SECONDS = float(os.environ.get("XUEJI_TICK_SECONDS", "60"))  # the beat schedule of the periodic tick
    # One province deployed on its own (issue 15, federation/): its division code and the broker between the
    # provinces (RabbitMQ), its Ed25519 signing key and the public keys of the others ("110000=<base64>,...",
    # `flask federation keygen` makes a pair). Unset: the embedded default, every province in one database.
    PROVINCE_CODE = os.environ.get("XUEJI_PROVINCE_CODE", "")
    FEDERATION_URL = os.environ.get("XUEJI_FEDERATION_URL", "")
    FEDERATION_KEY = os.environ.get("XUEJI_FEDERATION_KEY", "")
    FEDERATION_PEERS = os.environ.get("XUEJI_FEDERATION_PEERS", "")
    FEDERATION_PREFIX = os.environ.get("XUEJI_FEDERATION_PREFIX", "xueji")
    # Run jobs inside the request that submits them instead of on a worker: only for the web tests, whose app
    # lives inside one rolled-back transaction that no worker could see.
    JOBS_INLINE = False
    # An export of more rows than this is made by a job (its page offers the file); smaller ones download at once.
    EXPORT_INLINE_ROWS = int(os.environ.get("XUEJI_EXPORT_INLINE_ROWS", "5000"))
    # Production refuses to start with the demo secret key or a user whose password is the demo password.
    PRODUCTION = _flag("XUEJI_PRODUCTION", False)
    # Encryption at rest (issue 22 item 1, models/crypto.py): the keys come from XUEJI_DATA_KEYS (with
    # XUEJI_DATA_KEY_CURRENT and XUEJI_INDEX_KEY), or the key file XUEJI_DATA_KEY_FILE, or a key service: a
    # "module:factory" returning a models.crypto.KeyProvider. Unset: instance/data_keys.json, made on first use
    # (the embedded default only; production refuses to start without keys of its own).
    DATA_KEY_PROVIDER = os.environ.get("XUEJI_DATA_KEY_PROVIDER", "")
    DATA_KEY_FILE = os.environ.get("XUEJI_DATA_KEY_FILE", "")
    # Off only to measure what encryption costs (bench/); production refuses it.
    ENCRYPTION = _flag("XUEJI_ENCRYPTION", True)
    # Cipher of the keys `flask xueji rotate-key --new-key` adds: aes-gcm, or sm4-gcm for national algorithms.
    DATA_KEY_CIPHER = os.environ.get("XUEJI_DATA_KEY_CIPHER", "aes-gcm")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _flag("XUEJI_SECURE_COOKIES", True)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    WTF_CSRF_TIME_LIMIT = 8 * 3600

    # Sessions (issue 22 item 5): signed out after this long without a request, and after this long whatever;
    # the page warns this many seconds before. One active session per account when SINGLE_SESSION is on.
    SESSION_IDLE_MINUTES = int(os.environ.get("XUEJI_SESSION_IDLE_MINUTES", "30"))
    SESSION_MAX_HOURS = int(os.environ.get("XUEJI_SESSION_MAX_HOURS", "8"))
    SESSION_WARN_SECONDS = int(os.environ.get("XUEJI_SESSION_WARN_SECONDS", "120"))
    SINGLE_SESSION = _flag("XUEJI_SINGLE_SESSION", False)
    # The demo administrators' TOTP secret (demo data only; production refuses to start while a user has it).
    DEMO_TOTP_SECRET = "XUEJIDEMOXUEJIDEMOXUEJIDEMO23456"  # noqa: S105 -- documented, like DEMO_PASSWORD
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    PASSWORD_MIN_LENGTH = int(os.environ.get("XUEJI_PASSWORD_MIN_LENGTH", "8"))
    PASSWORD_MIN_CLASSES = int(os.environ.get("XUEJI_PASSWORD_MIN_CLASSES", "3"))  # of 大写、小写、数字、符号
    # 统计报表 (F-57): the periodic tick recounts the per-school figures when they are older than this (0: never).
    REPORT_REFRESH_MINUTES = int(os.environ.get("XUEJI_REPORT_REFRESH_MINUTES", "60"))
    # 数据交换 (F-63): calls a minute per token; rows a page (default, most); changes younger than the settle time
    # wait for the next call, so that a transaction still committing an earlier timestamp is not passed over.
    FEED_RATE_PER_MINUTE = int(os.environ.get("XUEJI_FEED_RATE_PER_MINUTE", "60"))
    FEED_PAGE_SIZE = 100
    FEED_PAGE_MAX = 1000
    FEED_SETTLE_SECONDS = float(os.environ.get("XUEJI_FEED_SETTLE_SECONDS", "5"))
    # Retention (issue 22 item 7): the personal fields of records whose pupil left this many years ago are
    # anonymised by a daily job; 0 = never (the bureau decides the period, e.g. 30 years after leaving).
    RETENTION_YEARS = int(os.environ.get("XUEJI_RETENTION_YEARS", "0"))
    # Audit and access-log rows older than this (at least 180 days, GB/T 22239 8.1.4.3) move to gzip JSON-lines
    # files under LOG_ARCHIVE_DIR, daily (beat) or by `flask xueji archive-logs`; the chain check continues.
    LOG_RETENTION_DAYS = int(os.environ.get("XUEJI_LOG_RETENTION_DAYS", "180"))
    LOG_ARCHIVE_DIR = Path(os.environ.get("XUEJI_LOG_ARCHIVE_DIR", INSTANCE_DIR / "log_archive"))
    ACCOUNT_DORMANT_DAYS = int(os.environ.get("XUEJI_ACCOUNT_DORMANT_DAYS", "180"))  # 长期未用账号封存
    PAGE_SIZE = 50
    # Static files (CSS, the page scripts) are cached by browsers and proxies for an hour, revalidated by ETag after.
    SEND_FILE_MAX_AGE_DEFAULT = 3600
    # Bodies above these are refused unread, with a Chinese 413 page: any request (a form with a few evidence files
    # of at most 5 MB, a diagram), and the pages that take a county's import or a ZIP of a school's photos.
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    # A registration import: 100,000 rows of the template are some 20 MB as Excel saves them.
    MAX_IMPORT_LENGTH = int(os.environ.get("XUEJI_MAX_IMPORT_MB", "100")) * 1024 * 1024
    UPLOAD_LIMITS = {
        "registration.import_file": MAX_IMPORT_LENGTH,
        "admissions.results_import": 64 * 1024 * 1024,
        "registration.photo_upload": 128 * 1024 * 1024,
        "seals.verify": 21 * 1024 * 1024,
    }
    # Failed logins from one address within the window before that address must wait (per account: LOGIN_MAX_*).
    LOGIN_IP_MAX_FAILURES = 20
    LOGIN_IP_WINDOW_SECONDS = 300
    # Reverse proxies in front of the app (nginx: 1) whose X-Forwarded-For/-Proto are trusted; 0 = none.
    PROXY_HOPS = int(os.environ.get("XUEJI_PROXY_HOPS", "0"))


def instance_secret_key(folder: Path = Config.INSTANCE_DIR) -> str:
    path = folder / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
