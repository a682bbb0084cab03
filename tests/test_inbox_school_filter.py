"""The inbox's 学校 filter reads the case's school kept on each inbox row (issue 18): a county reviewer holding tasks
of several schools sees one school's, and a case whose subject is bound later (调档, message-started) moves its
rows with it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

import engine as wf
from models.inbox import InboxFilter, open_tasks
from models.student import Student
from models.user import User
from models.workflow import InboxTask, ProcessInstance, TaskStatus, bind_subject

COUNTY = "nanming-county"
PRIMARY, JUNIOR = "nanming-xx-registrar", "nanming-cz-registrar"


def _start(session: Session, registrar: User, student: Student) -> int:
    case = wf.start(session, "mistaken_deletion", student_id=student.id, actor=registrar, data={"reason": "误删"})
    return case.id


def test_the_school_filter_shows_one_schools_tasks(
    session: Session, user: Callable[[str], User], student_of: Callable[[str], Student]
) -> None:
    primary = _start(session, user(PRIMARY), student_of(PRIMARY))
    also_primary = _start(session, user(PRIMARY), student_of(PRIMARY))
    junior = _start(session, user(JUNIOR), student_of(JUNIOR))
    county = user(COUNTY)

    def shown(school: str) -> set[int]:
        page = open_tasks(session, county, flt=InboxFilter(school=user(school).org_id), per_page=500)
        return {row.instance_id for row in page.tasks}

    assert {primary, also_primary} <= shown(PRIMARY)
    assert junior not in shown(PRIMARY)
    assert junior in shown(JUNIOR)
    assert not {primary, also_primary} & shown(JUNIOR)
    every = open_tasks(session, county, per_page=500)
    assert every.total == sum(
        open_tasks(session, county, flt=InboxFilter(school=school)).total
        for school in {row.school_id for row in every.tasks}
    )


def test_binding_a_subject_moves_the_cases_rows_to_its_school(
    session: Session, user: Callable[[str], User], student_of: Callable[[str], Student]
) -> None:
    case_id = _start(session, user(PRIMARY), student_of(PRIMARY))
    case = session.get(ProcessInstance, case_id)
    assert case is not None
    pupil = student_of(JUNIOR)
    bind_subject(session, case, pupil)
    session.flush()
    rows = session.scalars(
        select(InboxTask).where(InboxTask.instance_id == case_id, InboxTask.status == TaskStatus.OPEN)
    ).all()
    assert rows and {row.school_id for row in rows} == {pupil.school_id}
    shown = open_tasks(session, user(COUNTY), flt=InboxFilter(school=pupil.school_id), per_page=500)
    assert case_id in {row.instance_id for row in shown.tasks}
