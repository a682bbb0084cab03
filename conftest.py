"""Shared fixtures of tests/, bpmn_tests/ and e2e/: one migrated database per run, one rolled-back transaction
per test.

``XUEJI_TEST_DATABASE_URL`` picks the database (PostgreSQL in CI); by default a SQLite file in a temporary
folder. The schema comes from ``alembic upgrade head``; a small demo world (the same generator as the demo
command) and the published diagrams are committed once, and every test runs inside a transaction that is rolled
back at the end, so the engine's own commits only release savepoints.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pyotp
import pytest
from sqlalchemy import Connection, Engine, create_engine, select, text
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

import engine as wf
import handlers
from forms import FORMS
from handlers import graduation
from models.org import Cohort
from models.student import Student, StudentStatus
from models.user import User
from models.workflow import InboxTask, InstanceEvent, ProcessInstance, TaskKind, TaskStatus
from webapp import create_app
from webapp.config import Config
from webapp.demo_database import build_database

# Tests that only compile a diagram (no app, no database) check its service tasks against the handlers too.
wf.use_handlers(handlers.REGISTRY)

PASSWORD = Config.DEMO_PASSWORD


def database_url(tmp: Path, name: str = "xueji_test") -> str:
    return os.environ.get("XUEJI_TEST_DATABASE_URL") or f"sqlite:///{tmp / (name + '.sqlite3')}"


@pytest.fixture(scope="session")
def db_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    db_engine = build_database(database_url(tmp_path_factory.mktemp("db")))
    yield db_engine
    db_engine.dispose()


@contextmanager
def throwaway_postgres(suffix: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database beside the test one (``<its name>_<suffix>``), dropped
    afterwards; skips the test unless XUEJI_TEST_DATABASE_URL is PostgreSQL."""
    base = os.environ.get("XUEJI_TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (XUEJI_TEST_DATABASE_URL)")
    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/')}_{suffix}"
    admin = create_engine(urlunsplit(parts._replace(path="/postgres")), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def own_database(
    suffix: str, tmp: Path | None = None, *, build: Callable[[str], Engine] = build_database
) -> Iterator[Engine]:
    """A database of its own, built like the shared one (or by ``build``: ``make_engine`` leaves it empty) and
    dropped afterwards: on PostgreSQL a database named after XUEJI_TEST_DATABASE_URL's plus ``suffix``; else
    (``tmp`` given) a SQLite file in ``tmp``."""
    if not os.environ.get("XUEJI_TEST_DATABASE_URL", "").startswith("postgresql") and tmp is not None:
        db_engine = build(f"sqlite:///{tmp / (suffix + '.sqlite3')}")
        yield db_engine
        db_engine.dispose()
        return
    with throwaway_postgres(suffix) as url:
        db_engine = build(url)
        yield db_engine
        db_engine.dispose()


@pytest.fixture
def committed_db() -> Iterator[Engine]:
    """A database of its own for tests that need real commits from several connections (races): PostgreSQL
    only. Mark such tests ``committed``."""
    with own_database("committed") as db_engine:
        yield db_engine


@pytest.fixture
def connection(db_engine: Engine) -> Iterator[Connection]:
    with db_engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    with Session(bind=connection, join_transaction_mode="create_savepoint") as s:
        yield s


@dataclass
class Clock:
    """The engine's idea of "now" (handlers get it as ``ctx.now``); tests move it to exercise windows."""

    now: datetime

    def set(self, *args: int) -> None:
        """Set the China-time date and hour, e.g. ``clock.set(2026, 7, 20, 9)``."""
        year, month, day, hour = (*args, 10)[:4]
        self.now = datetime(year, month, day, hour, tzinfo=UTC).replace(hour=hour) - _CHINA_OFFSET


_CHINA_OFFSET = datetime(2000, 1, 1, 8, tzinfo=UTC) - datetime(2000, 1, 1, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """A fixed clock at 10 September 2026, 10:00 China time (inside every default transfer window)."""
    fixed = Clock(datetime(2026, 9, 10, 2, tzinfo=UTC))
    monkeypatch.setattr("engine.api.utcnow", lambda: fixed.now)
    monkeypatch.setattr("engine.runner.utcnow", lambda: fixed.now)
    return fixed


@pytest.fixture
def user(session: Session) -> Callable[[str], User]:
    def by_name(username: str) -> User:
        return session.scalars(select(User).where(User.username == username)).one()

    return by_name


@pytest.fixture
def student_of(session: Session) -> Callable[[str], Student]:
    """The first in-school student of a school user's school, e.g. ``student_of("nanming-xx-registrar")``."""

    def pick(username: str) -> Student:
        school_id = session.scalars(select(User.org_id).where(User.username == username)).one()
        return session.scalars(
            select(Student)
            .where(
                Student.school_id == school_id,
                Student.open_case_id.is_(None),
                Student.status == StudentStatus.IN_SCHOOL,
            )
            .order_by(Student.id)
        ).first()

    return pick


@dataclass
class CaseDriver:
    """Drives one case through its diagram the way the web does: real forms, real engine, real database."""

    session: Session
    case: ProcessInstance

    def seats(self) -> list[tuple[str, str, str]]:
        rows = self.session.scalars(
            select(InboxTask).where(InboxTask.instance_id == self.case.id, InboxTask.status == TaskStatus.OPEN)
        ).all()
        return sorted((row.bpmn_id, row.org.name, row.role) for row in rows)

    def open_task(self, bpmn_id: str) -> InboxTask:
        return self.session.scalars(
            select(InboxTask).where(
                InboxTask.instance_id == self.case.id,
                InboxTask.bpmn_id == bpmn_id,
                InboxTask.status == TaskStatus.OPEN,
                InboxTask.kind == TaskKind.TASK,
            )
        ).one()

    def form_for(self, bpmn_id: str, by: User | None = None, **fields: str) -> Any:
        task = self.open_task(bpmn_id)
        form = wf.form_class(task.instance.version, task.form_key)(formdata=MultiDict(fields))
        if by is not None:
            form.scope(self.session, by)
        return form

    def submit(self, bpmn_id: str, *, by: User, **fields: str) -> ProcessInstance:
        form = self.form_for(bpmn_id, by, **fields)
        assert form.validate(), form.errors
        wf.complete(
            self.session, self.open_task(bpmn_id).id, actor=by, data=form.to_task_data(), display=form.display_lines()
        )
        self.session.expire_all()  # everything below is read back from the database
        return self.case

    @property
    def state(self) -> str:
        self.session.refresh(self.case)
        return self.case.state_label

    def states(self) -> list[str]:
        """Every state the case's users saw, in order: waiting states of tasks and the states passed."""
        return list(
            self.session.scalars(
                select(InstanceEvent.state_label)
                .where(InstanceEvent.instance_id == self.case.id, InstanceEvent.state_label != "")
                .order_by(InstanceEvent.id)
            )
        )

    def other_side(self) -> CaseDriver:
        """The latest case in the other province with this case's correlation key (F-31/F-32, F-43)."""
        other = self.session.scalars(
            select(ProcessInstance)
            .where(ProcessInstance.correlation_key == self.case.correlation_key, ProcessInstance.id != self.case.id)
            .order_by(ProcessInstance.id.desc())
        ).first()
        assert other is not None, "no case in the other province"
        return CaseDriver(self.session, other)


@pytest.fixture
def graduates(session: Session, user: Callable[[str], User]) -> list[Student]:
    """The pupils of the first 九年级 class of 南明第一中学, graduated in July 2027: whom admissions admit."""
    registrar = user("nanming-cz-registrar")
    cohort = session.scalars(
        select(Cohort).where(Cohort.school_id == registrar.org_id).order_by(Cohort.cohort_year)
    ).first()
    pupils = graduation.class_students(session, cohort.classes[0].id)
    graduation.graduate(session, registrar, pupils, on=date(2027, 7, 1))
    session.commit()
    return pupils


@pytest.fixture
def flows(session: Session) -> Callable[..., CaseDriver]:
    def start(
        process_key: str,
        *,
        student: Student | None,
        by: User,
        to_school_id: int | None = None,
        form_key: str | None = None,
        **fields: str,
    ) -> CaseDriver:
        """Start through the diagram's start form, or ``form_key``: a page's own form for the same flow (跨省招生)."""
        form = FORMS[form_key or wf.start_form_key(session, process_key)](formdata=MultiDict(fields))
        assert form.validate(), form.errors
        case = wf.start(
            session,
            process_key,
            student_id=student.id if student else None,
            actor=by,
            data=form.to_task_data(),
            display=form.display_lines(),
            to_school_id=to_school_id,
        )
        session.expire_all()
        return CaseDriver(session, case)

    return start


@pytest.fixture
def app(connection: Connection, tmp_path: Path) -> Any:
    return create_app(
        {
            "TESTING": True,
            "IMPORT_DIR": tmp_path / "imports",  # uploads of one test, not the checkout's instance folder
            "INSTANCE_DIR": tmp_path / "instance",
            "BROKER_DIR": tmp_path / "broker",
            "JOBS_INLINE": True,  # no worker can see this test's rolled-back transaction (tests/test_jobs.py runs one)
            "SECRET_KEY": "test-secret",
            "DB_ENGINE": connection,
            "DB_SESSION_OPTIONS": {"join_transaction_mode": "create_savepoint"},
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "DEMO_MODE": False,
        }
    )


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def login_as(client: Any) -> Callable[[str], Any]:
    def login(username: str) -> Any:
        client.post("/logout")
        response = client.post("/login", data={"username": username, "password": PASSWORD})
        assert response.status_code == 302, f"login of {username} failed"
        if response.location.startswith("/login/verify"):  # an administrator: the demo's second factor
            code = pyotp.TOTP(Config.DEMO_TOTP_SECRET).now()
            response = client.post("/login/verify", data={"code": code})
            assert response.status_code == 302, f"second factor of {username} failed"
        return client

    return login
