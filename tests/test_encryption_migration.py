"""Migrations 0025 and 0032 (issue 22 item 1) on a database that already holds students: down a revision the values
are opened and the columns restored; up again every existing value is sealed in batches and the blind index filled,
so that 查重 finds the existing students by ID number (SQLite and PostgreSQL)."""

from __future__ import annotations

import re

from alembic import command
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from conftest import own_database
from models import crypto, dedup
from models.numbers import NumberCounter, new_j_number
from models.student import Student, has_national_id
from webapp.cli import alembic_config

PLAIN_ID = re.compile(r"^\d{17}[\dX]$")


def migrate(db_engine, revision: str, *, down: bool = False) -> None:
    with db_engine.connect() as conn:
        config = alembic_config(db_engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)
        conn.commit()


def test_existing_rows_are_encrypted_by_the_upgrade_and_opened_by_the_downgrade(tmp_path):
    with own_database("enc_migration", tmp_path) as db_engine:
        migrate(db_engine, "0028_families", down=True)  # to the revision before 0025
        with db_engine.connect() as conn:
            numbers = conn.scalars(text("SELECT id_doc_number FROM student WHERE id_doc_number IS NOT NULL")).all()
            phones = conn.scalars(text("SELECT phone FROM guardian")).all()
        assert numbers and all(PLAIN_ID.match(n) for n in numbers)
        assert phones and not any(crypto.keyring_in_force().version_of(p) for p in phones)
        migrate(db_engine, "head")
        with db_engine.connect() as conn:
            rows = conn.execute(text("SELECT id, id_doc_number, id_doc_index FROM student")).all()
            phones = conn.scalars(text("SELECT phone FROM guardian WHERE phone <> ''")).all()
        sealed = [r for r in rows if r.id_doc_number]
        assert len(sealed) == len(numbers)
        assert all(crypto.keyring_in_force().version_of(r.id_doc_number) and r.id_doc_index for r in sealed)
        assert all(crypto.keyring_in_force().version_of(p) for p in phones)
        with Session(db_engine) as session:
            student = session.scalars(select(Student).where(Student.id_doc_number.is_not(None))).first()
            assert student is not None and PLAIN_ID.match(student.id_doc_number)
            assert dedup.find(session, [student.id_doc_number])[student.id_doc_number] == [student.id]


def test_the_national_numbers_are_sealed_indexed_and_counted_by_the_upgrade(tmp_path):
    """0032: down one revision the 学籍号 are plain (G numbers hold the ID number); up again they are sealed, the
    blind index and kind filled, the J counter seeded from the existing J numbers, and the look-ups find them."""
    with own_database("natid_migration", tmp_path) as db_engine:
        with Session(db_engine) as session:
            student = session.scalars(select(Student).where(Student.id_doc_type == "1")).first()
            assert student is not None
            student.national_student_id = "G" + (student.id_doc_number or "")
            other = session.scalars(select(Student).where(Student.id != student.id)).first()
            assert other is not None
            j_number = new_j_number(session, "520102", other.birth_date)
            other.national_student_id = j_number
            session.commit()
            g_id, j_id = student.id, other.id
        migrate(db_engine, "0025_encryption", down=True)
        with db_engine.connect() as conn:
            numbers = dict(conn.execute(text("SELECT id, national_student_id FROM student")).all())
        assert numbers[g_id].startswith("G") and PLAIN_ID.match(numbers[g_id][1:]) and numbers[j_id] == j_number
        migrate(db_engine, "head")
        keyring = crypto.keyring_in_force()
        with db_engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id, national_student_id, national_id_index, national_id_kind FROM student")
            ).all()
        stored = [r for r in rows if r.national_student_id]
        assert len(stored) == len([n for n in numbers.values() if n])
        assert all(keyring.version_of(r.national_student_id) and r.national_id_index for r in stored)
        kinds = {r.id: r.national_id_kind for r in rows}
        assert kinds[g_id] == "G" and kinds[j_id] == "J"
        with Session(db_engine) as session:
            assert session.scalar(select(Student.id).where(has_national_id(numbers[g_id]))) == g_id
            assert session.get_one(NumberCounter, j_number[:15]).last == int(j_number[15:18])
            following = new_j_number(session, "520102", session.get_one(Student, j_id).birth_date)
            assert following[:15] == j_number[:15] and int(following[15:18]) == int(j_number[15:18]) + 1
