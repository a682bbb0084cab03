"""入学注册 / 延期注册 / 未办理注册手续 / 学期注册 (F-15, seed 002 Art. 14–16): each term the school confirms its
students' registration, new students within 10 working days of the term's start, in-school students within 5.

A student's registration of one term is one row. Deadlines are counted on the national working-day calendar
(``models.holidays.working_calendar``): the term's first day counts when it is a working day, so the deadline is the
N-th working day from the start. After it, registering needs the county's red-header request 新生注册补注册 or
学期注册补注册 (F-60) to have come back with its result (结果反馈).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, enum_column, utcnow
from models.business_calendar import WorkingCalendar
from models.calendar import Term
from models.student import Student, StudentStatus

ADMISSION_WORKING_DAYS = 10  # 入学注册 (seed 002 Art. 14)
TERM_WORKING_DAYS = 5  # 学期注册 (seed 002 time table)


class RegistrationKind(StrEnum):
    ADMISSION = "admission"
    TERM = "term"

    @property
    def label(self) -> str:
        return {"admission": "入学注册", "term": "学期注册"}[self]

    @property
    def working_days(self) -> int:
        return ADMISSION_WORKING_DAYS if self is RegistrationKind.ADMISSION else TERM_WORKING_DAYS

    @property
    def late_request(self) -> str:
        """The red-header request type (F-60) that allows a registration after the deadline."""
        return "新生注册补注册" if self is RegistrationKind.ADMISSION else "学期注册补注册"


class RegistrationOutcome(StrEnum):
    REGISTERED = "registered"
    DEFERRED = "deferred"
    NOT_REGISTERED = "not_registered"

    @property
    def label(self) -> str:
        return {"registered": "已注册", "deferred": "延期注册", "not_registered": "未办理注册手续"}[self]


class TermRegistration(Base):
    __tablename__ = "term_registration"
    __table_args__ = (UniqueConstraint("term_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    kind: Mapped[RegistrationKind] = mapped_column(enum_column(RegistrationKind, 10))
    outcome: Mapped[RegistrationOutcome] = mapped_column(enum_column(RegistrationOutcome, 15))
    day: Mapped[date]
    reason: Mapped[str] = mapped_column(String(500), default="")
    late: Mapped[bool] = mapped_column(default=False)  # after the deadline, by a request's result
    by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


def deadline(calendar: WorkingCalendar, term_start: date, kind: RegistrationKind) -> date:
    """The last day to register: the N-th working day counted from the term's first day."""
    return calendar.nth_school_day(term_start, kind.working_days)


def kind_of(student: Student, term: Term) -> RegistrationKind:
    """A student who entered in this term's academic year registers as a new student (入学注册): by the cohort of
    the student's class, else (not yet placed, 待分班) by the entry month."""
    if student.school_class is not None:
        entry_year = student.school_class.cohort.cohort_year
    elif student.entry_month and student.entry_month[:4].isdigit():
        entry_year = int(student.entry_month[:4])
    else:
        entry_year = term.academic_year.start_year  # a new student not yet in a class
    return RegistrationKind.ADMISSION if entry_year >= term.academic_year.start_year else RegistrationKind.TERM


def unconfirmed(session: Session, school_id: int, term_id: int) -> list[Student]:
    """The school's in-school students without a registration row for the term (feeds the dropout watch, F-28)."""
    done = select(TermRegistration.student_id).where(TermRegistration.term_id == term_id)
    return list(
        session.scalars(
            select(Student)
            .where(
                Student.school_id == school_id,
                Student.status == StudentStatus.IN_SCHOOL,
                Student.id.not_in(done),
            )
            .order_by(Student.class_id, Student.name)
        )
    )
