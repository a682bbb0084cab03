"""Students (§3.7, the fields the flows need so far) and their two family members (§3.8)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, ForeignKey, Index, String, UniqueConstraint, event, false, func, text
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_column, utcnow
from models.crypto import Encrypted, EncryptedKeysJSON, id_index, number_kind
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
    # Registered but not yet approved by the record authority (§4.1): not 在校, in no school list or flow.
    REGISTERING = "registering"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


class RegistrationState(StrEnum):
    """Registration pipeline (§4.1). Records that predate the pipeline (demo, transfers) are ``approved``."""

    DEDUP_PENDING = "dedup_pending"
    DEDUP_OK = "dedup_ok"
    DEDUP_PROBLEM = "dedup_problem"
    SCHOOL_REVIEWED = "school_reviewed"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"

    @property
    def label(self) -> str:
        return REGISTRATION_LABELS[self]


REGISTRATION_LABELS = {
    RegistrationState.DEDUP_PENDING: "未查重",
    RegistrationState.DEDUP_OK: "查重无问题",
    RegistrationState.DEDUP_PROBLEM: "查重有问题",
    RegistrationState.SCHOOL_REVIEWED: "学校已审核",
    RegistrationState.SUBMITTED: "待核办",
    RegistrationState.APPROVED: "审核通过",
    RegistrationState.RETURNED: "已驳回",
}


class DedupStatus(StrEnum):
    """查重 statuses shown to users (seed 001 g)."""

    PENDING = "pending"
    OK = "ok"
    PROBLEM = "problem"

    @property
    def label(self) -> str:
        return {"pending": "未查重", "ok": "查重无问题", "problem": "查重有问题"}[self]


PROBLEM_TYPES = {"1": "身份证号错误", "2": "身份证号重复", "3": "无身份证号姓名、性别、出生日期重复"}


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
    StudentStatus.REGISTERING: "待注册",
}

SEX_LABELS = {"1": "男", "2": "女"}

# The sensitive fields of §3.7/§3.8 kept in the profile JSON (addresses and contact details), sealed key by key
# (issue 22 item 1); the other profile keys stay readable by SQL for the reports.
STUDENT_SEALED_PROFILE = ("current_address", "mailing_address", "home_address", "phone", "email")
MEMBER_SEALED_PROFILE = ("current_address",)


def derived_default(source: str, derive: Callable[[str | None], str | None]) -> Callable[..., str | None]:
    """A Core insert's blind index or kind, from the plain value it inserts (the ORM sets it on assignment)."""

    def default(context: DefaultExecutionContext) -> str | None:
        parameters: dict[str, Any] = context.get_current_parameters()  # type: ignore[no-untyped-call]
        return derive(parameters.get(source))

    return default


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
        # On the number's blind index: the number itself is stored sealed (a G number holds the ID number).
        Index(
            "uq_student_national_id_index_active",
            "national_id_index",
            unique=True,
            sqlite_where=text("status <> 'transferred_out'"),
            postgresql_where=text("status <> 'transferred_out'"),
        ),
        Index("ix_student_id_doc_index", "id_doc_index"),
        Index("ix_student_name_sex_birth", "name", "sex", "birth_date"),
        Index("ix_student_school_status", "school_id", "status"),
        # The change feed (F-63) pages through students by (updated_at, id).
        Index("ix_student_updated_at_id", "updated_at", "id"),
        # Only the problem records: every query asks for a type or for any, and a registration adds no entry.
        Index(
            "ix_student_problem_type",
            "problem_type",
            sqlite_where=text("problem_type IS NOT NULL"),
            postgresql_where=text("problem_type IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date]
    ethnicity: Mapped[str] = mapped_column(String(20))
    id_doc_type: Mapped[str] = mapped_column(String(1))
    id_doc_number: Mapped[str | None] = mapped_column(Encrypted())
    # Blind index of the ID number (models.crypto.id_index): every equality look-up by ID number compares this.
    id_doc_index: Mapped[str | None] = mapped_column(
        String(32), default=derived_default("id_doc_number", id_index), info={"blind_index_of": "id_doc_number"}
    )
    # Sealed: a G number is "G" + the 居民身份证 number. Looked up by has_national_id (the blind index); the
    # kind (L, G, J) stays plain for 发放正式学籍号, which picks the L records.
    national_student_id: Mapped[str | None] = mapped_column(Encrypted())
    national_id_index: Mapped[str | None] = mapped_column(
        String(32),
        default=derived_default("national_student_id", id_index),
        info={"blind_index_of": "national_student_id"},
    )
    national_id_kind: Mapped[str | None] = mapped_column(
        String(1), default=derived_default("national_student_id", number_kind), info={"kind_of": "national_student_id"}
    )
    school_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    class_id: Mapped[int | None] = mapped_column(ForeignKey("school_class.id"), index=True)
    status: Mapped[StudentStatus] = mapped_column(enum_column(StudentStatus, 20), default=StudentStatus.IN_SCHOOL)
    # 在办业务: the one open case of this student; set and cleared by the engine only.
    open_case_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", use_alter=True))
    # Minimal overlay until problem records (F-11…) exist: a non-empty value marks a 问题学籍 (blocks transfers).
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Every UPDATE of the row sets it (ORM and Core update() alike); COPY imports get the server's clock. Read by
    # the change feed (F-63): related systems ask for the students changed since their last call.
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.current_timestamp()
    )
    deleted_at: Mapped[datetime | None]
    # 疑似辍学 overlay flag (§4.2, F-28): set after 3 school days of unexplained absence, cleared on return.
    suspected_dropout_since: Mapped[date | None]
    # 毕业信息 (F-35, F-36): set by graduation, cleared by 毕业生驳回 (F-37).
    graduated_on: Mapped[date | None]
    graduation_destination: Mapped[str | None] = mapped_column(String(20))
    graduation_certificate_no: Mapped[str | None] = mapped_column(String(40))
    # Registration (§3.7 system fields, §4.1)
    registration_state: Mapped[RegistrationState] = mapped_column(
        enum_column(RegistrationState, 20), default=RegistrationState.APPROVED, server_default="approved"
    )
    registration_type: Mapped[str | None] = mapped_column(String(10))  # 新生注册 / 在校生注册
    dedup_status: Mapped[DedupStatus] = mapped_column(
        enum_column(DedupStatus, 10), default=DedupStatus.OK, server_default="ok"
    )
    problem_type: Mapped[str | None] = mapped_column(String(1))  # PROBLEM_TYPES
    # This record's side of its problem case (F-16): 佐证待核办, 佐证通过, 变更未通过, 已删除, 仲裁通过 …
    problem_state: Mapped[str | None] = mapped_column(String(20))
    # 锁定（招生中）(§4.2 overlay, F-47): an admission of this graduate is under way while its problem record is
    # unresolved; the graduating school only looks on. Kept by models.admission, read by the engine's seats.
    admission_lock: Mapped[bool] = mapped_column(default=False, server_default="0")
    nationality: Mapped[str] = mapped_column(String(20), default="中国", server_default="中国")
    birthplace_code: Mapped[str | None] = mapped_column(String(12))
    hukou_code: Mapped[str | None] = mapped_column(String(12))
    entry_month: Mapped[str | None] = mapped_column(String(6))
    is_out_of_county: Mapped[bool] = mapped_column(default=False, server_default="0")
    # The other fields of §3.7 (items 5, 10–12, 14–21, 25–48) by identifier, as validated.
    profile: Mapped[dict[str, Any]] = mapped_column(EncryptedKeysJSON(STUDENT_SEALED_PROFILE), default=dict)
    school_comment: Mapped[str | None] = mapped_column(String(500))  # 学校补充意见 (F-12)
    return_reason: Mapped[str | None] = mapped_column(String(500))  # 核办不通过原因 (F-13)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # Retention (issue 22 item 7): when the personal fields of a record past its retention period were anonymised.
    anonymised_at: Mapped[datetime | None]

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
    def registration_label(self) -> str:
        return RegistrationState(self.registration_state).label

    @property
    def dedup_label(self) -> str:
        return DedupStatus(self.dedup_status).label

    @property
    def problem_label(self) -> str:
        return PROBLEM_TYPES.get(self.problem_type or "", "")

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
    phone: Mapped[str] = mapped_column(Encrypted())
    is_guardian: Mapped[bool] = mapped_column(default=True)
    id_doc_type: Mapped[str | None] = mapped_column(String(1))
    id_doc_number: Mapped[str | None] = mapped_column(Encrypted())
    # relation_note, employer, …
    profile: Mapped[dict[str, Any]] = mapped_column(EncryptedKeysJSON(MEMBER_SEALED_PROFILE), default=dict)

    student: Mapped[Student] = relationship(back_populates="guardians")


def has_id_number(number: str | None) -> ColumnElement[bool]:
    """Records whose ID number is ``number`` (normalised as 查重 compares it), through the blind index: the one way
    to look a student up by ID number now that the number is stored encrypted. An empty number matches nothing."""
    index = id_index(number)
    return Student.id_doc_index == index if index else false()


def has_national_id(number: str | None, index: Any = None) -> ColumnElement[bool]:
    """Records whose 全国学籍号 is ``number`` (upper case, no spaces), through its blind index (``index``: another
    table's index column of a 学籍号; the student's by default). An empty number matches nothing."""
    wanted = id_index(number)
    column = Student.national_id_index if index is None else index
    return column == wanted if wanted else false()


@event.listens_for(Student.id_doc_number, "set")
def _index_id_number(target: Student, value: str | None, _old: object, _initiator: object) -> None:
    target.id_doc_index = id_index(value)


@event.listens_for(Student.national_student_id, "set")
def _index_national_id(target: Student, value: str | None, _old: object, _initiator: object) -> None:
    target.national_id_index = id_index(value)
    target.national_id_kind = number_kind(value)
