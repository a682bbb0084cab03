"""models.bulk: set-based inserts from generated rows (COPY on PostgreSQL, executemany on SQLite)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from models import bulk
from models.audit import AuditEvent
from models.student import Guardian


def test_generated_rows_keep_their_own_json_even_when_python_reuses_object_ids(session):
    shared = {"same": "for every row"}
    rows = (
        {
            "at": datetime(2026, 9, 1),
            "actor_id": None,
            "actor_org_id": None,
            "action": "bulk-test",
            "entity": "student",
            "entity_id": n,
            "before": shared,
            "after": {"n": n},  # a new dict per row, dropped once written: its id is free for the next one
        }
        for n in range(500)
    )
    bulk.insert_rows(session, AuditEvent.__table__, rows)
    stored = session.execute(
        select(AuditEvent.entity_id, AuditEvent.before, AuditEvent.after)
        .where(AuditEvent.action == "bulk-test")
        .order_by(AuditEvent.entity_id)
    ).all()
    assert [(n, before, after) for n, before, after in stored] == [(n, shared, {"n": n}) for n in range(500)]


def test_insert_returning_ids_gives_the_new_ids_in_row_order(session, student_of):
    student = student_of("nanming-xx-registrar")
    session.execute(Guardian.__table__.delete().where(Guardian.student_id == student.id))
    rows = (
        {
            "student_id": student.id,
            "seq": seq,
            "name": f"成员{seq}",
            "relation": "父亲",
            "phone": "13900000000",
            "is_guardian": True,
            "id_doc_type": None,
            "id_doc_number": None,
            "profile": {},
        }
        for seq in (2, 1)
    )
    ids = bulk.insert_returning_ids(session, Guardian.__table__, rows, 2)
    names = dict(session.execute(select(Guardian.id, Guardian.name).where(Guardian.id.in_(ids))).all())
    assert [names[i] for i in ids] == ["成员2", "成员1"]
    assert bulk.insert_returning_ids(session, Guardian.__table__, iter(()), 0) == []
