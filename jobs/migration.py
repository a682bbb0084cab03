"""Bulk migration of running cases to a diagram's current version, as a job. Each case moves in a transaction of
its own (engine.versions.migrate), so the job is safe to cancel or retry at any point: a case already moved is
reported as already on the version, never moved twice."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine import versions
from jobs.runner import kind
from models.job import Job, Progress
from models.user import User
from models.workflow import ProcessVersion

MIGRATE = "processes.migrate"
CHUNK = 20  # cases between two progress reports (and cancel checks)
SHOWN = 1000


@kind(MIGRATE, writes=False, partial=True)
def migrate(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
    actor = session.get_one(User, job.started_by_id)
    target = session.get_one(ProcessVersion, job.params["target_id"])
    case_ids: list[int] = job.params["case_ids"]
    results: list[versions.MigrationResult] = []
    for start in range(0, len(case_ids), CHUNK):
        # Each case has committed by now; end the reads since then before the progress write, so that the next
        # chunk's transaction begins after it (SQLite refuses a write in a transaction older than another commit).
        session.rollback()
        progress(start, len(case_ids), "迁移在办业务")
        results += versions.migrate(session, case_ids[start : start + CHUNK], target, by=actor)
    progress(len(case_ids), len(case_ids), "迁移在办业务")
    return {
        "target_version": target.version_no,
        "total": len(results),
        "moved": sum(r.migrated for r in results),
        "results": [[r.case_id, r.title, r.migrated, r.message] for r in results[:SHOWN]],
    }
