"""Families (F-59, F-62): parent accounts bound to their children, the 学生学籍信息确认表 of each student with its
codes and uploaded photo, the corrections parents ask for, and the log of what parents saw.

A parent is not a staff user: it signs in on the portal's own page, belongs to no organisation and holds no role.
What it may see is decided in one place, ``models.jurisdiction.children_of``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.audit import AuditRowImmutable
from models.base import Base, enum_column, utcnow
from models.student import Student


class ParentAccount(Base):
    """家长账号: the phone number is the sign-in name (the 平台号 the teacher looks up is the id)."""

    __tablename__ = "parent_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    # A password set by the homeroom teacher is changed at the next sign-in.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    links: Mapped[list[ParentLink]] = relationship(back_populates="parent", cascade="all, delete-orphan")


class ParentLink(Base):
    """One child of a parent account, bound by the child's registration code."""

    __tablename__ = "parent_link"
    __table_args__ = (UniqueConstraint("parent_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("parent_account.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    bound_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[ParentAccount] = relationship(back_populates="links")
    student: Mapped[Student] = relationship()


class UploadedBy(StrEnum):
    PARENT = "parent"
    TEACHER = "teacher"

    @property
    def label(self) -> str:
        return {"parent": "家长", "teacher": "班主任代传"}[self]


class ConfirmationForm(Base):
    """学生学籍信息确认表 of one student (F-59 Rec. data): the upload code printed on it (基础信息表拍照上传号, by
    which the teacher uploads for a parent), the registration code (注册码, kept as a digest: shown once when
    issued), and the photo of the signed form."""

    __tablename__ = "confirmation_form"

    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), primary_key=True)
    upload_code: Mapped[str] = mapped_column(String(12), unique=True)
    registration_code_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    code_issued_at: Mapped[datetime | None]
    photo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    photo_type: Mapped[str] = mapped_column(String(30), default="", server_default="")
    uploaded_by: Mapped[UploadedBy | None] = mapped_column(enum_column(UploadedBy, 10))
    uploaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    uploaded_by_parent_id: Mapped[int | None] = mapped_column(ForeignKey("parent_account.id"))
    uploaded_at: Mapped[datetime | None]
    paper_received: Mapped[bool] = mapped_column(default=False, server_default="0")
    teacher_reviewed: Mapped[bool] = mapped_column(default=False, server_default="0")

    student: Mapped[Student] = relationship()


class RequestState(StrEnum):
    PENDING = "pending"
    APPLIED = "applied"
    FORWARDED = "forwarded"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return REQUEST_LABELS[self]


REQUEST_LABELS = {
    RequestState.PENDING: "待学校确认",
    RequestState.APPLIED: "学校已确认并修改",
    RequestState.FORWARDED: "已转为关键数据变更申请",
    RequestState.REJECTED: "学校未采纳",
}


class FamilyRequest(Base):
    """A correction a parent asks for: a non-key field waits for the school's confirmation (F-20); a key field
    (F-18's set) becomes a key-data change application when the school takes it up, with the parent's proof."""

    __tablename__ = "family_request"
    __table_args__ = (Index("ix_family_request_student_state", "student_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"))
    parent_id: Mapped[int] = mapped_column(ForeignKey("parent_account.id"))
    field: Mapped[str] = mapped_column(String(30))
    old_value: Mapped[str] = mapped_column(String(200), default="")
    new_value: Mapped[str] = mapped_column(String(200))
    key_field: Mapped[bool] = mapped_column(default=False)
    proof: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    proof_type: Mapped[str] = mapped_column(String(30), default="", server_default="")
    state: Mapped[RequestState] = mapped_column(enum_column(RequestState, 10), default=RequestState.PENDING)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    student: Mapped[Student] = relationship()


class FamilyAccessLog(Base):
    """What a parent saw (the staff's access_log has a user and an organisation, a parent has neither): append-only
    and hash-chained like it (models.seals)."""

    __tablename__ = "family_access_log"
    __table_args__ = (Index("ix_family_access_log_student", "student_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    parent_id: Mapped[int] = mapped_column(ForeignKey("parent_account.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"))
    page: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(64), default="")


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _ctx: object, _instances: object) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, FamilyAccessLog):
            raise AuditRowImmutable("family access log rows are append-only")
