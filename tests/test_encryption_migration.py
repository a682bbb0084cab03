"""Migration 0025 (issue 22 item 1) on a database that already holds students: down one revision the values are
opened and the columns restored; up again every existing value is sealed in batches and the blind index filled,
so that 查重 finds the existing students by ID number (SQLite and PostgreSQL)."""

from __future__ import annotations

import re

from alembic import command
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from conftest import own_database
from models import crypto, dedup
from models.student import Student
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
        migrate(db_engine, "-1", down=True)  # to the revision before 0025
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
