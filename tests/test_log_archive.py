"""Archiving of the audit trail and the access log past their retention (issue 22 item 3): sealed rows older than
the retention move to gzip JSON-lines files, the database lets only archived rows go, and the chain check still
verifies across the cut (and still names a row changed after it)."""

from __future__ import annotations

import gzip
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from jobs import periodic
from models import audit, log_archive, seals
from models.audit import AuditEvent
from models.base import utcnow
from tests.test_access_log import _tamper

LATER = timedelta(days=400)


def test_old_rows_move_to_files_and_the_chain_still_verifies(session, user, tmp_path):
    admin = user("nanming-xx-registrar")
    for n in range(3):
        audit.record(session, actor=admin, action="测试", entity="student", entity_id=n, before={}, after={"a": n})
    session.flush()
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    moved = periodic.archive_logs(session, tmp_path, days=180, now=utcnow() + LATER)
    assert moved >= before - 1 > 0
    # All but the newest row (kept so that SQLite never hands out an archived id again).
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1
    [record] = session.scalars(select(seals.LogArchive).where(seals.LogArchive.chain == "audit_event")).all()
    assert record.rows == before - 1
    # The files hold every row with its seal, and recompute to the recorded cut.
    previous = seals.GENESIS
    for name in record.files.split(";"):
        previous = log_archive.verify_file(tmp_path / name, previous)
    assert previous == record.digest
    # New rows continue the chain from the cut; the check verifies, and still finds a changed row.
    audit.record(session, actor=admin, action="测试", entity="student", entity_id=2, before={}, after={"b": 2})
    audit.record(session, actor=admin, action="测试", entity="student", entity_id=3, before={}, after={"c": 3})
    session.flush()
    assert seals.seal(session, "audit_event") == 2
    assert all(seals.verify(session, chain) is None for chain in seals.CHAINS)
    first = session.scalar(select(func.min(AuditEvent.id)))
    _tamper(session, f"UPDATE audit_event SET after = '{{}}' WHERE id = {first}", "audit_event")  # noqa: S608
    session.expire_all()
    broken = seals.verify(session, "audit_event")
    assert broken is not None and (broken.row_id, broken.what) == (first, "被修改")


def test_young_rows_stay_and_unarchived_rows_cannot_be_deleted(session, user, tmp_path):
    assert periodic.archive_logs(session, tmp_path, days=1) == 0  # under the minimum: 180 days apply
    assert not list(tmp_path.iterdir())
    newest = session.scalar(select(func.max(AuditEvent.id)))
    with pytest.raises(DatabaseError), session.begin_nested():
        session.execute(text(f"DELETE FROM audit_event WHERE id = {newest}"))  # noqa: S608 -- an id of ours


def test_a_changed_archive_file_no_longer_verifies(session, user, tmp_path):
    for n in range(3):
        audit.record(
            session, actor=user("nanming-county"), action="测试", entity="student", entity_id=n, before={}, after={}
        )
    session.flush()
    periodic.archive_logs(session, tmp_path, days=180, now=utcnow() + LATER)
    record = session.scalars(select(seals.LogArchive).where(seals.LogArchive.chain == "audit_event")).first()
    assert record is not None

    path = tmp_path / record.files.split(";")[0]
    lines = gzip.decompress(path.read_bytes()).decode().splitlines(keepends=True)
    lines[0] = lines[0].replace('"action": "', '"action": "改', 1)
    path.write_bytes(gzip.compress("".join(lines).encode()))
    assert log_archive.verify_file(path, seals.GENESIS) is None


def test_the_archive_command(app, session, tmp_path):
    app.config["LOG_ARCHIVE_DIR"] = tmp_path
    result = app.test_cli_runner().invoke(args=["xueji", "archive-logs"])
    assert result.exit_code == 0 and "已归档 0 条日志" in result.output
