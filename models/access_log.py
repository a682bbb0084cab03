"""Who looked at whose personal data (PIPL; 等级保护 audit): one append-only row per student shown, per request.

Rows are written in one multi-row insert at the end of the request that showed the data (``webapp.access_log``);
the ORM refuses to change or delete them, and ``models.seals`` chains them so that a change made behind the
application's back is found.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.audit import AuditRowImmutable
from models.base import Base, utcnow
from models.org import OrgUnit
from models.user import User


class AccessLog(Base):
    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_student", "student_id", "id"),
        Index("ix_access_log_user", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    address: Mapped[str] = mapped_column(String(64), default="")
    page: Mapped[str] = mapped_column(String(100))  # what was shown: the page's name, or 导出 / 打印
    purpose: Mapped[str] = mapped_column(String(200), default="")
    student_id: Mapped[int | None] = mapped_column(ForeignKey("student.id"))
    rows: Mapped[int] = mapped_column(default=1)  # records in an export or print

    user: Mapped[User] = relationship()
    org: Mapped[OrgUnit] = relationship()


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _ctx: object, _instances: object) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AccessLog):
            raise AuditRowImmutable("access log rows are append-only")
