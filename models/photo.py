"""Student photos (§3.10, F-55): one current photo per student, checked before it is stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class StudentPhoto(Base):
    __tablename__ = "student_photo"

    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    width: Mapped[int]
    height: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
