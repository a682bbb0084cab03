"""升级 and 毕业 batches as jobs on a real Celery worker (celery.contrib.testing's worker thread over the embedded
broker) and a database of this module's own with real commits: progress is reported, a batch that breaks midway
writes nothing, and its retry leaves the registry exactly as one successful run would."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

import jobs
from conftest import PASSWORD, own_database
from handlers import graduation, promotion
from jobs import RUN_JOB, runner
from jobs.lifecycle import PROMOTE
from models import transitions
from models.access_log import AccessLog
from models.audit import AuditEvent
from models.business_calendar import grade_year
from models.job import Job, JobState
from models.lifecycle import PromotionRun, PromotionStatus
from models.org import Cohort, SchoolClass
from models.student import Student, StudentStatus
from models.user import User
from models.workflow import InboxTask, ProcessInstance, TaskStatus
from tests.test_jobs import make_app, reported, wait_for  # noqa: F401 -- reported is a fixture

REGISTRAR = "nanming-cz-registrar"
PROVINCE = "guizhou-province"


@pytest.fixture(scope="module")
def jobs_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with own_database("batches", tmp_path_factory.mktemp("batches_db")) as db_engine:
        yield db_engine


@pytest.fixture
def app(jobs_db: Engine, tmp_path: Path) -> Any:
    return make_app(jobs_db, tmp_path)


@pytest.fixture
def worker(app: Any) -> Iterator[Any]:
    from celery.contrib.testing.worker import start_worker

    with start_worker(app.extensions["celery"], pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield app.extensions["celery"]


@pytest.fixture
def db(jobs_db: Engine) -> Iterator[Session]:
    with Session(jobs_db) as session:
        yield session


def login(app: Any, username: str) -> Any:
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def started(response: Any) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("job=", 1)[1])


def audit_count(db: Session, action: str) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)) or 0


def final_class(db: Session, registrar: str, index: int = 0) -> SchoolClass:
    school_id = db.scalars(select(User.org_id).where(User.username == registrar)).one()
    cohort = db.scalars(select(Cohort).where(Cohort.school_id == school_id).order_by(Cohort.cohort_year)).first()
    assert len(cohort.classes) >= 2  # noqa: PLR2004 -- one for the graduation job, one for the export
    return cohort.classes[index]


def graduate_a_class(db: Session, registrar: str) -> None:
    actor = db.scalars(select(User).where(User.username == registrar)).one()
    pupils = graduation.class_students(db, final_class(db, registrar, -1).id)
    graduation.graduate(db, actor, pupils, on=date(2027, 7, 1))
    db.commit()


def test_a_graduation_job_reports_progress_and_its_retry_graduates_each_student_once(
    worker, app, db, monkeypatch, request
):
    writes = request.getfixturevalue("reported")  # tests/test_jobs.py: every progress write of the worker
    school_class = final_class(db, REGISTRAR)
    pupils = db.scalars(
        select(Student.id).where(Student.class_id == school_class.id, Student.status == StudentStatus.IN_SCHOOL)
    ).all()
    assert len(pupils) >= 2
    before = audit_count(db, "学生毕业：毕业")

    original, moved = transitions.change_status, []

    def dies_at_the_second(*args: Any, **kwargs: Any) -> Any:
        if len(moved) == 1:
            moved.append("died")
            raise OSError("worker lost")
        moved.append("moved")
        return original(*args, **kwargs)

    monkeypatch.setattr(transitions, "change_status", dies_at_the_second)
    client = login(app, REGISTRAR)
    page = client.get("/lifecycle/graduation").get_data(as_text=True)
    form = {"class_id": school_class.id, "batch": re.search(r'name="batch" value="(\w+)"', page).group(1)}
    job_id = started(client.post("/lifecycle/graduation", data=form))
    failed = wait_for(db, job_id)
    assert failed.state == JobState.FAILED and "未写入任何数据" in failed.error
    graduated = select(func.count()).select_from(Student).where(Student.id.in_(pupils), Student.status != "in_school")
    assert db.scalar(graduated) == 0 and audit_count(db, "学生毕业：毕业") == before
    page = client.get(f"/lifecycle/graduation?job={job_id}").get_data(as_text=True)
    assert "任务出错" in page and 'data-testid="job-outcome"' in page

    # Confirmed again: the same job (its key), queued again, and this time it runs through.
    assert started(client.post("/lifecycle/graduation", data=form)) == job_id
    done = wait_for(db, job_id)
    assert done.state == JobState.DONE and done.attempts == 2, done.error
    db.rollback()
    assert db.scalar(graduated) == len(pupils)
    assert audit_count(db, "学生毕业：毕业") == before + len(pupils)
    stages = [w for w in writes if w["stage"] == "办理毕业"]
    assert stages[-1]["done"] == stages[-1]["total"] == len(pupils)
    page = client.get(f"/lifecycle/graduation?job={job_id}").get_data(as_text=True)
    assert f"{school_class.name}：全班 {len(pupils)} 名学生已毕业" in page
    watched = app.test_cli_runner().invoke(args=["xueji", "watch-job", str(job_id)])  # the terminal's bar
    assert (
        watched.exit_code == 0 and "办理毕业" in watched.output and f"全班 {len(pupils)} 名学生已毕业" in watched.output
    )

    # The message delivered again, the job run again by hand: nothing more is written.
    worker.tasks[RUN_JOB].delay(job_id)
    assert runner.execute(app.extensions["xueji_sessionmaker"], job_id) == JobState.DONE
    assert audit_count(db, "学生毕业：毕业") == before + len(pupils)


def test_a_promotion_job_broken_midway_leaves_the_year_and_its_retry_promotes_once(
    worker, app, db, monkeypatch, request
):
    writes = request.getfixturevalue("reported")  # tests/test_jobs.py: every progress write of the worker
    province = db.scalars(select(User).where(User.username == PROVINCE)).one()
    year = grade_year(db, province.org_id)
    run = promotion.schedule(db, province, province_id=province.org_id, promote_at=datetime(2100, 1, 1, tzinfo=UTC))
    db.commit()
    run_id = run.id
    before = audit_count(db, "升级")

    original, calls = promotion.report, []

    def breaks_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("worker lost")  # after the run was marked done, before its report
        return original(*args, **kwargs)

    monkeypatch.setattr(promotion, "report", breaks_once)
    client = login(app, PROVINCE)
    assert "立即升级" in client.get("/lifecycle/promotion").get_data(as_text=True)
    job_id = started(client.post(f"/lifecycle/promotion/{run_id}/run"))
    assert wait_for(db, job_id).state == JobState.FAILED
    db.rollback()
    assert grade_year(db, province.org_id) == year and audit_count(db, "升级") == before
    assert db.get_one(PromotionRun, run_id).status == PromotionStatus.SCHEDULED

    assert started(client.post(f"/lifecycle/promotion/{run_id}/run")) == job_id  # the same job, run again
    done = wait_for(db, job_id)
    assert done.state == JobState.DONE and done.attempts == 2, done.error
    db.rollback()
    assert grade_year(db, province.org_id) == year + 1 and audit_count(db, "升级") == before + 1
    assert {w["stage"] for w in writes} >= {"升级", "统计在校学生"}
    page = client.get(f"/lifecycle/promotion?job={job_id}").get_data(as_text=True)
    assert f"已升级：{year}→{year + 1}学年" in page

    # Another job of the same run (a second key) is refused by the run's state and the database, not by luck.
    other, _ = jobs.create(
        db, key=f"{PROMOTE}:again", kind=PROMOTE, title="再次升级", actor=province, params={"run_id": run_id}
    )
    assert runner.execute(app.extensions["xueji_sessionmaker"], other, watched=False) == JobState.FAILED
    db.rollback()
    assert "不能再次执行" in db.get_one(Job, other).error
    assert grade_year(db, province.org_id) == year + 1 and audit_count(db, "升级") == before + 1
    done_runs = select(func.count()).select_from(PromotionRun).where(PromotionRun.status == PromotionStatus.DONE)
    assert db.scalar(done_runs) == 1


def test_a_large_export_is_a_job_whose_workbook_its_starter_downloads_with_the_watermark(worker, app, db, request):
    writes = request.getfixturevalue("reported")
    graduate_a_class(db, REGISTRAR)  # graduates of the county to export
    county = login(app, "nanming-county")
    at_once = sheet(county.get("/lifecycle/graduates?format=xlsx"))  # small: downloaded at once, as before
    app.config["EXPORT_INLINE_ROWS"] = 0  # every export is large now
    response = county.get("/lifecycle/graduates?format=xlsx&school_id=")
    assert response.status_code == 302
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    job = wait_for(db, job_id)
    assert job.state == JobState.DONE and job.result["rows"] == len(at_once[1]) - 1 > 0, job.error
    assert {w["stage"] for w in writes} >= {"查询", "写入Excel"}
    page = county.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert f"已导出 {job.result['rows']} 条：毕业生查询" in page and 'data-testid="job-download"' in page
    watched = app.test_cli_runner().invoke(args=["xueji", "watch-job", str(job_id)])  # the terminal's bar
    assert watched.exit_code == 0 and "写入Excel" in watched.output and "已导出" in watched.output
    book = county.get(f"/jobs/{job_id}/file")
    assert "attachment" in book.headers["Content-Disposition"]
    header, rows = sheet(book)
    assert rows == at_once[1] and rows[0][:3] == ["姓名", "性别", "学籍号"]
    assert header.startswith("导出：") and "不得外传" in header  # the watermark line, as the page's export has it
    other = login(app, "yunyan-county")
    assert other.get(f"/jobs/{job_id}/file").status_code == 404
    db.rollback()
    logged = select(func.count()).select_from(AccessLog).where(AccessLog.page == "导出：毕业生查询")
    assert db.scalar(logged) >= 2  # the immediate export and the download of the job's file


def sheet(response: Any) -> tuple[str, list[list[Any]]]:
    assert response.mimetype.endswith("spreadsheetml.sheet"), response.status_code
    data = response.data
    response.close()  # a file sent from disk stays open until then
    book = load_workbook(BytesIO(data))
    rows = [list(row) for row in book.active.iter_rows(values_only=True)]
    return book.active.oddHeader.center.text or "", rows


def test_a_bulk_approval_job_broken_midway_keeps_what_it_approved_and_its_retry_approves_the_rest_once(
    worker, app, db, jobs_db, monkeypatch, request
):
    from e2e.test_workbench_flow import seed_transfers
    from engine import workbench

    writes = request.getfixturevalue("reported")
    seed_transfers(jobs_db.url.render_as_string(hide_password=False), 4)
    db.rollback()
    tasks = db.scalars(
        select(InboxTask.id)
        .where(InboxTask.bpmn_id == "to_county_review", InboxTask.status == TaskStatus.OPEN)
        .order_by(InboxTask.id)
    ).all()
    assert len(tasks) == 4  # noqa: PLR2004
    original, calls = workbench.complete, []

    def dies_at_the_third(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:  # noqa: PLR2004
            raise OSError("worker lost")
        return original(*args, **kwargs)

    monkeypatch.setattr(workbench, "complete", dies_at_the_third)
    county = login(app, "nanming-county")
    response = county.post("/workbench/bulk", data={"task_id": [str(t) for t in tasks], "opinion": "同意"})
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    failed = wait_for(db, job_id)
    assert failed.state == JobState.FAILED and "已办理的部分已保存" in failed.error

    def approved() -> list[int]:
        db.rollback()
        return list(
            db.scalars(select(InboxTask.id).where(InboxTask.id.in_(tasks), InboxTask.status == TaskStatus.DONE))
        )

    assert approved() == tasks[:2]
    assert county.post(f"/jobs/{job_id}/retry").status_code == 302
    done = wait_for(db, job_id)
    assert done.state == JobState.DONE and done.result["message"] == "共 4 项：成功 4 项，未办理 0 项。"
    assert [row[3] for row in done.result["results"]] == [True] * 4 and approved() == tasks
    cases = select(InboxTask.instance_id).where(InboxTask.id.in_(tasks))
    states = db.scalars(select(ProcessInstance.state_label).where(ProcessInstance.id.in_(cases))).all()
    assert set(states) == {"待转出学校审核"}  # each case moved one step, once
    assert [w["done"] for w in writes if w["stage"] == "批量办理"][-1] == 4  # noqa: PLR2004
    page = county.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert 'data-testid="bulk-results"' in page and page.count("table-success") == 4  # noqa: PLR2004


def test_a_migration_job_of_more_cases_than_one_chunk_moves_each_case_once(
    worker, app, db, jobs_db, monkeypatch, request
):
    """More cases than a chunk (made small here: the worker is a thread of this process), so the job reports
    progress between chunks while each case commits on its own: on SQLite the next chunk's writes must not run in
    a transaction begun before that progress write."""
    import engine
    from e2e.test_workbench_flow import seed_transfers
    from jobs import migration
    from tests.test_processes_web import TRANSFER_EXTRA_STEP

    writes = request.getfixturevalue("reported")
    monkeypatch.setattr(migration, "CHUNK", 3)
    count = 8
    seed_transfers(jobs_db.url.render_as_string(hide_password=False), count)
    db.rollback()
    policy = db.scalars(select(User).where(User.username == "guizhou-policy")).one()
    target = engine.publish(db, TRANSFER_EXTRA_STEP.encode(), filename="transfer_in_province.bpmn", by=policy)
    db.commit()
    on_old = select(ProcessInstance.id).where(
        ProcessInstance.process_key == "transfer_in_province", ProcessInstance.version_id != target.id
    )
    waiting = db.scalars(on_old).all()
    assert len(waiting) >= count

    officer = login(app, "guizhou-policy")
    job_id = started_job(officer.post("/processes/transfer_in_province/migrate", data={"from_version": "1"}))
    done = wait_for(db, job_id)
    assert done.state == JobState.DONE, done.error
    assert done.result["moved"] == len(waiting) and db.scalars(on_old).all() == []
    assert [w["done"] for w in writes if w["stage"] == "迁移在办业务"][-1] == len(waiting)


def started_job(response: Any) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)  # noqa: PLR2004
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
