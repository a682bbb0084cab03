"""Large exports (综合查询 to Excel, 导出招生excel) as jobs: the query and the workbook are made by a worker, the
file waits in the shared upload folder, and the job page offers it for download to whoever started it.

The workbook is the one the page would have sent (webapp/xlsx.py): the same columns, formula-safe cells, ID
numbers masked unless full values were asked for with a reason, and the watermark line naming who exported it
and when. The job writes nothing to the database but its own row, so it is
safe to cancel at any point; the file is written after the last progress report, whole or not at all."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from handlers import admission_results
from jobs.runner import kind
from models import queries
from models.job import Job, Progress
from models.user import User
from webapp import xlsx

EXPORT = "export.xlsx"
ADMISSION = "graduates_for_admission"
KEEP_SECONDS = 7 * 24 * 3600  # an export file is downloadable for a week, then swept
QUERIES: dict[str, Callable[..., queries.Page]] = {
    "pending_business": queries.pending_business,
    "status_changes": queries.status_changes,
    "graduates": queries.graduates,
    "rejected_graduates": queries.rejected_graduates,
}


def folder() -> Path:
    path = Path(current_app.config["IMPORT_DIR"]) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_of(job: Job) -> Path | None:
    """The job's workbook, if it is still there."""
    if not job.result_file:
        return None
    path = folder() / job.result_file
    return path if path.is_file() else None


def rows_of(session: Session, actor: User, query: str, filters: queries.Filters) -> tuple[list[str], list[list[Any]]]:
    """The headers and rows of an export, as the page's immediate download makes them."""
    if query == ADMISSION:
        students = queries.graduated_students(session, actor, filters)
        return list(admission_results.HEADERS), admission_results.graduates_for_admission(session, students)
    page = QUERIES[query](session, actor, filters, page=1, per_page=queries.EXPORT_LIMIT)
    return page.headers, page.rows


@kind(EXPORT, writes=False)
def export(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
    actor = session.get_one(User, job.started_by_id)
    title = job.params["title"]
    progress(0, 1, "查询")
    headers, rows = rows_of(session, actor, job.params["query"], queries.Filters(**job.params["filters"]))
    shown = rows if job.params.get("full") else xlsx.masked(headers, rows)
    data = xlsx.workbook_bytes(title, headers, shown, mark=xlsx.watermark(actor), progress=progress)
    _sweep()
    name = f"{job.id}-{job.attempts}.xlsx"
    partial = folder() / (name + ".part")
    partial.write_bytes(data)
    partial.rename(folder() / name)  # whole or not at all: a half-written file is never offered
    return {"message": f"已导出 {len(rows)} 条：{title}", "rows": len(rows), "result_file": name}


def _sweep() -> None:
    cutoff = time.time() - KEEP_SECONDS
    for path in folder().iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:  # another worker swept it first
            continue
