"""Re-encryption under the current key version (``flask xueji rotate-key``, the ``crypto.rotate`` job).

Batch by batch in id order, each batch its own short transaction: the rows are read as stored (locked on
PostgreSQL; on SQLite the write lock and a snapshot conflict keep a concurrent edit from being overwritten), each
value not yet under the current version is opened with whichever configured version sealed it and sealed again,
and the batch commits. Reads accept every configured version meanwhile, so the system keeps running, and a rerun
after an interruption only does what is left. ``updated_at`` is kept: re-encryption changes no one's record, and
the change feed (F-63) must not hand every student to the related systems again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Table, Text, bindparam, func, select, type_coerce, update
from sqlalchemy.orm import Session

from models import crypto
from models.job import Progress, no_progress
from models.regional import RegionalOverride
from models.student import Guardian, Student

BATCH = 1000
TABLES: tuple[Table, ...] = (Student.__table__, Guardian.__table__, RegionalOverride.__table__)


@dataclass(frozen=True)
class Rotated:
    version: str
    rows: int  # rows whose sealed values were rewritten
    checked: int  # rows read


def pending(session: Session) -> int:
    """Rows of the sealed tables, all of which a rotation reads once (for its progress bar)."""
    return sum(session.scalar(select(func.count()).select_from(table)) or 0 for table in TABLES)


def rotate(session: Session, progress: Progress = no_progress, *, batch: int = BATCH) -> Rotated:
    """Re-encrypt every sealed value not under the current version; commits batch by batch."""
    keyring = crypto.keyring_in_force()
    total, checked, rewritten = pending(session), 0, 0
    session.commit()
    for table in TABLES:
        last = 0
        while True:
            progress(checked, total, "重新加密")
            done, last, changed = _batch(session, table, last, batch, keyring)
            session.commit()
            checked, rewritten = checked + done, rewritten + changed
            if done < batch:
                break
    progress(checked, total, "重新加密")
    return Rotated(keyring.current, rewritten, checked)


def _batch(session: Session, table: Table, after: int, size: int, keyring: crypto.Keyring) -> tuple[int, int, int]:
    """One batch from id ``after``: (rows read, last id, rows rewritten)."""
    names = crypto.sealed_columns(table)
    raw = [type_coerce(table.c[n], JSON if n == "profile" else Text).label(n) for n in names]
    query = select(table.c.id, *raw).where(table.c.id > after).order_by(table.c.id).limit(size)
    rows = session.execute(query.with_for_update()).all()
    if not rows:
        return 0, after, 0
    sealed_keys = {n: getattr(table.c[n].type, "sealed_keys", ()) for n in names}
    changes = []
    for row in rows:
        values = {n: _resealed(getattr(row, n), sealed_keys[n], keyring) for n in names}
        if any(v is not _SAME for v in values.values()):
            changes.append(
                {"id_": row.id, **{f"b_{n}": getattr(row, n) if v is _SAME else v for n, v in values.items()}}
            )
    if changes:
        # Bound as stored (Text / JSON, not the sealing types): the values are sealed already.
        sets: dict[str, Any] = {n: bindparam(f"b_{n}", type_=JSON if n == "profile" else Text) for n in names}
        if "updated_at" in table.c:
            sets["updated_at"] = table.c.updated_at
        session.execute(update(table).where(table.c.id == bindparam("id_")).values(sets), changes)
    return len(rows), rows[-1].id, len(changes)


_SAME: Any = object()


def _resealed(stored: Any, sealed_keys: tuple[str, ...], keyring: crypto.Keyring) -> Any:
    """The stored value sealed under the current version, or _SAME when it already is (or holds nothing)."""
    if isinstance(stored, dict):
        fresh = {k: _one(v, keyring) if k in sealed_keys and isinstance(v, str) else _SAME for k, v in stored.items()}
        if all(v is _SAME for v in fresh.values()):
            return _SAME
        return {k: stored[k] if v is _SAME else v for k, v in fresh.items()}
    return _one(stored, keyring) if isinstance(stored, str) else _SAME


def _one(stored: str, keyring: crypto.Keyring) -> Any:
    if not stored or keyring.version_of(stored) == keyring.current or not keyring.enabled:
        return _SAME
    return keyring.encrypt(keyring.decrypt(stored))
