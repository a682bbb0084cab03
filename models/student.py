"""Students (§3.7, the fields the flows need so far) and their two family members (§3.8)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_column, utcnow
from models.org import OrgUnit, SchoolClass


class StudentStatus(StrEnum):
    """学籍状态 (§4.2). Changes only through flows and batch operations, each with an audit event."""

    IN_SCHOOL = "in_school"
    SUSPENDED = "suspended"
    ABROAD = "abroad"
    OTHER_DEPARTURE = "other_departure"
    DROPOUT = "dropout"
    DECEASED = "deceased"
    GRADUATED = "graduated"
    COMPLETED = "completed"
    INCOMPLETE = "incomplete"
    WITHDRAWN = "withdrawn"
    TRANSFERRED_OUT = "transferred_out"
    DELETED = "deleted"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    StudentStatus.IN_SCHOOL: "在校",
    StudentStatus.SUSPENDED: "休学",
    StudentStatus.ABROAD: "出国",
    StudentStatus.OTHER_DEPARTURE: "其他离校",
    StudentStatus.DROPOUT: "辍学",
    StudentStatus.DECEASED: "死亡",
    StudentStatus.GRADUATED: "毕业",
    StudentStatus.COMPLETED: "结业",
    StudentStatus.INCOMPLETE: "肄业",
    StudentStatus.WITHDRAWN: "退学",
    StudentStatus.TRANSFERRED_OUT: "转出",
    StudentStatus.DELETED: "已删除",
}

SEX_LABELS = {"1": "男", "2": "女"}

ID_DOC_TYPES = {
    "1": "居民身份证",
    "6": "香港特区护照/身份证明",
    "7": "澳门特区护照/身份证明",
    "8": "台湾居民来往大陆通行证",
    "9": "境外永久居住证",
    "A": "护照",
    "Z": "其他",
}


class Student(Base):
    __tablename__ = "student"
    __table_args__ = (
        # One person, one active record: a record handed over to another province (转出, F-32) keeps its
        # number as history while the receiving province's new record carries it (§3.6, T13).
        Index(
            "uq_student_national_student_id_active",
            "national_student_id",
            unique=True,
            sqlite_where=text("status <> 'transferred_out'"),
            postgresql_where=text("status <> 'transferred_out'"),
        ),
        Index("ix_student_id_doc_number", "id_doc_number"),
        Index("ix_student_name_sex_birth", "name", "sex", "birth_date"),
        Index("ix_student_school_status", "school_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date]
    ethnicity: Mapped[str] = mapped_column(String(20))
    id_doc_type: Mapped[str] = mapped_column(String(1))
    id_doc_number: Mapped[str | None] = mapped_column(String(30))
    national_student_id: Mapped[str | None] = mapped_column(String(19))
    school_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    class_id: Mapped[int | None] = mapped_column(ForeignKey("school_class.id"), index=True)
    status: Mapped[StudentStatus] = mapped_column(enum_column(StudentStatus, 20), default=StudentStatus.IN_SCHOOL)
    # 在办业务: the one open case of this student; set and cleared by the engine only.
    open_case_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", use_alter=True))
    # Minimal overlay until problem records (F-11…) exist: a non-empty value marks a 问题学籍 (blocks transfers).
    problem_type: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
    # 疑似辍学 overlay flag (§4.2, F-28): set after 3 school days of unexplained absence, cleared on return.
    suspected_dropout_since: Mapped[date | None]
    # 毕业信息 (F-35, F-36): set by graduation, cleared by 毕业生驳回 (F-37).
    graduated_on: Mapped[date | None]
    graduation_destination: Mapped[str | None] = mapped_column(String(20))
    graduation_certificate_no: Mapped[str | None] = mapped_column(String(40))

    school: Mapped[OrgUnit] = relationship()
    school_class: Mapped[SchoolClass | None] = relationship()
    guardians: Mapped[list[Guardian]] = relationship(back_populates="student", order_by="Guardian.seq")

    @property
    def sex_label(self) -> str:
        return SEX_LABELS.get(self.sex, self.sex)

    @property
    def status_label(self) -> str:
        return StudentStatus(self.status).label

    @property
    def masked_id_number(self) -> str:
        """First 6 and last 4 characters only (Q-40)."""
        number = self.id_doc_number or ""
        return number if len(number) < 11 else number[:6] + "*" * (len(number) - 10) + number[-4:]


class Guardian(Base):
    __tablename__ = "guardian"
    __table_args__ = (UniqueConstraint("student_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"))
    seq: Mapped[int]  # 1 or 2: exactly two members per student (§3.8)
    name: Mapped[str] = mapped_column(String(50))
    relation: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str] = mapped_column(String(20))
    is_guardian: Mapped[bool] = mapped_column(default=True)
    id_doc_type: Mapped[str | None] = mapped_column(String(1))
    id_doc_number: Mapped[str | None] = mapped_column(String(30))

    student: Mapped[Student] = relationship(back_populates="guardians")
