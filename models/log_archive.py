"""Archiving of the audit trail and the access log past their retention (issue 22 item 3, GB/T 22239 8.1.4.3 d:
records kept at least six months).

Sealed rows older than the retention leave the table for a gzip JSON-lines file under the instance folder, one
file per chain, month and run (``audit_event/2026-05/000001-004711.jsonl.gz``), written once and never changed;
each line is a row with its seal. The cut — the last archived row id and its chain hash — is recorded in
``log_archive``, so that the chain check starts from it and still finds a row changed or removed after the cut,
and the file itself verifies against the recorded hash (``verify_file``). Rows go in id order, so what remains
is always the chain's unbroken tail.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import datetime, timedelta
from itertools import groupby
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import seals
from models.base import utcnow

# The audit trail and the staff's access log (issue 22 item 3); the parents' access log keeps all its rows.
CHAINS = ("audit_event", "access_log")
MIN_DAYS = 180  # GB/T 22239-2019 8.1.4.3 d) as the 网络安全法 art. 21 reads it: at least six months
BATCH = 5000


def archive(
    session: Session, chain: str, folder: Path, *, days: int, now: datetime | None = None
) -> seals.LogArchive | None:
    """Move the sealed rows of ``chain`` older than ``days`` (at least MIN_DAYS) to files; the caller commits."""
    days = max(days, MIN_DAYS)
    table = seals.CHAINS[chain]
    cutoff = (now or utcnow()) - timedelta(days=days)
    start, _ = seals.last_cut(session, chain)
    sealed_to, _ = seals.last_seal(session, chain)
    young = session.scalar(select(func.min(table.c.id)).where(table.c.id > start, table.c.at >= cutoff))
    # The newest row always stays: SQLite gives a new row max(id) + 1, and an emptied table would hand out
    # archived ids again.
    newest = session.scalar(select(func.max(table.c.id))) or 0
    cut = min(sealed_to, newest - 1, young - 1 if young is not None else sealed_to)
    if cut <= start:
        return None
    digests = dict(
        session.execute(
            select(seals.Seal.row_id, seals.Seal.digest).where(
                seals.Seal.chain == chain, seals.Seal.row_id > start, seals.Seal.row_id <= cut
            )
        ).all()
    )
    rows = session.execute(select(table).where(table.c.id > start, table.c.id <= cut).order_by(table.c.id)).all()
    written = [_write(folder, chain, month, list(group), digests) for month, group in groupby(rows, _month)]
    record = seals.LogArchive(
        chain=chain,
        first_row_id=rows[0].id,
        last_row_id=cut,
        rows=len(rows),
        digest=digests[cut],
        files=";".join(name for name, _ in written),
        file_sha256=";".join(sha for _, sha in written),
    )
    session.add(record)
    session.flush()  # the cut first: the database lets only rows at or before a recorded cut go (migration 0025)
    session.execute(delete(table).where(table.c.id > start, table.c.id <= cut))
    # The seals of archived rows live on in the files; the cut's own seal stays, where the next seal continues.
    session.execute(
        delete(seals.Seal).where(seals.Seal.chain == chain, seals.Seal.row_id > start, seals.Seal.row_id < cut)
    )
    session.flush()
    return record


def _month(row: Any) -> str:
    return f"{row.at:%Y-%m}"


def _write(folder: Path, chain: str, month: str, rows: list[Any], digests: dict[int, str]) -> tuple[str, str]:
    name = f"{chain}/{month}/{rows[0].id:09d}-{rows[-1].id:09d}.jsonl.gz"
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = (_line(row, digests[row.id]) for row in rows)
    with gzip.open(path, "xt", encoding="utf-8") as out:  # "x": an archive file is never written over
        out.writelines(lines)
    return name, hashlib.sha256(path.read_bytes()).hexdigest()


def _line(row: Any, digest: str) -> str:
    values = {key: seals.canonical(value) for key, value in row._mapping.items()}
    return json.dumps({"row": values, "seal": digest}, ensure_ascii=False, default=str) + "\n"


def verify_file(path: Path, previous: str) -> str | None:
    """Recompute the chain over an archive file from the hash before its first row; returns the last row's hash,
    or None when a line does not match its seal (the file was changed)."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            item = json.loads(line)
            previous = seals.digest_of_values(previous, item["row"])
            if previous != item["seal"]:
                return None
    return previous
