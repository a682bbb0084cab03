"""One SQLAlchemy session per request (``db()``), closed at teardown. The engine commits it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()
            # pysqlite's own transaction handling breaks SAVEPOINT (scenario runs, tests): let SQLAlchemy BEGIN.
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def init_app(app: Flask) -> None:
    engine = app.config.get("DB_ENGINE") or make_engine(app.config["DATABASE_URL"])
    app.extensions["xueji_sessionmaker"] = sessionmaker(bind=engine, **app.config.get("DB_SESSION_OPTIONS", {}))
    app.teardown_appcontext(_close)


@contextmanager
def scratch_connection() -> Iterator[Connection]:
    """A connection for work that is always rolled back (scenario runs), apart from the request's session."""
    bind = current_app.extensions["xueji_sessionmaker"].kw["bind"]
    if isinstance(bind, Connection):  # tests hand the app one connection inside a transaction
        yield bind
        return
    with bind.connect() as connection:
        yield connection


def db() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["xueji_sessionmaker"]()
    return g.db_session


def _close(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
