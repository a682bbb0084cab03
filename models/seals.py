"""Tamper evidence for the audit trail and the access log: a hash chain kept beside the rows.

Each row, in id order, gets a seal: SHA-256 of the previous seal and the row's own values. Rows are never
updated (not even to store their seal), so bulk writers (COPY) and concurrent writers need no lock: the periodic
tick seals what arrived since. ``verify`` recomputes the chain and names the first row that was changed or
removed after it was sealed. Rows past their retention move to archive files (models/log_archive.py); the
chain check then starts from the recorded cut (``LogArchive``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, Table, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.access_log import AccessLog
from models.audit import AuditEvent
from models.base import Base, utcnow
from models.family import FamilyAccessLog

CHAINS: dict[str, Table] = {
    "audit_event": AuditEvent.__table__,
    "access_log": AccessLog.__table__,
    "family_access_log": FamilyAccessLog.__table__,
}
GENESIS = "0" * 64
BATCH = 5000


class Seal(Base):
    __tablename__ = "seal"

    chain: Mapped[str] = mapped_column(String(30), primary_key=True)
    row_id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))


class LogArchive(Base):
    """One archiving run of one chain (models/log_archive.py): the rows up to ``last_row_id`` are in ``files``;
    ``digest`` is the chain hash of that last row, where the check of the rows still in the table starts."""

    __tablename__ = "log_archive"

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(30), index=True)
    first_row_id: Mapped[int]
    last_row_id: Mapped[int]
    rows: Mapped[int]
    digest: Mapped[str] = mapped_column(String(64))
    files: Mapped[str] = mapped_column(Text)  # relative to the archive folder, one per month, ";"-joined
    file_sha256: Mapped[str] = mapped_column(Text)  # of each file, in the same order
    archived_at: Mapped[datetime] = mapped_column(default=utcnow)


def canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="microseconds")  # SQLite hands back naive UTC
    return value


def digest_of(previous: str, row: Any) -> str:
    return digest_of_values(previous, {key: canonical(value) for key, value in row._mapping.items()})


def digest_of_values(previous: str, values: dict[str, Any]) -> str:
    text = json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256((previous + text).encode()).hexdigest()


def last_cut(session: Session, chain: str) -> tuple[int, str]:
    """Where the chain still in the table starts: the last archived row and its hash (0, GENESIS when none)."""
    row = session.execute(
        select(LogArchive.last_row_id, LogArchive.digest)
        .where(LogArchive.chain == chain)
        .order_by(LogArchive.last_row_id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else (0, GENESIS)


def last_seal(session: Session, chain: str) -> tuple[int, str]:
    row = session.execute(
        select(Seal.row_id, Seal.digest).where(Seal.chain == chain).order_by(Seal.row_id.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row else (0, GENESIS)


def seal(session: Session, chain: str) -> int:
    """Seal every row that arrived since the last seal; returns how many. The caller commits."""
    table = CHAINS[chain]
    last_id, previous = last_seal(session, chain)
    sealed = 0
    while True:
        rows = session.execute(select(table).where(table.c.id > last_id).order_by(table.c.id).limit(BATCH)).all()
        if not rows:
            return sealed
        seals = []
        for row in rows:
            previous = digest_of(previous, row)
            seals.append({"chain": chain, "row_id": row.id, "digest": previous})
        session.execute(Seal.__table__.insert(), seals)
        last_id, sealed = rows[-1].id, sealed + len(rows)


@dataclass(frozen=True)
class Broken:
    chain: str
    row_id: int
    what: str  # 被修改 / 被删除

    @property
    def message(self) -> str:
        return f"{CHAIN_LABELS[self.chain]}第 {self.row_id} 条记录{self.what}"


CHAIN_LABELS = {"audit_event": "操作日志", "access_log": "访问日志", "family_access_log": "家长访问日志"}


def verify(session: Session, chain: str) -> Broken | None:
    """Recompute the chain over the sealed rows; the first row changed or removed, or None when intact."""
    table = CHAINS[chain]
    after, previous = last_cut(session, chain)
    while True:
        seals = session.execute(
            select(Seal.row_id, Seal.digest)
            .where(Seal.chain == chain, Seal.row_id > after)
            .order_by(Seal.row_id)
            .limit(BATCH)
        ).all()
        if not seals:
            return None
        ids = [row_id for row_id, _ in seals]
        rows = {row.id: row for row in session.execute(select(table).where(table.c.id.in_(ids)))}
        for row_id, expected in seals:
            row = rows.get(row_id)
            if row is None:
                return Broken(chain, row_id, "被删除")
            previous = digest_of(previous, row)
            if previous != expected:
                return Broken(chain, row_id, "被修改")
        after = ids[-1]


def unsealed(session: Session, chain: str) -> int:
    table = CHAINS[chain]
    last_id, _ = last_seal(session, chain)
    return session.scalar(select(func.count()).select_from(table).where(table.c.id > last_id)) or 0
