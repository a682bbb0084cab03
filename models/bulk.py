"""Set-based inserts for large batches (imports): COPY on PostgreSQL, executemany elsewhere."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

_JSON = json.JSONEncoder(ensure_ascii=False)  # json.dumps(value, ensure_ascii=False) without its per-call set-up
_AS_IS = frozenset({str, int, float, bool, type(None), date, datetime, Decimal})


def _plain(value: Any) -> Any:
    if isinstance(value, dict | list):
        return _JSON.encode(value)
    if isinstance(value, Enum):
        return value._value_  # what .value returns, without the descriptor
    return value


def insert_rows(
    session: Session, table: Table, rows: list[dict[str, Any]], *, returning_ids: bool = False
) -> list[int]:
    """Insert ``rows`` (same keys in every row); with ``returning_ids`` the new ids in row order."""
    if not rows:
        return []
    if session.get_bind().dialect.name != "postgresql":
        if returning_ids:
            statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
            return list(session.scalars(statement, rows))
        session.execute(insert(table), rows)
        return []
    ids: list[int] = []
    columns = list(rows[0])
    if returning_ids:
        sequence = func.pg_get_serial_sequence(table.name, "id")
        ids = list(session.scalars(select(func.nextval(sequence)).select_from(func.generate_series(1, len(rows)))))
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        names = ", ".join(f'"{c}"' for c in (["id", *columns] if returning_ids else columns))
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            values = itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
            plain = _memo_plain()
            if returning_ids:
                for new_id, row in zip(ids, rows, strict=True):
                    converted = [v if v.__class__ in _AS_IS else plain(v) for v in values(row)]
                    converted.insert(0, new_id)
                    copy.write_row(converted)
            else:
                for row in rows:
                    copy.write_row([v if v.__class__ in _AS_IS else plain(v) for v in values(row)])
    return ids


def _memo_plain() -> Callable[[Any], Any]:
    """_plain that encodes an object shared by many rows (e.g. the same audit ``after``) once. Keyed by identity:
    the rows, and so every key's object, stay alive while the rows are written."""
    memo: dict[int, Any] = {}

    def plain(value: Any) -> Any:
        key = id(value)
        if key not in memo:
            if len(memo) > 64:
                memo.clear()
            memo[key] = _plain(value)
        return memo[key]

    return plain
