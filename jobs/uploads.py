"""Uploaded import files between the dry run and the commit, with the dry run's per-row results beside them.

A file lives in the server's import folder under the uploader's id and a random token, so nobody opens another's
upload; the web keeps it, and the import jobs (jobs/imports.py) read it by owner and token. It goes when it has
been imported, and any file older than a day goes when the next one arrives: the dry run's results are only ever
reused on the day they were made.
"""

from __future__ import annotations

import pickle
import secrets
import time
from pathlib import Path

from flask import abort, current_app

from handlers.student_import import Validated
from models.bulk import paused_gc

MAX_AGE_SECONDS = 24 * 3600


def _folder() -> Path:
    folder = Path(current_app.config["IMPORT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def path_of(owner_id: int, token: str) -> Path:
    if not token.isalnum():
        abort(404)
    return _folder() / f"{owner_id}-{token}.xlsx"


def keep(owner_id: int, data: bytes) -> str:
    """Store a new upload; returns its token."""
    sweep()
    token = secrets.token_hex(16)
    path_of(owner_id, token).write_bytes(data)
    return token


def read(owner_id: int, token: str) -> bytes:
    path = path_of(owner_id, token)
    return path.read_bytes() if path.exists() else b""


@paused_gc()
def validated(owner_id: int, token: str) -> Validated | None:
    """The dry run's per-row results of this upload (written by this server, never uploaded); the commit uses
    them only if they are of the very same file (sha256) and day, else validates again."""
    try:
        found = pickle.loads(path_of(owner_id, token).with_suffix(".validated").read_bytes())  # noqa: S301 (our own file)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError):
        return None
    return found if isinstance(found, Validated) else None


@paused_gc()
def keep_validated(owner_id: int, token: str, result: Validated | None) -> None:
    if result is not None:
        path_of(owner_id, token).with_suffix(".validated").write_bytes(pickle.dumps(result, pickle.HIGHEST_PROTOCOL))


def errors_path(owner_id: int, token: str) -> Path:
    """The failed rows of the upload's latest check or import (the error workbook), written by its job."""
    return path_of(owner_id, token).with_suffix(".errors")


def forget(owner_id: int, token: str) -> None:
    """The upload has been imported: its file and results are of no more use."""
    path = path_of(owner_id, token)
    for leftover in (path, path.with_suffix(".validated"), errors_path(owner_id, token)):
        leftover.unlink(missing_ok=True)


def sweep(max_age: float = MAX_AGE_SECONDS) -> int:
    """Remove everyone's uploads older than ``max_age`` seconds; returns how many files went."""
    cutoff = time.time() - max_age
    gone = 0
    for path in _folder().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                gone += 1
        except FileNotFoundError:  # another worker swept it first
            continue
    return gone
