"""The Celery entry point of XueJi: ``celery -A webapp.worker worker`` and ``celery -A webapp.worker beat``. The
Flask app is built once per process (settings from XUEJI_* environment variables); its tasks run in its context."""

from __future__ import annotations

from webapp import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
