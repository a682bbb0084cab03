"""批量办理 from the workbench as a job: each task is approved through its own form in its own transaction
(engine.bulk_approve), so the job commits task by task; a task already approved by this user counts as done, so a
retried or cancelled-and-restarted batch approves nothing twice and still lists every task's outcome."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

import engine
from jobs.runner import kind
from models.job import Job, Progress
from models.user import User

BULK = "workbench.bulk"
STAGE = "批量办理"


@kind(BULK, writes=False, partial=True)
def bulk(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
    actor = session.get_one(User, job.started_by_id)
    task_ids: list[int] = job.params["task_ids"]
    opinion: str = job.params["opinion"]

    def between_tasks(done: int, total: int) -> None:
        # Each task has committed (or written nothing) by now. The reads since then end here, before the progress
        # write, so that the next task's transaction begins after it: SQLite refuses a write in a transaction
        # that began before another connection's commit.
        session.rollback()
        progress(done, total, STAGE)

    between_tasks(0, len(task_ids))
    results = engine.bulk_approve(session, task_ids, actor=actor, opinion=opinion, progress=between_tasks)
    done = sum(r.done for r in results)
    return {
        "message": f"共 {len(results)} 项：成功 {done} 项，未办理 {len(results) - done} 项。",
        "results": [[r.task_id, r.title, r.student, r.done, r.message] for r in results],
    }
