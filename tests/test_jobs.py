"""Jobs with a real Celery worker (celery.contrib.testing's worker thread, never eager mode) over the embedded
broker (the filesystem transport) and a database of this module's own with real commits: progress, the import
as jobs, a commit that breaks midway and is retried, cancel, and beat running the tick."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from celery.beat import EmbeddedService
from celery.contrib.testing.worker import start_worker
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from conftest import PASSWORD, own_database
from jobs import RETENTION, RUN_JOB, runner
from models import bulk
from models.audit import AuditEvent
from models.base import utcnow
from models.job import Job, JobState
from models.student import Guardian, Student, StudentStatus
from models.workflow import CaseStatus, ProcessInstance
from tests.test_student_import import xlsx
from webapp import create_app
from webapp.config import ROOT
from webapp.demo_rows import valid_row

SCHOOL = "nanming-xx-registrar"
WAIT_SECONDS = 60  # a generous bound for a job to finish on a busy machine; no test asserts how long it took


@pytest.fixture(scope="module")
def jobs_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with own_database("jobs", tmp_path_factory.mktemp("jobs_db")) as db_engine:
        yield db_engine


@pytest.fixture
def app(jobs_db: Engine, tmp_path: Path) -> Any:
    return make_app(jobs_db, tmp_path)


def make_app(jobs_db: Engine, tmp_path: Path, **extra: Any) -> Any:
    return create_app(
        {
            "TESTING": True,
            "DB_ENGINE": jobs_db,
            "IMPORT_DIR": tmp_path / "imports",
            "INSTANCE_DIR": tmp_path / "instance",
            "BROKER_DIR": tmp_path / "broker",
            "BROKER_POLL_SECONDS": 0.1,
            "TICK_SECONDS": 0.5,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            **extra,
        }
    )


@pytest.fixture
def worker(app: Any) -> Iterator[Any]:
    with start_worker(app.extensions["celery"], pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield app.extensions["celery"]


@pytest.fixture
def client(app: Any) -> Any:
    client = app.test_client()
    response = client.post("/login", data={"username": SCHOOL, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def db(jobs_db: Engine) -> Iterator[Session]:
    with Session(jobs_db) as session:
        yield session


@pytest.fixture(autouse=True)
def fresh_rows(jobs_db: Engine) -> Iterator[None]:
    """Each test imports its own students; remove them after (a committed database is shared by the module)."""
    with Session(jobs_db) as session:
        first_new = session.scalar(select(func.max(Student.id))) or 0
    yield
    with jobs_db.begin() as conn:
        conn.execute(Guardian.__table__.delete().where(Guardian.student_id > first_new))
        conn.execute(Student.__table__.delete().where(Student.id > first_new))
        conn.execute(Job.__table__.delete())  # the audit trail is append-only (a trigger): its rows stay


def wait_for(db: Session, job_id: int, *states: JobState) -> Job:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        db.rollback()  # a new snapshot (SQLite WAL, PostgreSQL repeatable reads alike)
        job = db.get_one(Job, job_id)
        if job.state in (states or (JobState.DONE, JobState.FAILED, JobState.CANCELLED)):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {db.get_one(Job, job_id).state} after {WAIT_SECONDS} s")


def upload(client: Any, rows: int, action: str = "检查", **extra: str) -> int:
    data = {"business_type": "新生注册", "action": action, **extra}
    if "token" not in extra:
        data["file"] = (io.BytesIO(xlsx([valid_row(n) for n in range(rows)])), "班级.xlsx")
    response = client.post("/registration/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def counts(db: Session) -> tuple[int, int, int]:
    db.rollback()
    return (
        db.scalar(select(func.count()).select_from(Student)) or 0,
        db.scalar(select(func.count()).select_from(Guardian)) or 0,
        db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "学籍注册")) or 0,
    )


@pytest.fixture
def reported(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every progress write of the worker's reporter (every call: no throttling in tests)."""
    writes: list[dict[str, Any]] = []
    original = runner.Reporter._write

    def recording(self: runner.Reporter, values: dict[str, Any]) -> bool:
        writes.append(dict(values, stage=self.stage))
        return original(self, values)

    monkeypatch.setattr(runner.Reporter, "_write", recording)
    monkeypatch.setattr(runner.Reporter, "__init__", _unthrottled(runner.Reporter.__init__))
    return writes


def _unthrottled(init: Callable[..., None]) -> Callable[..., None]:
    def no_interval(self: runner.Reporter, bind: Engine, job_id: int, interval: float = 0.0) -> None:
        init(self, bind, job_id, 0.0)

    return no_interval


def test_a_dry_run_job_reports_progress_and_its_page_shows_the_result(worker, client, db, reported):
    job_id = upload(client, 1200)
    job = wait_for(db, job_id)
    assert job.state == JobState.DONE and job.result["ok"] and job.result["rows"] == 1200
    stages = [w["stage"] for w in reported]
    assert {"读取文件", "逐行校验", "班级与文件内查重", "与学籍库查重"} <= set(stages)
    validating = [w["done"] for w in reported if w["stage"] == "逐行校验"]
    assert validating == sorted(validating) and validating[0] == 0 and validating[-1] == 1200
    status = client.get(f"/jobs/{job_id}.json").get_json()
    assert status | {"rate": None} == status | {
        "state": "done",
        "percent": 100,
        "finished": True,
        "done": job.total,
        "rate": None,
    }
    stages = ["读取文件", "逐行校验", "班级与文件内查重", "与学籍库查重", "保存检查结果"]
    assert [stage for stage, _ in job.result["stages"]] == stages
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "检查通过：共 1200 行" in page and 'src="/static/jobs.js"' in page and "用时：读取文件" in page
    listing = client.get("/jobs/").get_data(as_text=True)
    assert "学籍导入（检查，新生注册）班级.xlsx" in listing and "已完成" in listing


def test_a_commit_that_breaks_midway_writes_nothing_and_its_retry_writes_it_once(
    worker, client, db, monkeypatch, reported
):
    before = counts(db)
    checked = wait_for(db, upload(client, 300))
    token = checked.params["token"]
    original, broken = bulk.insert_columns, []

    def dies_after_the_students(session: Session, table: Any, *args: Any, **kwargs: Any) -> Any:
        if table is Guardian.__table__ and not broken:
            broken.append(True)  # the students of this transaction are written, their families not yet
            raise OSError("worker lost")
        return original(session, table, *args, **kwargs)

    monkeypatch.setattr(bulk, "insert_columns", dies_after_the_students)
    job_id = upload(client, 300, action="确认导入", token=token)
    failed = wait_for(db, job_id)
    assert broken and failed.state == JobState.FAILED and "未写入任何数据" in failed.error
    assert counts(db) == before
    assert "重试" in client.get(f"/jobs/{job_id}").get_data(as_text=True)

    assert client.post(f"/jobs/{job_id}/retry").status_code == 302
    done = wait_for(db, job_id)
    assert done.state == JobState.DONE and done.attempts == 2 and done.result["imported"] == 300
    assert counts(db) == (before[0] + 300, before[1] + 600, before[2] + 300)

    # The same message delivered again, or the same upload confirmed again: nothing more is written.
    worker.tasks[RUN_JOB].delay(job_id)
    assert upload(client, 300, action="确认导入", token=token) == job_id
    assert runner.execute(client.application.extensions["xueji_sessionmaker"], job_id) == JobState.DONE
    assert counts(db) == (before[0] + 300, before[1] + 600, before[2] + 300)
    assert any(w["stage"] == "写入学籍库" for w in reported)


def test_a_queued_import_cancelled_never_runs(app, client, db, jobs_db):
    before = counts(db)
    token = "0" * 32
    app.config["JOBS_INLINE"] = False
    # No worker yet: the job waits in the queue until cancelled, then the worker finds it cancelled.
    job_id = upload(client, 0, action="确认导入", token=token)
    assert client.post(f"/jobs/{job_id}/cancel").status_code == 302
    with start_worker(app.extensions["celery"], pool="solo", perform_ping_check=False, shutdown_timeout=30):
        app.extensions["celery"].tasks[RUN_JOB].delay(job_id)
        job = wait_for(db, job_id)
    assert job.state == JobState.CANCELLED and job.attempts == 0 and counts(db) == before


def test_a_running_check_cancelled_stops_at_its_next_step(worker, client, db, monkeypatch, reported):
    from models import validation

    original, gate, reached = validation._postal_check, threading.Event(), threading.Event()

    def waits_in_the_postal_code_column(value: Any) -> Any:  # a column checked midway through the rules
        reached.set()
        gate.wait(WAIT_SECONDS)
        return original(value)

    monkeypatch.setattr(validation, "_postal_check", waits_in_the_postal_code_column)
    job_id = upload(client, 1200)
    assert reached.wait(WAIT_SECONDS)
    assert wait_for(db, job_id, JobState.RUNNING).stage == "逐行校验"
    assert client.post(f"/jobs/{job_id}/cancel").status_code == 302
    gate.set()
    job = wait_for(db, job_id)
    assert job.state == JobState.CANCELLED and job.error == "已取消，未写入任何数据"
    assert max(w["done"] for w in reported if w["stage"] == "逐行校验") < 1200


def test_another_user_sees_no_job_of_mine(worker, client, app, db):
    job_id = upload(client, 3)
    wait_for(db, job_id)
    other = app.test_client()
    other.post("/login", data={"username": "yunyan-xx-registrar", "password": PASSWORD})
    assert other.get(f"/jobs/{job_id}.json").status_code == 404
    assert other.post(f"/jobs/{job_id}/cancel").status_code == 404
    colleague = app.test_client()
    colleague.post("/login", data={"username": "nanming-xx-reviewer", "password": PASSWORD})
    assert "班级.xlsx" in colleague.get("/jobs/?scope=org").get_data(as_text=True)
    assert "班级.xlsx" not in colleague.get("/jobs/").get_data(as_text=True)


def test_beat_runs_the_tick_on_a_worker(app, worker, db, jobs_db, tmp_path):
    """A case whose timer fell due is refreshed by the tick that beat schedules (every 0.5 s here)."""
    with jobs_db.begin() as conn:
        case_id = conn.scalar(select(ProcessInstance.id).where(ProcessInstance.status == CaseStatus.OPEN).limit(1))
        if case_id is not None:
            past = utcnow() - timedelta(days=1)
            conn.execute(update(ProcessInstance).where(ProcessInstance.id == case_id).values(next_timer_at=past))
    beat = EmbeddedService(app.extensions["celery"], thread=True)
    beat.start()
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        ticks = None
        while time.monotonic() < deadline and ticks is None:
            db.rollback()  # a new snapshot (SQLite WAL, PostgreSQL repeatable reads alike)
            ticks = db.scalars(select(Job).where(Job.key == "tick", Job.attempts >= 1)).one_or_none()
            time.sleep(0.2)
    finally:
        beat.stop()
    assert ticks is not None and ticks.state == JobState.DONE and "cases" in ticks.result
    if case_id is not None:
        db.rollback()  # a new snapshot (SQLite WAL, PostgreSQL repeatable reads alike)
        refreshed = db.get_one(ProcessInstance, case_id).next_timer_at
        assert refreshed is None or refreshed > utcnow() - timedelta(hours=1)


def test_the_retention_job_anonymises_on_a_worker(jobs_db, tmp_path, db):
    """Issue 22 item 7: the daily retention task, sent to a real worker, anonymises a pupil who left long ago."""
    app = make_app(jobs_db, tmp_path, RETENTION_YEARS=5)
    assert "retention" in app.extensions["celery"].conf.beat_schedule
    with jobs_db.begin() as conn:
        school_id = conn.scalar(select(Student.school_id).limit(1))
        student_id = conn.execute(
            Student.__table__.insert().values(
                name="离校生",
                sex="1",
                birth_date=date(2000, 5, 6),
                ethnicity="汉族",
                id_doc_type="1",
                id_doc_number="520102200005060011",
                school_id=school_id,
                status=StudentStatus.GRADUATED.value,
                graduated_on=date(2016, 7, 1),
            )
        ).inserted_primary_key[0]
    with start_worker(app.extensions["celery"], pool="solo", perform_ping_check=False, shutdown_timeout=30):
        app.extensions["celery"].tasks[RETENTION].delay()
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            db.rollback()  # a new snapshot
            if db.get_one(Student, student_id).anonymised_at is not None:
                break
            time.sleep(0.2)
    anonymised = db.get_one(Student, student_id)
    assert (anonymised.name, anonymised.id_doc_number, anonymised.birth_date) == ("已匿名", None, date(2000, 1, 1))


def test_on_postgresql_with_redis_as_the_broker(jobs_db, tmp_path, db):
    """The production pair: skipped only without XUEJI_TEST_DATABASE_URL (CI starts Redis; .ci/run)."""
    if not os.environ.get("XUEJI_TEST_DATABASE_URL"):
        pytest.skip("needs PostgreSQL (XUEJI_TEST_DATABASE_URL) and Redis")
    broker = os.environ.get("XUEJI_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
    app = make_app(jobs_db, tmp_path, BROKER_URL=broker)
    client = app.test_client()
    client.post("/login", data={"username": SCHOOL, "password": PASSWORD})
    with start_worker(app.extensions["celery"], pool="solo", perform_ping_check=False, shutdown_timeout=30):
        checked = wait_for(db, upload(client, 40))
        assert checked.state == JobState.DONE and checked.result["ok"]
        before = counts(db)
        done = wait_for(db, upload(client, 40, action="确认导入", token=checked.params["token"]))
    assert done.state == JobState.DONE and counts(db) == (before[0] + 40, before[1] + 80, before[2] + 40)


def test_a_worker_starting_on_the_embedded_broker_fails_the_jobs_a_dead_one_left_running(app, client, db):
    """A real ``celery worker`` process started on the embedded broker, after a job was left running."""
    job_id = upload(client, 0, action="确认导入", token="1" * 32)  # no worker yet: queued
    with db.begin():
        db.get_one(Job, job_id).state = JobState.RUNNING
    env = {
        **os.environ,
        "XUEJI_DATABASE_URL": db.get_bind().url.render_as_string(hide_password=False),
        "XUEJI_INSTANCE_DIR": str(app.config["INSTANCE_DIR"]),
        "XUEJI_BROKER_DIR": str(app.config["BROKER_DIR"]),
        "XUEJI_SECRET_KEY": "test-secret",
    }
    argv = [sys.executable, "-m", "celery", "-A", "webapp.worker", "worker", "--pool", "solo", "--without-gossip"]
    argv += ["--without-mingle", "--without-heartbeat", "--loglevel", "WARNING"]
    worker = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        job = wait_for(db, job_id, JobState.FAILED)
    finally:
        worker.terminate()
        worker.wait(30)
    assert job.error == runner.INTERRUPTED and counts(db)[0] > 0
    assert client.post(f"/jobs/{job_id}/retry").status_code == 302
