"""Tamper evidence for the audit trail and the access log: a hash chain kept beside the rows.

Each row, in id order, gets a seal: SHA-256 of the previous seal and the row's own values. Rows are never
updated (not even to store their seal), so bulk writers (COPY) and concurrent writers need no lock: the periodic
tick seals what arrived since. ``verify`` recomputes the chain and names the first row that was changed or
removed after it was sealed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, Table, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.access_log import AccessLog
from models.audit import AuditEvent
from models.base import Base
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


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="microseconds")  # SQLite hands back naive UTC
    return value


def digest_of(previous: str, row: Any) -> str:
    values = {key: _canonical(value) for key, value in row._mapping.items()}
    text = json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256((previous + text).encode()).hexdigest()


def _last(session: Session, chain: str) -> tuple[int, str]:
    row = session.execute(
        select(Seal.row_id, Seal.digest).where(Seal.chain == chain).order_by(Seal.row_id.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row else (0, GENESIS)


def seal(session: Session, chain: str) -> int:
    """Seal every row that arrived since the last seal; returns how many. The caller commits."""
    table = CHAINS[chain]
    last_id, previous = _last(session, chain)
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
    previous, after = GENESIS, 0
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
    last_id, _ = _last(session, chain)
    return session.scalar(select(func.count()).select_from(table).where(table.c.id > last_id)) or 0
