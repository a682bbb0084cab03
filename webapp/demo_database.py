"""A database holding the demo world, built from nothing: for the tests, the benchmarks and anyone who needs a
known database in one call (the ``flask xueji demo`` command instead keeps what is there).

``build_database`` WIPES the database it is given (on PostgreSQL: ``DROP SCHEMA public CASCADE``): name a
throwaway one.
"""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

import engine as wf
import handlers
from webapp import demo
from webapp.cli import alembic_config
from webapp.config import ROOT, Config
from webapp.db import make_engine

WORLD_STUDENTS = 144  # two per class of the demo world


def build_database(url: str, students: int = WORLD_STUDENTS, password: str = Config.DEMO_PASSWORD) -> Engine:
    """Empty the database, migrate it to head, load the demo world and publish the diagrams (committed)."""
    wf.use_handlers(handlers.REGISTRY)  # as create_app does, for the benches that run the engine without an app
    db_engine = make_engine(url)
    if db_engine.dialect.name == "postgresql":
        with db_engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    with db_engine.connect() as conn:
        config = alembic_config(url)
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        conn.commit()
    with Session(db_engine) as session:
        demo.load(session, students=students, password=password)
        wf.publish_directory(session, ROOT / "processes")
    return db_engine
