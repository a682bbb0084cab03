"""Attachments and certificates (§3.11): evidence files of a case, kept in the database with the case.

An upload is stored before its case starts (``instance_id`` empty) and linked to the case by the flow's check step in
the same transaction; a refused request rolls the upload back with it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, utcnow
from models.errors import DomainError
from models.user import User

MAX_BYTES = 5 * 1024 * 1024
# Judged by the first bytes, not by the name: a renamed .exe is no PDF.
SIGNATURES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png", b"%PDF-": "application/pdf"}


class Attachment(Base):
    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    kind: Mapped[str] = mapped_column(String(50))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    uploaded_by: Mapped[User] = relationship()


def check_upload(filename: str, data: bytes) -> str:
    """The content type of an acceptable file (PDF, JPG or PNG by its content, at most 5 MB); refuses anything else
    in Chinese."""
    content_type = next((t for signature, t in SIGNATURES.items() if data.startswith(signature)), None)
    if not data or len(data) > MAX_BYTES:
        raise DomainError(f"附件「{filename}」为空或超过5MB")
    if content_type is None:
        raise DomainError(f"附件「{filename}」格式不支持，请上传 PDF、JPG 或 PNG 文件")
    return content_type


def store_upload(
    session: Session,
    *,
    student_id: int,
    user: User,
    filename: str,
    data: bytes,
    kind: str = "佐证材料",
    instance_id: int | None = None,
) -> Attachment:
    """Keep one evidence file (PDF, JPG or PNG by its content, at most 5 MB); refuses anything else in Chinese."""
    content_type = check_upload(filename, data)
    row = Attachment(
        student_id=student_id,
        instance_id=instance_id,
        kind=kind,
        filename=filename[-200:],
        content_type=content_type,
        size=len(data),
        data=data,
        uploaded_by_id=user.id,
    )
    session.add(row)
    session.flush()
    return row


def link_to_case(session: Session, ids: list[int], *, student_id: int, instance_id: int) -> int:
    """Attach not-yet-linked uploads of this student to the case; returns how many belong to it now."""
    rows = session.scalars(
        select(Attachment).where(
            Attachment.id.in_(ids), Attachment.student_id == student_id, Attachment.instance_id.is_(None)
        )
    ).all()
    for row in rows:
        row.instance_id = instance_id
    return len(rows)


def parse_ids(text: str | None) -> list[int]:
    return [int(part) for part in (text or "").split(",") if part.strip().isdigit()]
