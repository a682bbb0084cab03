"""The Celery tasks: thin entry points over jobs/runner.py and jobs/periodic.py."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from flask import current_app

from handlers import retention as retention_policy
from jobs import ARCHIVE_LOGS, RETENTION, RUN_JOB, TICK, periodic, runner
from models.base import utcnow


@shared_task(name=RUN_JOB)
def run_job(job_id: int) -> None:
    runner.execute(current_app.extensions["xueji_sessionmaker"], job_id)


@shared_task(name=TICK)
def tick() -> None:
    """The beat schedule's periodic tick (timers, escalation, the dropout clock, the promotion moment, delivery)."""
    with current_app.extensions["xueji_sessionmaker"]() as session:
        days = current_app.config["ACCOUNT_DORMANT_DAYS"]
        minutes = current_app.config["REPORT_REFRESH_MINUTES"]
        periodic.record(session, periodic.tick(session, dormant_days=days, report_minutes=minutes))


@shared_task(name=RETENTION)
def retention() -> int:
    """Daily (when XUEJI_RETENTION_YEARS is set): anonymise the records past their retention period."""
    years = current_app.config["RETENTION_YEARS"]
    if not years:
        return 0
    with current_app.extensions["xueji_sessionmaker"]() as session:
        done = retention_policy.run(session, utcnow(), years, dry_run=False)
        session.commit()
        return len(done)


@shared_task(name=ARCHIVE_LOGS)
def archive_logs() -> int:
    """Daily: audit and access-log rows past their retention move to the archive files."""
    with current_app.extensions["xueji_sessionmaker"]() as session:
        return periodic.archive_logs(
            session, current_app.config["LOG_ARCHIVE_DIR"], days=current_app.config["LOG_RETENTION_DAYS"]
        )


@worker_ready.connect
def _interrupted_jobs(sender: Any = None, **_kwargs: Any) -> None:
    """A ``celery worker`` starting on the embedded broker fails the jobs its dead predecessor left running."""
    app = sender.app if sender is not None else None
    flask_app = getattr(app, "flask_app", None)
    if flask_app is None or not flask_app.config["BROKER_URL"].startswith("filesystem://"):
        return
    with flask_app.app_context():
        runner.fail_interrupted(flask_app.extensions["xueji_sessionmaker"])
