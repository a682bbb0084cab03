"""Two ticks reach the promotion moment at once: the province is promoted exactly once (real commits, PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers import promotion
from models.audit import AuditEvent
from models.business_calendar import grade_year
from models.user import User

MOMENT = datetime(2000, 1, 1, tzinfo=UTC)

pytestmark = pytest.mark.committed


def test_two_concurrent_ticks_promote_once(committed_db):
    with Session(committed_db) as session:
        officer = session.scalars(select(User).where(User.username == "guizhou-province")).one()
        province = officer.org_id
        year = grade_year(session, province)
        run = promotion.schedule(session, officer, province_id=province, promote_at=MOMENT)
        session.commit()
        run_id = run.id

    barrier = threading.Barrier(2)
    promoted: list[int] = []

    def tick() -> None:
        with Session(committed_db) as session:
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
    with Session(committed_db) as session:
        assert grade_year(session, province) == year + 1
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity == "promotion_run", AuditEvent.entity_id == run_id)
        ).all()
        assert actions == ["升级"]
