"""学籍导入 as jobs: the dry run and the commit of a kept upload (jobs/uploads.py), with progress.

The commit writes every row in one transaction that also marks its job done: a commit interrupted anywhere
leaves nothing, and a retried or twice-delivered commit of a done job does nothing. A second commit of the same
upload is the same job (its key), and a row already registered at the school is refused anyway (F-11)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

import engine
from handlers import student_import
from jobs import uploads
from jobs.runner import kind
from models.base import utcnow
from models.errors import DomainError
from models.job import Job, Progress
from models.user import User

log = logging.getLogger(__name__)

DRY_RUN = "student_import.dry_run"
COMMIT = "student_import.commit"
SHOWN_ERRORS = 500
SHOWN_WARNINGS = 200


def job_key(kind_name: str, owner_id: int, token: str, business_type: str) -> str:
    return f"{kind_name}:{owner_id}:{token}:{business_type}"


def _upload(session: Session, job: Job) -> tuple[User, bytes]:
    actor = session.get_one(User, job.started_by_id)
    data = uploads.read(actor.id, job.params["token"])
    if not data:
        raise DomainError("上传的文件已不在服务器上（已导入或超过一天），请重新上传")
    return actor, data


PREVIEW_ROWS = 10


def summary(report: student_import.ImportReport) -> dict[str, Any]:
    """What the job page shows of a report (JSON): the first errors and warnings, and how many there are."""

    validated = report.validated
    where = {number: i for i, number in enumerate(validated.numbers)} if validated else {}

    def name(number: int) -> str:
        return str(validated.values["name"][where[number]] or "") if validated and number in where else ""

    def rows(errors: list[student_import.RowError], limit: int) -> list[list[Any]]:
        return [[e.row, e.column, e.rule, e.message, name(e.row)] for e in errors[:limit]]

    preview = [
        [row.get("_row"), row.get("name"), row.get("sex"), row.get("birth_date"), row.get("class_no")]
        for row in report.rows[:PREVIEW_ROWS]
    ]
    return {
        "ok": report.ok,
        "rows": len(report.rows),
        "preview": preview if report.ok else [],
        # A file that is no workbook at all, or has no data: one message, nothing to download (row 0, 1 or 2).
        "unreadable": bool(report.errors) and not report.rows,
        "error_count": len(report.errors),
        "failed_rows": len(report.failed_rows()),
        "errors": rows(report.errors, SHOWN_ERRORS),
        "warning_count": len(report.warnings),
        "warnings": rows(report.warnings, SHOWN_WARNINGS),
    }


@kind(DRY_RUN, writes=False)
def dry_run(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
    actor, data = _upload(session, job)
    report = student_import.dry_run(
        session, actor=actor, data=data, business_type=job.params["business_type"], now=utcnow(), progress=progress
    )
    progress(0, 1, "保存检查结果")
    uploads.keep_validated(actor.id, job.params["token"], report.validated)
    _keep_errors(actor, job, report, progress)
    return summary(report)


def _keep_errors(actor: User, job: Job, report: student_import.ImportReport, progress: Progress) -> None:
    """The error workbook, made here while the whole report is at hand, so that its download is instant."""
    path = uploads.errors_path(actor.id, job.params["token"])
    without_cells = report.validated is not None and report.validated.cells is None  # a kept check's compact form
    if report.ok or without_cells:  # the download checks the file again then (webapp/registration.py)
        path.unlink(missing_ok=True)
        return
    progress(0, 1, "生成错误报告")
    path.write_bytes(student_import.error_workbook(report))


def _after_commit(session: Session, job: Job) -> None:
    """The upload is of no more use, and each duplicate found becomes a 问题学籍 case (F-11)."""
    if not job.result.get("ok"):
        return
    actor = session.get_one(User, job.started_by_id)
    uploads.forget(actor.id, job.params["token"])
    refused = open_problem_cases(session, actor, [tuple(pair) for pair in job.result.get("problems", [])])
    if refused:
        job.result = {**job.result, "case_errors": refused}
        session.commit()


@kind(COMMIT, writes=True, after=_after_commit)
def commit(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
    actor, data = _upload(session, job)
    report, committed = student_import.commit(
        session,
        actor=actor,
        data=data,
        business_type=job.params["business_type"],
        now=utcnow(),
        validated=uploads.validated(actor.id, job.params["token"]),
        progress=progress,
    )
    _keep_errors(actor, job, report, progress)
    return summary(report) | {"imported": len(committed.student_ids), "problems": committed.problems}


def open_problem_cases(session: Session, actor: User, pairs: list[tuple[int, int]]) -> list[str]:
    """F-11: a duplicate becomes a problem record at once: one 问题学籍处理 case per pair, each its own transaction.
    Returns the Chinese reasons of those that could not be started."""
    refused = []
    for student_id, other_id in pairs:
        try:
            engine.start(
                session, "problem_record", student_id=student_id, actor=actor, data={"other_student": str(other_id)}
            )
        except DomainError as err:
            refused.append(f"问题学籍处理未能发起：{err.message}")
    return refused
