"""Set-based inserts for large batches (imports): COPY on PostgreSQL, executemany elsewhere."""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session


def _plain(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Enum):
        return value.value
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
    if returning_ids:
        sequence = func.pg_get_serial_sequence(table.name, "id")
        ids = list(session.scalars(select(func.nextval(sequence)).select_from(func.generate_series(1, len(rows)))))
        rows = [{"id": i, **row} for i, row in zip(ids, rows, strict=True)]
    columns = list(rows[0])
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        names = ", ".join(f'"{c}"' for c in columns)
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([_plain(row[c]) for c in columns])
    return ids
