"""统计报表 (F-57) as a job: the recount of the per-school figures, asked for from the statistics page. The periodic
tick does the same when the figures are older than REPORT_REFRESH_MINUTES."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from jobs.runner import kind
from models import reports
from models.job import Job, Progress

REFRESH = "reports.refresh"


@kind(REFRESH, writes=True)
def refresh(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
    progress(0, 1, "统计各校学生人数")
    return {"rows": reports.refresh(session)}
