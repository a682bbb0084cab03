"""Retention (issue 22 item 7; PIPL art. 19 and 47): the personal fields of a record whose pupil left the registry
more than the configured number of years ago are anonymised, by a background job (jobs/tasks.py, daily on the beat)
or ``flask xueji retention``; a dry run lists what would be touched and changes nothing.

What stays: the record itself (id, school, status, dates of the registry's own events, year of birth, sex,
ethnicity), so that statistics of past years still add up; what goes: name, ID number and the 学籍号 built on it,
exact birth date, birthplace and household codes, the §3.7 profile (address, phone, ...), the family members'
names, phones and ID numbers and profiles, comments, certificate number, and the photo. Each anonymisation is an
audit event that names the record and the fields, never their values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import audit
from models.photo import StudentPhoto
from models.student import Guardian, Student, StudentStatus
from models.workflow import ProcessInstance

ANONYMOUS = "已匿名"
# The statuses of a pupil who has left the registry; their leaving date is the graduation, the last case that
# closed (the status change, the dropout, ...) or the deletion.
LEFT = (
    StudentStatus.GRADUATED,
    StudentStatus.COMPLETED,
    StudentStatus.INCOMPLETE,
    StudentStatus.WITHDRAWN,
    StudentStatus.DROPOUT,
    StudentStatus.DECEASED,
    StudentStatus.OTHER_DEPARTURE,
    StudentStatus.TRANSFERRED_OUT,
    StudentStatus.DELETED,
)
STUDENT_FIELDS = (
    "name",
    "id_doc_number",
    "national_student_id",
    "birth_date",
    "birthplace_code",
    "hukou_code",
    "profile",
    "graduation_certificate_no",
    "school_comment",
    "return_reason",
)
MEMBER_FIELDS = ("name", "phone", "id_doc_number", "profile")


@dataclass(frozen=True)
class Due:
    student_id: int
    school_id: int
    status: StudentStatus
    left_on: date


def _left_on(graduated: date | None, ended: datetime | None, deleted: datetime | None) -> date | None:
    return graduated or (ended.date() if ended else None) or (deleted.date() if deleted else None)


def due(session: Session, today: date, years: int) -> list[Due]:
    """Records past retention: left ``years`` or more years before ``today`` and not anonymised yet."""
    cutoff = today.replace(year=today.year - years) if not (today.month == 2 and today.day == 29) else today
    ended = (
        select(ProcessInstance.student_id, func.max(ProcessInstance.ended_at).label("ended"))
        .group_by(ProcessInstance.student_id)
        .subquery()
    )
    rows = session.execute(
        select(Student.id, Student.school_id, Student.status, Student.graduated_on, ended.c.ended, Student.deleted_at)
        .outerjoin(ended, ended.c.student_id == Student.id)
        .where(Student.status.in_(LEFT), Student.anonymised_at.is_(None))
        .order_by(Student.id)
    )
    found = []
    for student_id, school_id, status, graduated, ended_at, deleted in rows:
        left = _left_on(graduated, ended_at, deleted)
        if left is not None and left < cutoff:
            found.append(Due(student_id, school_id, StudentStatus(status), left))
    return found


def anonymise(session: Session, due_rows: list[Due], now: datetime) -> int:
    """Anonymise these records (the caller commits); returns how many."""
    for item in due_rows:
        student = session.get_one(Student, item.student_id)
        student.name = ANONYMOUS
        student.id_doc_number = None
        student.national_student_id = None
        student.birth_date = date(student.birth_date.year, 1, 1)
        student.birthplace_code = student.hukou_code = None
        student.profile = {}
        student.graduation_certificate_no = student.school_comment = student.return_reason = None
        student.anonymised_at = now
        for member in session.scalars(select(Guardian).where(Guardian.student_id == student.id)):
            member.name, member.phone, member.id_doc_number, member.profile = ANONYMOUS, "", None, {}
        session.execute(delete(StudentPhoto).where(StudentPhoto.student_id == student.id))
        audit.record(
            session,
            actor=None,
            action="student.anonymise",
            entity="student",
            entity_id=student.id,
            before={},
            after={"left_on": item.left_on.isoformat(), "fields": [*STUDENT_FIELDS, "guardians", "photo"]},
        )
    session.flush()
    return len(due_rows)


def run(session: Session, now: datetime, years: int, *, dry_run: bool) -> list[Due]:
    """The retention job: the records due, anonymised unless ``dry_run``."""
    found = due(session, now.date(), years)
    if not dry_run:
        anonymise(session, found, now)
    return found
