"""The periodic tick, one function for ``flask xueji tick`` and the beat schedule."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import engine
from handlers import accounts, promotion
from models import log_archive, reports, seals
from models.base import utcnow
from models.job import Job, JobState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ticked:
    cases: int  # due timers fired (escalation, deadlines, the dropout clock); the exchange is delivered too
    promotions: int  # F-38: the promotion moment is a tick like any timer
    sealed: int = 0  # audit and access-log rows sealed into their hash chains (models/seals.py)
    dormant: int = 0  # 长期未用账号封存 (R27)
    reports: bool = False  # the per-school figures of the statistics pages were recounted (F-57)


def tick(
    session: Session, now: datetime | None = None, *, dormant_days: int | None = None, report_minutes: int = 0
) -> Ticked:
    """Timers, promotions, log seals and, given ``dormant_days``, the sealing of accounts unused that long; the
    statistics' recount when older than ``report_minutes``."""
    now = now or utcnow()
    cases = engine.tick(session, now)
    runs = promotion.run_due(session, now)
    sealed = sum(seals.seal(session, chain) for chain in seals.CHAINS)
    dormant = accounts.seal_dormant(session, now, dormant_days) if dormant_days else []
    session.commit()
    recounted = reports.refresh_if_due(session, now, report_minutes)  # after the commit: minutes on a province
    session.commit()
    ticked = Ticked(cases, len(runs), sealed, len(dormant), recounted)
    log.info("tick: %s", ticked)
    return ticked


def archive_logs(session: Session, folder: Path, *, days: int, now: datetime | None = None) -> int:
    """Seal what arrived, then move the sealed audit and access-log rows older than ``days`` to archive files;
    commits chain by chain and returns the rows moved."""
    moved = 0
    for chain in log_archive.CHAINS:
        seals.seal(session, chain)
        done = log_archive.archive(session, chain, folder, days=days, now=now)
        session.commit()
        moved += done.rows if done else 0
    return moved


TICK_KEY = "tick"


def record(session: Session, ticked: Ticked) -> None:
    """The scheduler's last tick, in one job row (key "tick") rather than one row a minute: when beat last ran and
    what it did, for an operator asking whether the scheduler is alive."""
    job = session.scalars(select(Job).where(Job.key == TICK_KEY)).one_or_none()
    if job is None:
        job = Job(key=TICK_KEY, kind="tick", title="定时事件", params={}, attempts=0, started_at=utcnow())
        try:
            with session.begin_nested():
                session.add(job)
        except IntegrityError:  # another worker's tick created it meanwhile
            return
    job.state, job.attempts, job.finished_at = JobState.DONE, job.attempts + 1, utcnow()
    job.result = {
        "cases": ticked.cases,
        "promotions": ticked.promotions,
        "sealed": ticked.sealed,
        "dormant": ticked.dormant,
        "reports": ticked.reports,
    }
    session.commit()
