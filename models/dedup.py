"""查重 (F-11): duplicates by ID number, or by name + sex + birth date when there is no ID number, against every
non-deleted record of the database, through the indexes ``ix_student_id_doc_index`` (the ID number's blind index:
the number itself is stored encrypted, models.crypto) and ``ix_student_name_sex_birth``. One query per chunk of
records, so a class or a 100,000-row import costs a few index probes per row, never a scan. On PostgreSQL a chunk
is one array parameter (``= ANY(:keys)``): an IN list of a thousand placeholders costs more to render and convert
than the index probes themselves."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Set
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute, Session

from models.crypto import id_index
from models.student import Student, StudentStatus

CHUNK = 1000  # SQLite: bound parameters per IN list
PG_CHUNK = 20_000  # PostgreSQL: keys per array parameter

T = TypeVar("T")
IdKey = str
PersonKey = tuple[str, str, date]


def key_of(id_doc_number: str | None, name: str, sex: str, birth_date: date) -> IdKey | PersonKey:
    """The 查重 key of a record: its ID number, else (name, sex, birth date)."""
    return id_doc_number if id_doc_number else (name, sex, birth_date)


def find(
    session: Session, keys: Iterable[IdKey | PersonKey], *, exclude: Set[int] = frozenset()
) -> dict[IdKey | PersonKey, list[int]]:
    """Key → ids of the non-deleted records that carry it (records in ``exclude`` left out)."""
    ids = sorted({k for k in keys if isinstance(k, str)})
    people = sorted({k for k in keys if isinstance(k, tuple)})
    found: dict[IdKey | PersonKey, list[int]] = {}
    alive = Student.status != StudentStatus.DELETED
    chunk, among = chunking(session)
    for number, student_id in by_id_number(session, ids):
        if student_id not in exclude:
            found.setdefault(number, []).append(student_id)
    # Name first (the leading column of ix_student_name_sex_birth, one index probe per name), then sex and birth
    # date here: a row-value IN list of 1,000 tuples is planned as 1,000 ORed probes and costs a second per chunk.
    wanted = set(people)
    names = sorted({name for name, _, _ in people})
    for i in range(0, len(names), chunk):
        people_rows = session.execute(
            select(Student.name, Student.sex, Student.birth_date, Student.id).where(
                among(Student.name, names[i : i + chunk]), Student.id_doc_index.is_(None), alive
            )
        )
        for name, sex, born, student_id in people_rows:
            if (name, sex, born) in wanted and student_id not in exclude:
                found.setdefault((name, sex, born), []).append(student_id)
    return found


def by_id_number(session: Session, numbers: Iterable[str]) -> Iterator[tuple[str, int]]:
    """(ID number, id) of each non-deleted record carrying one of ``numbers``: the one place where 查重 and the
    import look students up by ID number (one query per chunk)."""
    chunk, among = chunking(session)
    # The numbers are stored encrypted (models.crypto): compared through their blind index.
    numbers_of: dict[str, list[str]] = {}
    for number in set(numbers):
        index = id_index(number)
        if index is not None:
            numbers_of.setdefault(index, []).append(number)
    wanted = sorted(numbers_of)
    alive = Student.status != StudentStatus.DELETED
    for i in range(0, len(wanted), chunk):
        rows = session.execute(
            select(Student.id_doc_index, Student.id).where(among(Student.id_doc_index, wanted[i : i + chunk]), alive)
        )
        for index, student_id in rows:
            for number in numbers_of.get(index or "", ()):
                yield number, student_id


def at_school(session: Session, ids: list[int], school_id: int) -> set[int]:
    """Which of the records ``ids`` (as many as an import finds) belong to the school."""
    return set(scalars_among(session, select(Student.id).where(Student.school_id == school_id), Student.id, ids))


def scalars_among(
    session: Session, query: Select[T], column: InstrumentedAttribute[Any], values: Iterable[Any]
) -> Iterator[T]:
    """What ``query`` finds where ``column`` is one of ``values`` (as many as a file holds): one query per chunk."""
    chunk, among = chunking(session)
    wanted = sorted(set(values))
    for i in range(0, len(wanted), chunk):
        yield from session.scalars(query.where(among(column, wanted[i : i + chunk])))


Among = Callable[[InstrumentedAttribute[Any], list[Any]], ColumnElement[bool]]


def _in_list(column: InstrumentedAttribute[Any], values: list[Any]) -> ColumnElement[bool]:
    return column.in_(values)


def _in_array(column: InstrumentedAttribute[Any], values: list[Any]) -> ColumnElement[bool]:
    return column == any_(bindparam(None, values, type_=ARRAY(column.type)))


def chunking(session: Session) -> tuple[int, Among]:
    """How many keys one query takes, and how it names them (an IN list, or one array parameter on PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return PG_CHUNK, _in_array
    return CHUNK, _in_list
