"""Evidence files uploaded with a form (§3.11): jpg/png/pdf, size-limited, stored as ``Attachment`` rows."""

from __future__ import annotations

from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict

from models.attachment import MAX_BYTES, Attachment, store_upload
from models.user import User
from webapp.db import db


def save_evidence(
    files: list[FileStorage], *, by: User, student_id: int, instance_id: int | None = None, kind: str = "证明材料"
) -> list[int]:
    """Store the uploaded files of a form (``models.attachment.store_upload`` checks each); raises ``DomainError``
    naming a refused file."""
    return [
        store_upload(
            db(),
            student_id=student_id,
            user=by,
            filename=upload.filename,
            data=upload.read(MAX_BYTES + 1),  # enough to know it is too big, without reading a huge file whole
            kind=kind,
            instance_id=instance_id,
        ).id
        for upload in files
        if upload and upload.filename
    ]


def with_evidence(form: MultiDict[str, str], ids: list[int]) -> MultiDict[str, str]:
    data = form.copy()
    known = [i for i in (data.get("evidence_ids") or "").split(",") if i.strip()]
    data["evidence_ids"] = ",".join(known + [str(i) for i in ids])
    return data


def of_case(instance_id: int) -> list[Attachment]:
    """The proof linked to a case, for its summary (template global ``case_attachments``)."""
    return list(db().scalars(select(Attachment).where(Attachment.instance_id == instance_id).order_by(Attachment.id)))
