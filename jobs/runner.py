"""Running one job: load its row, call its kind's handler with a progress callback, record the outcome.

Nothing half-done: a kind that writes does all its writing in one transaction, and the job's own ``done`` state
commits in that same transaction. A job that fails, is cancelled or whose worker dies leaves nothing written; run
again (a retry, a message delivered twice) it starts from scratch, and a job already done is not run again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from models.base import utcnow
from models.errors import DomainError
from models.job import Job, JobCancelled, JobState, Progress, no_progress

log = logging.getLogger(__name__)

Run = Callable[[Session, Job, Progress], dict[str, Any]]
After = Callable[[Session, Job], None]


@dataclass(frozen=True)
class Kind:
    # Does the work in the session (not committing); returns the result summary (JSON), with "result_file" the
    # name of a file it made for download, if any.
    run: Run
    writes: bool  # the work writes: its transaction commits with the job's done state, else it is rolled back
    after: After | None = None  # follow-up work of a done job, each piece its own transaction (e.g. opening cases)
    # The work commits item by item (each item idempotent: a retry skips what is done), instead of all at once.
    partial: bool = False


KINDS: dict[str, Kind] = {}


def kind(name: str, *, writes: bool, after: After | None = None, partial: bool = False) -> Callable[[Run], Run]:
    """Register a job kind: ``@kind("student_import.commit", writes=True)`` over ``run(session, job, progress)``."""

    def register(run: Run) -> Run:
        KINDS[name] = Kind(run, writes, after, partial)
        return run

    return register


def kinds() -> dict[str, Kind]:
    """Every job kind (their modules register them when imported)."""
    from jobs import exports, imports, keys, lifecycle, migration, prints, reports, workbench  # noqa: F401 -- registers them

    return KINDS


def left_behind(kind_name: str) -> str:
    """What cancelling or interrupting a job of this kind leaves behind, in the user's words."""
    return _left(kinds()[kind_name])


def execute(sessions: sessionmaker[Session], job_id: int, *, watched: bool = True) -> JobState | None:
    """Run the job if it still needs running; returns its final state (None: no such job)."""
    kinds()
    with sessions() as session:
        job = session.get(Job, job_id)
        if job is None or job.finished:
            return job.state if job else None  # a retried or twice-delivered message of finished work: nothing
        if job.cancel_requested:
            return _finish(session, job, JobState.CANCELLED, "已取消，未执行")
        job.state, job.attempts, job.started_at = JobState.RUNNING, job.attempts + 1, utcnow()
        job.done, job.total, job.stage, job.error = 0, 0, "", None
        session.commit()
        work = KINDS[job.kind]
    bind = sessions.kw["bind"]
    progress: Progress = Reporter(bind, job_id) if watched and isinstance(bind, Engine) else no_progress
    with sessions() as session:
        state = _run(session, job_id, work, progress)
        if state == JobState.DONE and work.after is not None:
            work.after(session, session.get_one(Job, job_id))
        return state


def _run(session: Session, job_id: int, work: Kind, progress: Progress) -> JobState:
    """The work, and the job's outcome: done in the work's own transaction, or failed or cancelled after its
    rollback, with the reason in Chinese."""
    try:
        if work.writes:
            _write_lock(session, job_id)
        result = work.run(session, session.get_one(Job, job_id), progress)
        if isinstance(progress, Reporter):
            result = {**result, "stages": progress.durations()}
        if not work.writes:
            session.rollback()  # nothing of the work is kept; the outcome below is a fresh transaction
        job = session.get_one(Job, job_id)
        job.result_file = result.pop("result_file", None)  # a file the work made (an export), for download
        job.result, job.done = result, job.total
        return _finish(session, job, JobState.DONE)
    except JobCancelled:
        state, message = JobState.CANCELLED, f"已取消，{_left(work)}"
    except DomainError as err:
        state, message = JobState.FAILED, err.message
    except Exception as err:
        log.exception("job %s failed", job_id)
        state, message = JobState.FAILED, f"任务出错，{_left(work)}，可以重试（{type(err).__name__}）"
    session.rollback()
    return _finish(session, session.get_one(Job, job_id), state, message)


def _left(work: Kind) -> str:
    """What an interrupted job left behind, in the user's words."""
    return "已办理的部分已保存（重试不会重复办理），其余未办理" if work.partial else "未写入任何数据"


def _finish(session: Session, job: Job, state: JobState, error: str | None = None) -> JobState:
    job.state, job.error, job.finished_at = state, error, utcnow()
    session.commit()
    return state


def _write_lock(session: Session, job_id: int) -> None:
    """SQLite: take the database's write lock before the work reads anything. A transaction that reads first and
    writes later fails outright if anyone (the progress reporter) committed in between; taken first, the
    reporter's writes wait instead and are skipped (the bar pauses while the work writes). PostgreSQL locks rows,
    not the database: the job row is left alone until the end so that the reporter can keep writing it."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(Job).where(Job.id == job_id).values(attempts=Job.attempts))


class Reporter:
    """The progress callback of a job run by a worker: writes done/total/stage to the job row on a connection of
    its own (committed at once, so the web sees it while the job's transaction is still open), at most every
    ``interval`` seconds and at each new stage, and raises ``JobCancelled`` once the user asked to cancel."""

    def __init__(self, bind: Engine, job_id: int, interval: float = 0.5) -> None:
        self.bind, self.job_id, self.interval = bind, job_id, interval
        self.stage = ""
        self.last = 0.0
        self.blocked = False  # SQLite: the job's own transaction holds the write lock (until the next stage)
        self.began: list[tuple[str, float]] = []  # each stage and when it began (monotonic)

    def __call__(self, done: int, total: int, stage: str = "") -> None:
        now = time.monotonic()
        new_stage = stage != self.stage
        if new_stage:
            self.began.append((stage, now))
        elif now - self.last < self.interval:
            return
        self.last = now
        values: dict[str, Any] = {"done": done, "total": total}
        if new_stage:
            self.stage, self.blocked = stage, False
            values |= {"stage": stage, "stage_started_at": utcnow()}
        if self._write(values):
            raise JobCancelled()

    def durations(self) -> list[list[Any]]:
        """[stage, seconds] of each stage so far, in order (the job page and the bench show them)."""
        ends = [began for _, began in self.began[1:]] + [time.monotonic()]
        return [[stage, round(end - began, 2)] for (stage, began), end in zip(self.began, ends, strict=True)]

    def _write(self, values: dict[str, Any]) -> bool:
        """Writes the progress unless SQLite is locked by the job itself; returns whether cancel was asked."""
        with self.bind.connect() as conn:
            if not self.blocked:
                try:
                    if conn.dialect.name == "sqlite":
                        conn.exec_driver_sql("PRAGMA busy_timeout = 100")
                    conn.execute(update(Job).where(Job.id == self.job_id).values(**values))
                    conn.commit()
                except OperationalError:
                    conn.rollback()
                    self.blocked = True
                finally:
                    if conn.dialect.name == "sqlite":
                        conn.exec_driver_sql("PRAGMA busy_timeout = 30000")
            cancel = conn.scalar(select(Job.cancel_requested).where(Job.id == self.job_id))
            conn.rollback()
        return bool(cancel)


INTERRUPTED = "后台任务进程中断，未写入任何数据，可以重试"


def fail_interrupted(sessions: sessionmaker[Session]) -> int:
    """Jobs left running by a worker that died: with the embedded broker there is one worker, so when it starts
    nothing can still be running, and its messages are not delivered again (a file once taken is gone). Their
    transactions were rolled back with the process; they become failed, to be retried. (Redis and RabbitMQ
    deliver an unacknowledged message again instead: the job then simply runs again.)"""
    with sessions() as session:
        stale = session.scalars(select(Job).where(Job.state == JobState.RUNNING)).all()
        for job in stale:
            job.state, job.error, job.finished_at = JobState.FAILED, INTERRUPTED, utcnow()
        session.commit()
        return len(stale)
