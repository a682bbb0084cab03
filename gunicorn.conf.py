"""gunicorn settings of XueJi in production (see Procfile): ``gunicorn -c gunicorn.conf.py``. The app reads its
own settings from XUEJI_* environment variables; these are only the server's, overridable the same way."""

from __future__ import annotations

import multiprocessing
import os

wsgi_app = "webapp:create_app()"
bind = os.environ.get("XUEJI_BIND", "127.0.0.1:8000")  # behind a reverse proxy (TLS, static files if it likes)
# Requests are short (long work goes to the Celery workers): a few sync workers per core, stateless.
workers = int(os.environ.get("XUEJI_WEB_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
timeout = int(os.environ.get("XUEJI_WEB_TIMEOUT", "60"))
graceful_timeout = 30
max_requests = 2000  # recycle workers now and then: a slow leak never becomes an outage
max_requests_jitter = 200
forwarded_allow_ips = os.environ.get("XUEJI_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
preload_app = False  # each worker builds its own database engine (no connections shared across fork)
