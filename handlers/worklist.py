"""Everything that waits on a user, in one list: the diagram tasks of the inbox and the list-based reviews that
are not diagram steps (学籍注册核办, 录取新生核办, 外地就读学生核办, 调取新生档案, the school's registrations).

Each kind counts with the same query (and so the same jurisdiction) as its own page; the inbox and the 待办
badge sum them, so no pending work hides in a menu.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from handlers import admission_results
from models.inbox import InboxFilter, count_tasks
from models.jurisdiction import registrations_to_review_by, registrations_visible_to
from models.student import RegistrationState, Student
from models.user import Role, User

SCHOOL_PENDING = (RegistrationState.DEDUP_OK, RegistrationState.SCHOOL_REVIEWED, RegistrationState.RETURNED)


@dataclass(frozen=True)
class Kind:
    key: str  # the page that lists the items: an endpoint of the web app
    label: str
    roles: frozenset[Role]
    count: Callable[[Session, User], int]


@dataclass(frozen=True)
class Pending:
    key: str
    label: str
    count: int


def _count(session: Session, query: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _school_registrations(session: Session, user: User) -> int:
    return _count(session, registrations_visible_to(user).where(Student.registration_state.in_(SCHOOL_PENDING)))


KINDS = [
    Kind("inbox.index", "审批任务", frozenset(Role), lambda s, u: count_tasks(s, u, InboxFilter())),
    Kind(
        "registration.index",
        "学籍注册（待审核、待上报、被退回）",
        frozenset({Role.SCHOOL_REGISTRAR, Role.SCHOOL_REVIEWER}),
        _school_registrations,
    ),
    Kind(
        "registration.authority",
        "学籍注册核办",
        frozenset({Role.COUNTY_OFFICER}),
        lambda s, u: _count(s, registrations_to_review_by(u)),
    ),
    Kind(
        "admissions.review",
        "录取新生核办",
        frozenset({Role.COUNTY_OFFICER}),
        lambda s, u: _count(s, admission_results.pending_for_county_query(u.org_id)),
    ),
    Kind(
        "admissions.origin",
        "外地就读学生核办",
        frozenset({Role.COUNTY_OFFICER}),
        lambda s, u: _count(s, admission_results.origin_pending_query(u.org_id)),
    ),
    Kind(
        "admissions.pull",
        "调取新生档案",
        frozenset({Role.SCHOOL_REGISTRAR}),
        lambda s, u: _count(s, admission_results.pullable_query(u.org_id)),
    ),
]


def pending_for(session: Session, user: User, known: Mapping[str, int] | None = None) -> list[Pending]:
    """Each kind of work the user's roles must act on, with its count (kinds with nothing waiting included);
    ``known``: counts the caller has already read, by kind (the inbox page counts its tasks)."""
    known = known or {}
    return [
        Pending(k.key, k.label, known[k.key] if k.key in known else k.count(session, user))
        for k in KINDS
        if k.roles & user.roles
    ]


def total(items: list[Pending]) -> int:
    return sum(item.count for item in items)
