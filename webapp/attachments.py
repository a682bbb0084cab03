"""Evidence files uploaded with a task form (§3.11): jpg/png/pdf, size-limited, stored as ``Attachment`` rows."""

from __future__ import annotations

from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict

from models.attachment import Attachment
from models.errors import DomainError
from models.user import User
from webapp.db import db

SIGNATURES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png", b"%PDF-": "application/pdf"}
MAX_BYTES = 5 * 1024 * 1024


def save_evidence(
    files: list[FileStorage], *, by: User, student_id: int, instance_id: int | None = None, kind: str = "证明材料"
) -> list[int]:
    """Store each file (checked by its signature, not its name); raises ``DomainError`` naming a refused file."""
    ids = []
    for upload in files:
        if not upload or not upload.filename:
            continue
        data = upload.read(MAX_BYTES + 1)
        content_type = next((t for sig, t in SIGNATURES.items() if data.startswith(sig)), None)
        if content_type is None:
            raise DomainError(f"{upload.filename}：证明材料只接受 jpg、png 或 pdf 文件")
        if len(data) > MAX_BYTES:
            raise DomainError(f"{upload.filename}：文件不能超过5MB")
        row = Attachment(
            student_id=student_id,
            instance_id=instance_id,
            kind=kind,
            filename=upload.filename[:200],
            content_type=content_type,
            size=len(data),
            data=data,
            uploaded_by_id=by.id,
        )
        db().add(row)
        db().flush()
        ids.append(row.id)
    return ids


def with_evidence(form: MultiDict[str, str], ids: list[int]) -> MultiDict[str, str]:
    data = form.copy()
    known = [i for i in (data.get("evidence_ids") or "").split(",") if i.strip()]
    data["evidence_ids"] = ",".join(known + [str(i) for i in ids])
    return data


def of_case(instance_id: int) -> list[Attachment]:
    """The proof linked to a case, for its summary (template global ``case_attachments``)."""
    return list(db().scalars(select(Attachment).where(Attachment.instance_id == instance_id).order_by(Attachment.id)))
