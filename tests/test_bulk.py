"""models.bulk: set-based inserts from generated rows (COPY on PostgreSQL, executemany on SQLite)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from models import bulk
from models.audit import AuditEvent
from models.errors import DomainError
from models.student import Guardian, Student


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


def _family(session, student_of, *, school_id=None):
    """Two students of the registrar's school (its own columns, copied) and their family members, by insert_family."""
    model = student_of("nanming-xx-registrar")
    skip = {"id", "national_student_id", "national_id_index", "id_doc_number", "id_doc_index", "open_case_id"}
    row = {c.name: getattr(model, c.key) for c in Student.__table__.columns if c.name not in skip}
    columns: bulk.Columns = {name: [value, value] for name, value in row.items()}
    columns["name"] = ["家甲", "家乙"]
    if school_id is not None:
        columns["school_id"] = [school_id, school_id]

    def members(ids):
        return [
            (
                Guardian.__table__,
                {
                    "student_id": ids,
                    "seq": [1, 1],
                    "name": ["父", "母"],
                    "relation": ["父亲"] * 2,
                    "phone": ["13800000000"] * 2,
                    "is_guardian": [True, True],
                    "profile": bulk.JsonObjects({"note": ["", ""]}),
                },
                2,
            )
        ]

    return bulk.insert_family(session, Student.__table__, columns, 2, members)


def test_insert_family_writes_the_rows_and_the_rows_that_name_them(session, student_of):
    ids = _family(session, student_of)
    named = session.execute(select(Guardian.student_id, Guardian.name).where(Guardian.student_id.in_(ids))).all()
    assert sorted(named) == sorted([(ids[0], "父"), (ids[1], "母")])
    assert session.scalars(select(Student.name).where(Student.id.in_(ids)).order_by(Student.id)).all() == [
        "家甲",
        "家乙",
    ]


def _on_postgresql(session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the per-row foreign-key checks switched off are PostgreSQL's")


def test_keys_checked_at_once_refuse_a_missing_parent_and_the_server_checks_again_after(session, student_of):
    _on_postgresql(session)
    with pytest.raises(DomainError, match="不存在的记录"), session.begin_nested():
        _family(session, student_of, school_id=987654)
    assert session.scalar(select(func.count()).select_from(Student).where(Student.name == "家甲")) == 0
    _family(session, student_of)
    assert session.scalar(text("SHOW session_replication_role")) == "origin"
    with pytest.raises(IntegrityError), session.begin_nested():  # the server's own check is on again
        session.execute(
            Guardian.__table__.insert().values(
                student_id=987654, seq=1, name="x", relation="x", phone="x", is_guardian=False, profile={}
            )
        )


def test_without_the_right_to_switch_checks_off_the_server_checks_each_row(session, student_of):
    _on_postgresql(session)
    session.execute(
        text("DO $$ BEGIN CREATE ROLE xueji_plain NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    )
    schema = session.scalar(text("SELECT current_schema()"))
    for grant in ("USAGE ON SCHEMA", "ALL ON ALL TABLES IN SCHEMA", "ALL ON ALL SEQUENCES IN SCHEMA"):
        session.execute(text(f'GRANT {grant} "{schema}" TO xueji_plain'))
    student_of("nanming-xx-registrar")  # looked up before the role changes
    session.execute(text("SET LOCAL ROLE xueji_plain"))
    assert not bulk.keys_checked_at_once(session, [], Student.__table__, [])
    ids = _family(session, student_of)
    assert session.scalar(select(func.count()).select_from(Guardian).where(Guardian.student_id.in_(ids))) == 2
    session.execute(text("RESET ROLE"))
