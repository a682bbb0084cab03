"""The inbox page reads a seat's open tasks as a UNION ALL of index ranges (one per seat the user holds, and the
tasks handed to the user by name elsewhere) and counts them with the steps in one grouped query (issue 18): it must
show exactly what the plain OR of ``tasks_actionable_by`` shows, for every filter, sort and page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import engine as wf
from models.base import utcnow
from models.inbox import SORTS, InboxFilter, _filtered, count_tasks, open_tasks, task_ids
from models.jurisdiction import tasks_actionable_by
from models.student import Student
from models.user import User
from models.workflow import InboxTask, TaskStatus

COUNTY, OTHER_COUNTY = "nanming-county", "yunyan-county"
PRIMARY, JUNIOR, ELSEWHERE = "nanming-xx-registrar", "nanming-cz-registrar", "yunyan-xx-registrar"


def _open_rows(session: Session, case_id: int) -> list[InboxTask]:
    return list(
        session.scalars(select(InboxTask).where(InboxTask.instance_id == case_id, InboxTask.status == TaskStatus.OPEN))
    )


@pytest.fixture
def inbox(session: Session, user: Callable[[str], User], student_of: Callable[[str], Student]) -> User:
    """南明区's seat with tasks of two schools, due at various times, one claimed by the reviewer, one by someone
    else; and a task of 云岩区's seat handed to the reviewer by name."""
    county, other = user(COUNTY), user(OTHER_COUNTY)
    now = utcnow()
    rows = []
    for registrar in (PRIMARY, JUNIOR, PRIMARY, JUNIOR, PRIMARY):
        pupils = session.scalars(
            select(Student).where(Student.school_id == user(registrar).org_id, Student.open_case_id.is_(None)).limit(1)
        ).all()
        case = wf.start(
            session, "mistaken_deletion", student_id=pupils[0].id, actor=user(registrar), data={"reason": "并集"}
        )
        rows.extend(_open_rows(session, case.id))
    assert len(rows) == 5 and {row.org_id for row in rows} == {county.org_id}
    dues = [now - timedelta(days=1), now + timedelta(days=1), None, now + timedelta(days=5), now - timedelta(hours=1)]
    for i, (row, due) in enumerate(zip(rows, dues, strict=True)):
        row.due_at = due
        row.created_at = now - timedelta(hours=10 - i % 3)  # ties on created_at: the id decides
    rows[1].claimed_by_id = county.id
    rows[2].claimed_by_id = other.id  # a colleague's: still listed
    pupil = session.scalars(
        select(Student).where(Student.school_id == user(ELSEWHERE).org_id, Student.open_case_id.is_(None)).limit(1)
    ).one()
    case = wf.start(session, "mistaken_deletion", student_id=pupil.id, actor=user(ELSEWHERE), data={"reason": "转办"})
    (handed,) = _open_rows(session, case.id)
    assert handed.org_id == other.org_id
    handed.claimed_by_id = county.id  # 转办 to the reviewer by name
    handed.created_at = now - timedelta(hours=9)
    session.flush()
    return county


FILTERS = [
    InboxFilter(),
    InboxFilter(flow="mistaken_deletion"),
    InboxFilter(flow="mistaken_deletion", step="county_review"),
    InboxFilter(flow="transfer_in_province"),
    InboxFilter(due="overdue"),
    InboxFilter(due="soon"),
    InboxFilter(due="none"),
    InboxFilter(mine=True),
]


@pytest.mark.parametrize("sort", list(SORTS))
@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: "&".join(f"{k}={v}" for k, v in f.as_args().items()) or "all")
def test_every_filter_sort_and_page_shows_what_the_plain_query_shows(
    session: Session, inbox: User, sort: str, flt: InboxFilter
) -> None:
    expected = [row.id for row in session.scalars(_filtered(inbox, flt, utcnow()).order_by(*SORTS[sort]))]
    pages = [open_tasks(session, inbox, flt=flt, sort=sort, page=n, per_page=2) for n in (1, 2, 3, 4)]
    assert [row.id for page in pages for row in page.tasks] == expected
    assert {page.total for page in pages} == {len(expected)} == {count_tasks(session, inbox, flt)}
    assert task_ids(session, inbox, flt, 100) == [
        row.id for row in session.scalars(_filtered(inbox, flt, utcnow()).order_by(*SORTS["oldest"]))
    ]


def test_the_steps_count_every_open_task_whatever_the_filter(session: Session, inbox: User) -> None:
    every = tasks_actionable_by(inbox).where(InboxTask.status == TaskStatus.OPEN)
    expected = session.execute(
        every.with_only_columns(InboxTask.process_key, InboxTask.bpmn_id, InboxTask.title, func.count())
        .group_by(InboxTask.process_key, InboxTask.bpmn_id, InboxTask.title)
        .order_by(InboxTask.process_key, InboxTask.bpmn_id, InboxTask.title)
    ).all()
    for flt in FILTERS:
        steps = open_tasks(session, inbox, flt=flt).steps
        assert steps.counts == [tuple(row) for row in expected]
        assert steps.total == 6  # five of the seat, one handed over by name


def test_each_task_names_its_pupil_without_loading_the_record(session: Session, inbox: User) -> None:
    page = open_tasks(session, inbox)
    assert len(page.tasks) == 6
    for task in page.tasks:
        student = session.get(Student, task.instance.student_id)
        assert student is not None and page.names[task.id] == student.name
