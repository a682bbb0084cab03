"""Long work off the request path: the Celery app (configured from the Flask app's settings, which come from the
environment), creating and submitting jobs, and the beat schedule of the periodic tick.

Entry points like webapp/, just as thin: a task loads the job row, calls a handler with a progress callback and
records the result (jobs/runner.py). Handlers never import Celery; they get a ``models.job.Progress``.

The embedded default broker is kombu's filesystem transport: messages are files in ``instance/broker/``, so the
web process, one worker and beat started by ``make run`` share a queue with no server to run. It is chosen over
kombu's SQLAlchemy transport on a SQLite file because that transport polls its tables from every process and
takes SQLite's single write lock for each poll and acknowledgement, which then competes with the application's
own writes (an import commit holds that lock for seconds); plain files are locked one message at a time. The
filesystem transport has no broadcast, so workers run without gossip, mingle and heartbeats (nothing needs them
with one worker). In production XUEJI_BROKER_URL names Redis or RabbitMQ.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from celery import Celery, Task
from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.job import Job, JobState
from models.user import User

RUN_JOB = "xueji.run_job"
TICK = "xueji.tick"
RETENTION = "xueji.retention"
ARCHIVE_LOGS = "xueji.archive_logs"


def init_app(app: Flask) -> Celery:
    """The Celery app of this Flask app (Flask's documented pattern: every task runs in an app context)."""

    class FlaskTask(Task):  # type: ignore[misc]
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.config_from_object(celery_settings(app.config))
    celery.set_default()
    celery.flask_app = app  # type: ignore[attr-defined]  # for the worker's signal handlers (jobs/tasks.py)
    app.extensions["celery"] = celery
    from jobs import tasks  # noqa: F401 -- registers the shared tasks

    return celery


def celery_settings(config: Any) -> dict[str, Any]:
    broker = config["BROKER_URL"]
    Path(config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)  # beat keeps its schedule's state there
    settings: dict[str, Any] = {
        "broker_url": broker,
        "task_ignore_result": True,  # a job's outcome is its row in the job table, not a result backend
        "task_acks_late": True,  # a worker that dies mid-job leaves the message to be delivered again
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,  # one long job must not hold the next ones hostage
        "broker_connection_retry_on_startup": True,
        "timezone": "Asia/Shanghai",
        "beat_schedule": {
            "tick": {"task": TICK, "schedule": timedelta(seconds=config["TICK_SECONDS"])},
            **({"retention": {"task": RETENTION, "schedule": timedelta(days=1)}} if config["RETENTION_YEARS"] else {}),
            "archive-logs": {"task": ARCHIVE_LOGS, "schedule": timedelta(days=1)},
        },
        "beat_schedule_filename": str(Path(config["INSTANCE_DIR"]) / "celerybeat-schedule"),
    }
    if broker.startswith("filesystem://"):
        folder = Path(config["BROKER_DIR"])
        for sub in ("", "processed"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        settings["broker_transport"] = "jobs.broker:Transport"
        settings["broker_transport_options"] = {
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),  # kombu's default is a "control" folder in the working one
            "store_processed": False,
            "polling_interval": config["BROKER_POLL_SECONDS"],
        }
    return settings


def create(
    session: Session,
    *,
    key: str,
    kind: str,
    title: str,
    actor: User | None,
    params: dict[str, Any],
) -> tuple[int, bool]:
    """The job of this key: a new one (committed, not yet submitted), or the one already there, which the same
    work submitted twice (a double click, a second confirm of one upload) finds instead of doing the work again.
    Returns (job id, created)."""
    job = Job(
        key=key,
        kind=kind,
        title=title,
        started_by_id=actor.id if actor else None,
        org_id=actor.org_id if actor else None,
        params=params,
        state=JobState.QUEUED,
    )
    try:
        with session.begin_nested():
            session.add(job)
        job_id = job.id  # read before the commit: reading it after would begin a transaction the job cannot see
        session.commit()
    except IntegrityError:
        session.rollback()
        return session.scalars(select(Job.id).where(Job.key == key)).one(), False
    return job_id, True


def start(
    session: Session,
    *,
    key: str,
    kind: str,
    title: str,
    actor: User | None,
    params: dict[str, Any],
) -> int:
    """Create and submit the job of this key. The same work asked for again finds its job: still queued, running
    or done, it is shown as it is (never done twice); failed or cancelled, it is queued again (a retry, which
    starts from nothing since a failed or cancelled job wrote nothing). Returns the job id."""
    job_id, created = create(session, key=key, kind=kind, title=title, actor=actor, params=params)
    if not created:
        if session.get_one(Job, job_id).state not in (JobState.FAILED, JobState.CANCELLED):
            return job_id
        requeue(session, job_id)
        return job_id
    submit(job_id)
    return job_id


def requeue(session: Session, job_id: int) -> None:
    """Run a failed or cancelled job again as the same job: what it writes commits with its done state, so at
    most once."""
    job = session.get_one(Job, job_id)
    job.state, job.error, job.finished_at, job.cancel_requested = JobState.QUEUED, None, None, False
    session.commit()
    submit(job_id)


def submit(job_id: int) -> None:
    """Hand a committed job to a worker. ``JOBS_INLINE`` (the web tests, whose app lives inside one rolled-back
    transaction that no worker can see) runs it here instead, through the same runner."""
    if current_app.config["JOBS_INLINE"]:
        from jobs import runner

        runner.execute(current_app.extensions["xueji_sessionmaker"], job_id, watched=False)
        return
    current_app.extensions["celery"].tasks[RUN_JOB].delay(job_id)
