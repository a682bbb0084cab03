"""Set-based inserts for large batches (imports): COPY on PostgreSQL, executemany elsewhere.

Rows may be a generator: on PostgreSQL each row is built while the server is still checking the foreign keys
and indexes of the rows before it (a queued writer sends them from a second thread), so building the rows costs
next to nothing on top of the server's own work.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from itertools import chain
from operator import itemgetter
from typing import Any

import psycopg
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

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
    _copy(session, table, list(first), chain([first], rows))


def insert_returning_ids(session: Session, table: Table, rows: Iterable[Row], count: int) -> list[int]:
    """Insert ``count`` rows and return their new ids in row order. On PostgreSQL the ids are taken from the
    table's sequence first, so that the rows can stream into COPY with their ids."""
    if not count:
        return []
    if session.get_bind().dialect.name != "postgresql":
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(session.scalars(statement, list(rows)))
    sequence = func.pg_get_serial_sequence(table.name, "id")
    ids = list(session.scalars(select(func.nextval(sequence)).select_from(func.generate_series(1, count))))
    rows = iter(rows)
    first = next(rows)
    _copy(session, table, list(first), chain([first], rows), ids=ids)
    return ids


def _copy(
    session: Session, table: Table, columns: list[str], rows: Iterator[Row], *, ids: list[int] | None = None
) -> None:
    """COPY the rows; with ``ids``, each row goes with the next id (as the first column)."""
    raw = session.connection().connection.driver_connection
    if not isinstance(raw, psycopg.Connection):  # the callers COPY on PostgreSQL only
        raise TypeError(f"COPY needs a psycopg connection, not {type(raw).__name__}")
    names = ", ".join(f'"{c}"' for c in (["id", *columns] if ids is not None else columns))
    values = itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
    plain = _memo_plain()
    with raw.cursor() as cursor:
        statement = f'COPY "{table.name}" ({names}) FROM STDIN'
        with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
            if ids is None:
                for row in rows:
                    copy.write_row([v if v.__class__ in _AS_IS else plain(v) for v in values(row)])
            else:
                for new_id, row in zip(ids, rows, strict=True):
                    converted = [v if v.__class__ in _AS_IS else plain(v) for v in values(row)]
                    converted.insert(0, new_id)
                    copy.write_row(converted)


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
