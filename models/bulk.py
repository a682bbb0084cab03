"""Set-based inserts for large batches (imports): COPY on PostgreSQL, executemany elsewhere.

Rows may be a generator: on PostgreSQL each row is built while the server is still checking the foreign keys
and indexes of the rows before it (a queued writer sends them from a second thread), so building the rows costs
next to nothing on top of the server's own work.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from itertools import chain
from json.encoder import encode_basestring
from operator import itemgetter
from typing import Any

import psycopg
from psycopg import postgres
from psycopg.adapt import Dumper
from psycopg.copy import QueuedLibpqWriter
from psycopg.pq import Format
from sqlalchemy import Column, Table, func, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from models import crypto
from models.errors import DomainError

_JSON = json.JSONEncoder(ensure_ascii=False)  # json.dumps(value, ensure_ascii=False) without its per-call set-up
_AS_IS = frozenset({str, int, float, bool, type(None), date, datetime, Decimal})

Row = dict[str, Any]


def _plain(value: Any) -> Any:
    if isinstance(value, dict | list):
        return _JSON.encode(value)
    if isinstance(value, Enum):
        return value._value_  # what .value returns, without the descriptor
    return value


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while a batch builds objects it keeps: reading and checking a 100,000-row file
    keeps millions of dicts and strings, none in a cycle, and the collector would walk all of them again and
    again (about a fifth of the time). It is process-wide, so it wraps only that work (seconds); what cyclic
    garbage other requests make meanwhile is collected once it ends. Rows streamed into COPY die one by one and
    need no pause."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def insert_rows(session: Session, table: Table, rows: Iterable[Row]) -> None:
    """Insert ``rows`` (the same keys in every row)."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), [first, *rows])
        return
    if crypto.sealed_columns(table):  # COPY bypasses the column types: seal as an INSERT's binding would
        rows = crypto.seal_rows(table, chain([first], rows))
        first = next(rows)
    columns = list(first)
    values = itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
    plain = _memo_plain()
    converted = ([v if v.__class__ in _AS_IS else plain(v) for v in values(row)] for row in chain([first], rows))
    _copy_tuples(session, table, columns, converted)


class JsonObjects:
    """A column of JSON objects (say each student's profile) given column by column: each key's values. On
    PostgreSQL each object's text is joined from its fields' encodings, each distinct value encoded once (a
    column of 是/否 costs two encodings, not 100,000); elsewhere each row gets its dict."""

    def __init__(self, columns: dict[str, Sequence[Any]]) -> None:
        self.columns = columns

    def dicts(self) -> Iterator[dict[str, Any]]:
        keys = tuple(self.columns)
        return (dict(zip(keys, values, strict=True)) for values in zip(*self.columns.values(), strict=True))

    def texts(self) -> Iterator[str]:
        return _JsonTexts().texts(self.columns)

    def __getitem__(self, rows: slice) -> JsonObjects:
        return JsonObjects({key: column[rows] for key, column in self.columns.items()})

    def __add__(self, other: JsonObjects) -> JsonObjects:
        return JsonObjects({key: [*column, *other.columns[key]] for key, column in self.columns.items()})


class _JsonTexts:
    """Makes the texts of JsonObjects given a slice of rows at a time (a COPY's rows are made as it sends them),
    remembering across the slices each key's encoded ``"key": value`` of each string value."""

    def __init__(self) -> None:
        self.memos: dict[str, dict[Any, str]] = {}
        self.distinct: set[str] = set()  # keys whose values hardly repeat (names, sealed values): no memo

    def texts(self, columns: dict[str, Sequence[Any]]) -> Iterator[str]:
        fields = [self._encoded(key, column) for key, column in columns.items()]
        return ("{" + ", ".join(values) + "}" for values in zip(*fields, strict=True))

    def _encoded(self, key: str, values: Sequence[Any]) -> list[str]:
        name = _JSON.encode(key) + ": "
        if set(map(type, values)) != {str}:
            encode = _JSON.encode
            return [name + encode(v) for v in values]
        if key in self.distinct:
            return [name + encode_basestring(v) for v in values]
        memo = self.memos.setdefault(key, {})
        for v in set(values).difference(memo):
            memo[v] = name + encode_basestring(v)
        if len(memo) > len(values) // 2 > 0:
            self.distinct.add(key)
            del self.memos[key]
        return list(map(memo.__getitem__, values))


Columns = dict[str, Sequence[Any] | JsonObjects]
CHUNK = 2000  # rows made (sealed, encoded) at a time, while COPY sends the ones before


def concat(first: Columns, second: Columns) -> Columns:
    """The rows of ``first`` then those of ``second`` (the same columns): one COPY instead of two."""
    both: Columns = {}
    for name, column in first.items():
        other = second[name]
        if isinstance(column, JsonObjects) and isinstance(other, JsonObjects):
            both[name] = column + other
        elif not isinstance(column, JsonObjects) and not isinstance(other, JsonObjects):
            both[name] = [*column, *other]
        else:
            raise TypeError(f"{name}: JSON objects in one part only")
    return both


def insert_columns(
    session: Session,
    table: Table,
    columns: Columns,
    count: int,
    *,
    returning_ids: bool = False,
    progress: Callable[[int], None] | None = None,
) -> list[int]:
    """Insert ``count`` rows given column by column (each column ``count`` values, or a ``JsonObjects``); with
    ``returning_ids`` returns their new ids in row order. ``progress(rows done)`` is called every 500 rows."""
    if not count:
        return []
    if session.get_bind().dialect.name != "postgresql":
        names = list(columns)
        values = [c.dicts() if isinstance(c, JsonObjects) else c for c in columns.values()]
        rows: Iterator[tuple[Any, ...]] = zip(*values, strict=True)
        if progress is not None:
            rows = _reported(rows, progress)
        dicts = [dict(zip(names, row, strict=True)) for row in rows]
        if not returning_ids:
            session.execute(insert(table), dicts)
            return []
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(session.scalars(statement, dicts))
    ids: list[int] = []
    if returning_ids:
        ids = _new_ids(session, table, count)
        columns = {"id": ids, **columns}
    _copy_columns(session, table, columns, count, progress=progress)
    return ids


def insert_family(
    session: Session,
    table: Table,
    columns: Columns,
    count: int,
    children: Callable[[list[int]], list[tuple[Table, Columns, int]]],
    *,
    progress: Callable[[int], None] | None = None,
) -> list[int]:
    """Insert ``count`` rows of ``table`` (their new ids returned in row order) and then the rows that refer to
    them, ``children(ids)``: (table, columns, count) of each. On PostgreSQL the foreign keys are checked once per
    distinct parent instead of once per row where the connection may (keys_checked_at_once)."""
    if session.get_bind().dialect.name != "postgresql":
        ids = insert_columns(session, table, columns, count, returning_ids=True, progress=progress)
        for child, child_columns, child_count in children(ids):
            insert_columns(session, child, child_columns, child_count)
        return ids
    ids = _new_ids(session, table, count)
    kin = children(ids)
    at_once = keys_checked_at_once(session, [(table, columns), *((c, cs) for c, cs, _ in kin)], table, ids)
    _copy_columns(session, table, {"id": ids, **columns}, count, progress=progress)
    for child, child_columns, child_count in kin:
        insert_columns(session, child, child_columns, child_count)
    if at_once:
        session.execute(text("SET LOCAL session_replication_role = origin"))
    return ids


def keys_checked_at_once(session: Session, parts: list[tuple[Table, Columns]], parent: Table, ids: list[int]) -> bool:
    """Check the foreign keys of rows about to be written as sets and switch off the server's per-row checks
    until ``SET LOCAL session_replication_role = origin``; False (nothing switched off) where that cannot be done.

    PostgreSQL checks a foreign key per row, as a query that locks the row it names: 400,000 of them in a
    100,000-row import (its school, class and registrar, and each family member's student), a third of the server's
    time. Here each key's distinct values are looked up and locked FOR KEY SHARE once — what the per-row check
    does — and the rows' own checks are skipped (``session_replication_role = replica``, as pg_restore does;
    it skips the triggers of these inserts only, in this transaction). Values naming the rows of ``parent`` this
    very insert makes (``ids``) need no lock: no other transaction sees them. This needs the right to set the
    parameter (a superuser, or ``GRANT SET ON PARAMETER session_replication_role`` from PostgreSQL 15); without
    it, and for a key of several columns or a table with triggers of its own, the server checks each row."""
    checks = _key_checks(session, parts, parent, set(ids))
    if checks is None:
        return False
    try:
        with session.begin_nested():
            session.execute(text("SET LOCAL session_replication_role = replica"))
    except DBAPIError:
        return False
    for referred, wanted in checks:
        locked = select(referred).where(referred.in_(wanted)).with_for_update(read=True, key_share=True)
        found = set(session.scalars(locked))
        if missing := [v for v in wanted if v not in found]:
            raise DomainError(f"写入的数据引用了不存在的记录（{referred.table.name} {missing[:5]}），未写入任何数据")
    return True


def _key_checks(
    session: Session, parts: list[tuple[Table, Columns]], parent: Table, made: set[int]
) -> list[tuple[Column[Any], list[Any]]] | None:
    """(referred column, distinct values) of each foreign key the rows give a value; None where a key or a trigger
    cannot be checked so."""
    checks: list[tuple[Column[Any], list[Any]]] = []
    for table, columns in parts:
        if _insert_triggers(session, table):
            return None
        for key in table.foreign_key_constraints:
            column = next(iter(key.columns))
            given = columns.get(column.name)
            if len(key.columns) != 1 or isinstance(given, JsonObjects):
                return None
            if given is None:
                if column.server_default is not None or column.default is not None:
                    return None
                continue  # NULL in every row: nothing to check
            referred = key.elements[0].column
            values = set(given) - {None}
            if not (referred is parent.c.id and values <= made):
                checks.append((referred, sorted(values)))
    return checks


def _insert_triggers(session: Session, table: Table) -> list[str]:
    """The table's own (not foreign-key) triggers that an insert fires: replica mode would skip them too."""
    return list(
        session.scalars(
            text(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass) AND NOT tgisinternal"
                " AND (tgtype & 4) <> 0"
            ),
            {"t": table.name},
        )
    )


def _new_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` new ids of ``table``: the sequence's name looked up once (per id it cost four times the nextval
    itself), the ids as one array (a result row per id cost the server and the driver more than the nextval)."""
    sequence = session.scalar(select(func.pg_get_serial_sequence(table.name, "id")))
    allocated = select(func.array_agg(func.nextval(sequence))).select_from(func.generate_series(1, count))
    return list(session.scalar(allocated) or [])


def _copy_columns(
    session: Session, table: Table, columns: Columns, count: int, *, progress: Callable[[int], None] | None
) -> None:
    names, rows = _copied(table, columns, count)
    if progress is not None:
        rows = _reported(rows, progress)
    _copy_tuples(session, table, names, rows, _binary_types(session, table, names, columns))


def _copied(table: Table, columns: Columns, count: int) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """The columns COPY gets and its rows, made CHUNK rows at a time: the Python side of a chunk (sealing, blind
    indexes, JSON texts) runs while the server still checks and indexes the chunks sent before it."""
    keyring = crypto.keyring_in_force()
    encoders = {name: _JsonTexts() for name, c in columns.items() if isinstance(c, JsonObjects)}
    first = _sealed(table, columns, keyring, slice(0, CHUNK))

    def rows() -> Iterator[tuple[Any, ...]]:
        chunk = first
        for start in range(0, count, CHUNK):
            if start:
                chunk = _sealed(table, columns, keyring, slice(start, start + CHUNK))
            values = [
                encoders[name].texts(c.columns) if isinstance(c, JsonObjects) else _converted(c, "postgresql")
                for name, c in chunk.items()
            ]
            yield from zip(*values, strict=True)

    return list(first), rows()


def _sealed(table: Table, columns: Columns, keyring: crypto.Keyring, rows: slice) -> Columns:
    """Some rows of the columns as COPY must get them, since it bypasses the column types: encrypted columns and
    the sealed keys of encrypted JSON objects sealed (models.crypto), blind indexes and kinds derived from the
    plain values."""
    part: Columns = {name: c[rows] for name, c in columns.items()}
    sealed: Columns = dict(part)
    for name, source_name, derive in crypto.derived_columns(table, keyring):
        source = part.get(source_name)
        if source is not None and name not in part and not isinstance(source, JsonObjects):
            sealed[name] = [derive(v) for v in source]
    for column in table.columns:
        given = part.get(column.name)
        if isinstance(column.type, crypto.Encrypted) and given is not None and not isinstance(given, JsonObjects):
            sealed[column.name] = keyring.encrypt_all(given)
        elif isinstance(column.type, crypto.EncryptedKeysJSON) and isinstance(given, JsonObjects):
            keys = column.type.sealed_keys
            sealed[column.name] = JsonObjects(
                {k: keyring.encrypt_all(vs) if k in keys else vs for k, vs in given.columns.items()}
            )
    return sealed


def _converted(column: Sequence[Any], dialect: str) -> Sequence[Any]:
    """PostgreSQL's COPY takes plain values: enums as their values, dicts and lists as JSON text."""
    if dialect != "postgresql" or all(t in _AS_IS for t in set(map(type, column))):
        return column
    plain = _memo_plain()
    return [v if v.__class__ in _AS_IS else plain(v) for v in column]


def _reported(rows: Iterator[tuple[Any, ...]], progress: Callable[[int], None]) -> Iterator[tuple[Any, ...]]:
    for done, row in enumerate(rows):
        if not done % 500:
            progress(done)
        yield row


def _copy_tuples(
    session: Session, table: Table, columns: list[str], rows: Iterator[Sequence[Any]], types: list[int] | None = None
) -> None:
    """COPY ``rows`` into ``table``; in binary with ``types`` (the columns' type oids, _binary_types): the server
    then takes each value as it is instead of scanning a text row byte by byte for its delimiters and escapes and
    parsing numbers, dates and times (a fifth of its work on an import's students)."""
    raw = session.connection().connection.driver_connection
    if not isinstance(raw, psycopg.Connection):  # the callers COPY on PostgreSQL only
        raise TypeError(f"COPY needs a psycopg connection, not {type(raw).__name__}")
    names = ", ".join(f'"{c}"' for c in columns)
    binary = " (FORMAT BINARY)" if types is not None else ""
    with raw.cursor() as cursor:
        cursor.adapters.register_dumper(None, _JsonTextDumper)
        statement = f'COPY "{table.name}" ({names}) FROM STDIN{binary}'
        with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
            if types is not None:
                copy.set_types(types)
            for row in rows:
                copy.write_row(row)


class _JsonTextDumper(Dumper):
    """A json column's value given as its encoded text (JsonObjects, _plain): json's binary form is its text."""

    format = Format.BINARY
    oid = postgres.types["json"].oid

    def dump(self, obj: Any) -> bytes:
        return str(obj).encode()


# The Python types a binary COPY dumps as each column type expects (after _converted; None is NULL anywhere).
_BINARY: dict[str, tuple[type, ...]] = {
    "int2": (int,),
    "int4": (int,),
    "int8": (int,),
    "varchar": (str,),
    "text": (str,),
    "bool": (bool,),
    "date": (date,),
    "timestamptz": (datetime,),
    "json": (str, dict, list),
}


def _binary_types(session: Session, table: Table, names: list[str], columns: Columns) -> list[int] | None:
    """The type oids of the columns ``names`` when every given value dumps in binary as its column's type expects
    (an int into an int4, an aware datetime into a timestamptz, text into a varchar); None when one may not (a
    bool given for an int, a naive datetime, a type not listed): text COPY then, which converts what it gets."""
    found = session.execute(
        text("SELECT attname, atttypid::int FROM pg_attribute WHERE attrelid = CAST(:t AS regclass) AND attnum > 0"),
        {"t": table.name},
    )
    oids: dict[str, int] = {name: oid for name, oid in found}
    by_oid = {postgres.types[name].oid: (name, kinds) for name, kinds in _BINARY.items()}
    types = []
    for name in names:
        oid = oids.get(name)
        if oid not in by_oid:
            return None
        type_name, kinds = by_oid[oid]
        column = columns.get(name)
        if column is None or isinstance(column, JsonObjects):  # derived (sealed text, indexes) or JSON texts
            if str not in kinds:
                return None
        else:
            for kind in set(map(type, column)) - {type(None)}:
                if kind not in kinds and not (issubclass(kind, Enum) and issubclass(kind, str) and str in kinds):
                    return None
            if type_name == "timestamptz" and any(v.tzinfo is None for v in set(column) - {None}):
                return None
        types.append(oid)
    return types


def _memo_plain() -> Callable[[Any], Any]:
    """_plain that encodes an object shared by many rows (e.g. the same audit ``after``) once. Keyed by identity,
    and the memo holds the object itself: rows may be built one by one and dropped, and the id of a dropped
    object can be reused by the next one."""
    memo: dict[int, tuple[Any, Any]] = {}

    def plain(value: Any) -> Any:
        hit = memo.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        if len(memo) > 64:
            memo.clear()
        encoded = _plain(value)
        memo[id(value)] = (value, encoded)
        return encoded

    return plain
