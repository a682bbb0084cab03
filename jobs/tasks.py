"""The Celery tasks: thin entry points over jobs/runner.py and jobs/periodic.py."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from jobs import RUN_JOB, TICK, periodic, runner


@shared_task(name=RUN_JOB)
def run_job(job_id: int) -> None:
    runner.execute(current_app.extensions["xueji_sessionmaker"], job_id)


@shared_task(name=TICK)
def tick() -> None:
    """The beat schedule's periodic tick (timers, escalation, the dropout clock, the promotion moment, delivery)."""
    with current_app.extensions["xueji_sessionmaker"]() as session:
        periodic.record(session, periodic.tick(session))
