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


def test_insert_columns_gives_the_new_ids_in_row_order_and_each_row_its_json(session, student_of):
    student = student_of("nanming-xx-registrar")
    session.execute(Guardian.__table__.delete().where(Guardian.student_id == student.id))
    columns: bulk.Columns = {
        "student_id": [student.id] * 2,
        "seq": [2, 1],
        "name": ["成员2", "成员1"],
        "relation": ["父亲", "母亲"],
        "phone": ["13900000000"] * 2,
        "is_guardian": [True, False],
        "id_doc_type": [None, "1"],
        "id_doc_number": [None, "110105200801010014"],
        "profile": bulk.JsonObjects({"note": ["", '说明"引号"'], "code": [None, "520102000000"]}),
    }
    ids = bulk.insert_columns(session, Guardian.__table__, columns, 2, returning_ids=True)
    stored = {g.id: g for g in session.scalars(select(Guardian).where(Guardian.id.in_(ids)))}
    assert [stored[i].name for i in ids] == ["成员2", "成员1"]
    assert [stored[i].profile for i in ids] == [
        {"note": "", "code": None},
        {"note": '说明"引号"', "code": "520102000000"},
    ]
    assert bulk.insert_columns(session, Guardian.__table__, columns, 0, returning_ids=True) == []


def test_rows_made_a_few_at_a_time_keep_each_its_own_values(session, student_of, monkeypatch):
    """The COPY's rows are sealed and encoded a chunk at a time (a value's JSON text remembered across chunks, a
    column of distinct values no longer remembered): every row still gets exactly its own values."""
    monkeypatch.setattr(bulk, "CHUNK", 2)
    student = student_of("nanming-xx-registrar")
    session.execute(Guardian.__table__.delete().where(Guardian.student_id == student.id))
    count = 5
    columns: bulk.Columns = {
        "student_id": [student.id] * count,
        "seq": list(range(1, count + 1)),
        "name": [f"成员{n}" for n in range(count)],
        "relation": ["父亲", "母亲", "父亲", "祖父", "父亲"],
        "phone": [f"1390000000{n}" for n in range(count)],
        "is_guardian": [True, False, True, False, False],
        "id_doc_type": [None, "1", None, None, "1"],
        "id_doc_number": [None, "110105200801010014", None, None, "110105200801010022"],
        "profile": bulk.JsonObjects(
            {
                "work_unit": ["单位", "单位", "", "单位\\t", '"单位"'],
                "current_address": [f"地址{n}" for n in range(count)],  # sealed, each row its own
                "note": [None, "x", None, "y", "x"],
            }
        ),
    }
    ids = bulk.insert_columns(session, Guardian.__table__, columns, count, returning_ids=True)
    session.expire_all()
    stored = {g.id: g for g in session.scalars(select(Guardian).where(Guardian.id.in_(ids)))}
    assert [stored[i].phone for i in ids] == columns["phone"]
    assert [stored[i].id_doc_number for i in ids] == columns["id_doc_number"]
    assert [stored[i].is_guardian for i in ids] == columns["is_guardian"]
    assert [stored[i].profile for i in ids] == list(columns["profile"].dicts())


def test_values_a_binary_copy_cannot_take_as_they_are_go_as_text(session):
    """A naive datetime (no time zone) for a timestamptz column: COPY in text, which reads it in the session's
    time zone as an INSERT would."""
    rows: bulk.Columns = {
        "at": [datetime(2026, 9, 1, 8, 0)] * 2,
        "actor_id": [None, None],
        "actor_org_id": [None, None],
        "action": ["bulk-text"] * 2,
        "entity": ["student"] * 2,
        "entity_id": [1, 7],
        "before": [{}, {}],
        "after": [{"n": 1}, {"n": 2}],
    }
    bulk.insert_columns(session, AuditEvent.__table__, rows, 2)
    stored = session.execute(
        select(AuditEvent.entity_id, AuditEvent.after).where(AuditEvent.action == "bulk-text").order_by(AuditEvent.id)
    ).all()
    assert [tuple(row) for row in stored] == [(1, {"n": 1}), (7, {"n": 2})]
