"""Two ticks reach the promotion moment at once: the province is promoted exactly once (real commits, PostgreSQL)."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from conftest import build_database
from handlers import promotion
from models.audit import AuditEvent
from models.business_calendar import grade_year
from models.user import User

BASE_URL = os.environ.get("XUEJI_TEST_DATABASE_URL", "")
MOMENT = datetime(2000, 1, 1, tzinfo=UTC)

pytestmark = [
    pytest.mark.committed,
    pytest.mark.skipif(not BASE_URL.startswith("postgresql"), reason="needs PostgreSQL (XUEJI_TEST_DATABASE_URL)"),
]


@pytest.fixture
def race_db():
    parts = urlsplit(BASE_URL)
    name = f"{parts.path.lstrip('/')}_race"  # the same scratch database as tests/test_race.py
    admin = create_engine(urlunsplit(parts._replace(path="/postgres")), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_engine = build_database(urlunsplit(parts._replace(path=f"/{name}")))
    yield db_engine
    db_engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}"'))
    admin.dispose()


def test_two_concurrent_ticks_promote_once(race_db):
    with Session(race_db) as session:
        officer = session.scalars(select(User).where(User.username == "guizhou-province")).one()
        province = officer.org_id
        year = grade_year(session, province)
        run = promotion.schedule(session, officer, province_id=province, promote_at=MOMENT)
        session.commit()
        run_id = run.id

    barrier = threading.Barrier(2)
    promoted: list[int] = []

    def tick() -> None:
        with Session(race_db) as session:
            barrier.wait()
            runs = promotion.run_due(session, MOMENT)
            session.commit()
            promoted.append(len(runs))

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(promoted) == [0, 1]
    with Session(race_db) as session:
        assert grade_year(session, province) == year + 1
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity == "promotion_run", AuditEvent.entity_id == run_id)
        ).all()
        assert actions == ["升级"]
