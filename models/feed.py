"""数据交换 (F-63): the change feed that related systems (exams, health checks, quality evaluation) read.

An administrator issues a token for one organisation; the system holding it reads, page by page, the students of
that organisation's subtree changed since a moment. Pages follow (updated_at, id) with an opaque cursor, so each
change is delivered once however many rows share a timestamp. Only the token's SHA-256 is stored: the token
itself is shown once, at issue.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, and_, or_, select
from sqlalchemy.orm import Mapped, Session, joinedload, mapped_column, relationship

from models.base import Base, utcnow
from models.clock import as_utc
from models.errors import DomainError
from models.org import Cohort, OrgUnit, School, SchoolClass
from models.student import Student, StudentStatus
from models.user import User

TOKEN_PREFIX = "xjf_"  # noqa: S105 -- the prefix of every token, not a secret


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC: SQLite compares the stored text, which is UTC without an offset."""
    return as_utc(moment).astimezone(UTC)


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))  # the system that holds it, e.g. 中考报名系统
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))  # scope: this unit and everything below
    created_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    last_used_at: Mapped[datetime | None]

    org: Mapped[OrgUnit] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(session: Session, *, actor: User, org: OrgUnit, name: str) -> tuple[ApiToken, str]:
    """A new token for ``org``; returns the row and the token text (never stored, shown once)."""
    name = name.strip()
    if not name:
        raise DomainError("请填写使用该令牌的系统名称")
    if len(name) > 100:
        raise DomainError("系统名称最多100个字")
    text = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, token_hash=_hash(text), org_id=org.id, created_by_id=actor.id)
    session.add(row)
    session.flush()
    return row, text


def revoke(token: ApiToken, actor: User) -> None:
    if token.revoked_at is None:
        token.revoked_at, token.revoked_by_id = utcnow(), actor.id


def holder(session: Session, presented: str) -> ApiToken | None:
    """The active token whose text was presented, or None."""
    if not presented.startswith(TOKEN_PREFIX):
        return None
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _hash(presented))).one_or_none()
    return row if row is not None and row.active else None


# -- cursor paging -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """Just after the student ``student_id`` changed at ``at``."""

    at: datetime
    student_id: int

    def encode(self) -> str:
        raw = json.dumps([utc(self.at).isoformat(), self.student_id]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> Position:
        try:
            at, student_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            return cls(utc(datetime.fromisoformat(at)), int(student_id))
        except (ValueError, TypeError, binascii.Error) as err:
            raise DomainError("cursor 无效：请使用上一页返回的 next_cursor") from err


@dataclass
class FeedPage:
    items: list[dict[str, Any]]
    next_cursor: str | None  # None: nothing more until something changes; then ask again with the last cursor
    cursor: str  # where the next call starts, also when there was nothing new


def changes(
    session: Session, token: ApiToken, *, since: datetime | None, cursor: str, limit: int, until: datetime
) -> FeedPage:
    """Students under the token's organisation changed after ``since`` (or after ``cursor``), up to ``until``
    (a little before now, so that a transaction still committing an earlier timestamp is not passed over)."""
    start = Position.decode(cursor) if cursor else Position(utc(since or datetime.min), 0)
    scope = token.org.path
    query = (
        select(Student)
        .join(OrgUnit, OrgUnit.id == Student.school_id)
        .where(
            OrgUnit.path.startswith(scope, autoescape=True),
            Student.status != StudentStatus.REGISTERING,  # not yet a record (§4.1)
            or_(
                Student.updated_at > start.at,
                and_(Student.updated_at == start.at, Student.id > start.student_id),
            ),
            Student.updated_at <= until,
        )
        .options(joinedload(Student.school), joinedload(Student.school_class))
        .order_by(Student.updated_at, Student.id)
        .limit(limit + 1)
    )
    students = list(session.scalars(query))
    more = len(students) > limit
    students = students[:limit]
    last = Position(students[-1].updated_at, students[-1].id) if students else start
    codes = _school_codes(session, {s.school_id for s in students})
    cohorts = _cohorts(session, {s.school_class.cohort_id for s in students if s.school_class})
    items = [_item(s, codes, cohorts) for s in students]
    return FeedPage(items, last.encode() if more else None, last.encode())


def _school_codes(session: Session, school_ids: set[int]) -> dict[int, str]:
    if not school_ids:
        return {}
    return dict(session.execute(select(School.org_id, School.school_code).where(School.org_id.in_(school_ids))).all())


def _cohorts(session: Session, cohort_ids: set[int]) -> dict[int, str]:
    if not cohort_ids:
        return {}
    return {c.id: c.name for c in session.scalars(select(Cohort).where(Cohort.id.in_(cohort_ids)))}


def _item(student: Student, codes: dict[int, str], cohorts: dict[int, str]) -> dict[str, Any]:
    klass: SchoolClass | None = student.school_class
    return {
        "id": student.id,
        "national_student_id": student.national_student_id,
        "name": student.name,
        "sex": student.sex,
        "birth_date": student.birth_date.isoformat(),
        "school_code": codes.get(student.school_id),
        "school_name": student.school.name,
        "cohort": cohorts.get(klass.cohort_id) if klass else None,
        "class_name": klass.name if klass else None,
        "status": StudentStatus(student.status).value,
        "status_label": student.status_label,
        "updated_at": utc(student.updated_at).isoformat(),
    }
