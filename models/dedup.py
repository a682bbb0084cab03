"""查重 (F-11): duplicates by ID number, or by name + sex + birth date when there is no ID number, against every
non-deleted record of the database, through the indexes ``ix_student_id_doc_number`` and
``ix_student_name_sex_birth``. One query per chunk of records, so a class or a 100,000-row import costs a few
index probes per row, never a scan."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.student import Student, StudentStatus

CHUNK = 1000

IdKey = str
PersonKey = tuple[str, str, date]


def key_of(id_doc_number: str | None, name: str, sex: str, birth_date: date) -> IdKey | PersonKey:
    """The 查重 key of a record: its ID number, else (name, sex, birth date)."""
    return id_doc_number if id_doc_number else (name, sex, birth_date)


def find(session: Session, keys: Iterable[IdKey | PersonKey], *, exclude: set[int] = frozenset()) -> dict:  # type: ignore[assignment]
    """Key → ids of the non-deleted records that carry it (records in ``exclude`` left out)."""
    ids = sorted({k for k in keys if isinstance(k, str)})
    people = sorted({k for k in keys if isinstance(k, tuple)})
    found: dict[IdKey | PersonKey, list[int]] = {}
    alive = Student.status != StudentStatus.DELETED
    for i in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(Student.id_doc_number, Student.id).where(Student.id_doc_number.in_(ids[i : i + CHUNK]), alive)
        )
        for number, student_id in rows:
            if student_id not in exclude:
                found.setdefault(number, []).append(student_id)
    # Name first (the leading column of ix_student_name_sex_birth, one index probe per name), then sex and birth
    # date here: a row-value IN list of 1,000 tuples is planned as 1,000 ORed probes and costs a second per chunk.
    wanted = set(people)
    names = sorted({name for name, _, _ in people})
    for i in range(0, len(names), CHUNK):
        rows = session.execute(
            select(Student.name, Student.sex, Student.birth_date, Student.id).where(
                Student.name.in_(names[i : i + CHUNK]), Student.id_doc_number.is_(None), alive
            )
        )
        for name, sex, born, student_id in rows:
            if (name, sex, born) in wanted and student_id not in exclude:
                found.setdefault((name, sex, born), []).append(student_id)
    return found
