"""List pages cost a fixed number of queries, whatever the number of rows (no query per row: N+1).

Each case adds one row to a page, counts the SELECTs of loading it, adds ten rows more (each naming another
student, academic year or organisation, so that a lazy load per row would show) and counts again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Connection, event, select
from sqlalchemy.orm import Session

import engine as wf
from handlers import admission_results
from models.admission import ORIGIN_PENDING, Admission, AdmissionResult, AdmissionStatus
from models.calendar import AUTUMN, AcademicYear, Term
from models.class_size import ClassSizeLimit
from models.org import Cohort, OrgLevel, OrgUnit, School, SchoolClass, Stage
from models.student import Student, StudentStatus
from models.user import User
from models.workflow import InboxTask, TaskStatus

COUNTY = "nanming-county"
PRIMARY = "nanming-xx-registrar"
SENIOR = "nanming-gz-registrar"
NOW = datetime(2026, 9, 10, 2, tzinfo=UTC)
MORE = 10


@contextmanager
def executed(connection: Connection, kinds: frozenset[str]) -> Iterator[list[str]]:
    """The statements of these kinds (first keyword: SELECT, INSERT, …) run on the connection inside the block."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if statement.lstrip().split(None, 1)[0].upper() in kinds:
            seen.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", count)


def selects(connection: Connection) -> AbstractContextManager[list[str]]:
    return executed(connection, frozenset({"SELECT"}))


def statements(connection: Connection) -> AbstractContextManager[list[str]]:
    """Every statement that reads or writes rows (savepoints are the tests' own transaction, not counted)."""
    return executed(connection, frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"}))


@dataclass
class World:
    session: Session
    user: Callable[[str], User]

    def org_id(self, username: str) -> int:
        return self.user(username).org_id

    def county_students(self, start: int, n: int) -> list[Student]:
        """Students of schools the county supervises (not the senior school, which admits them)."""
        query = (
            select(Student)
            .join(School, School.org_id == Student.school_id)
            .where(School.record_authority_id == self.org_id(COUNTY), Student.school_id != self.org_id(SENIOR))
            .order_by(Student.id)
        )
        students = list(self.session.scalars(query.offset(start).limit(n)))
        assert len(students) == n, "the demo county has too few students for this test"
        return students


def add_cohorts(world: World, start: int, n: int) -> None:
    for i in range(start, start + n):
        cohort = Cohort(school_id=world.org_id(PRIMARY), stage=Stage.PRIMARY, cohort_year=1950 + i)
        world.session.add(cohort)
        world.session.add(SchoolClass(cohort=cohort, class_no="1", name=f"测试({i})班", capacity=40 if i % 2 else None))


def add_county_terms(world: World, start: int, n: int) -> None:
    """Terms of the county the school has not confirmed: offered on the school's page (another year each)."""
    county_id = world.user(COUNTY).org_id
    for i in range(start, start + n):
        year = AcademicYear(org_id=county_id, name=f"{1950 + i}-{1951 + i}", start_year=1950 + i)
        world.session.add(year)
        world.session.add(
            Term(
                academic_year=year,
                org_id=county_id,
                season=AUTUMN,
                start_date=date(1950 + i, 9, 1),
                end_date=date(1951 + i, 1, 20),
            )
        )
        own = AcademicYear(org_id=world.org_id(PRIMARY), name=f"{1900 + i}-{1901 + i}", start_year=1900 + i)
        world.session.add(own)
        world.session.add(
            Term(
                academic_year=own,
                org_id=own.org_id,
                season=AUTUMN,
                start_date=date(1900 + i, 9, 1),
                end_date=date(1901 + i, 1, 20),
            )
        )


def add_class_sizes(world: World, start: int, n: int) -> None:
    """A setting for each of n new units under the county."""
    county = world.user(COUNTY).org
    for i in range(start, start + n):
        unit = OrgUnit(
            level=OrgLevel.SCHOOL, name=f"测试学校{i}", division_code=county.division_code, parent_id=county.id, path=""
        )
        world.session.add(unit)
        world.session.flush()
        unit.path = f"{county.path}{unit.id}/"
        world.session.add(ClassSizeLimit(org_id=unit.id, stage=Stage.PRIMARY, max_students=40))


def add_results(world: World, start: int, n: int) -> None:
    """Results naming the senior school, one per student."""
    county = world.user(COUNTY)
    for student in world.county_students(start, n):
        world.session.add(
            AdmissionResult(
                student_id=student.id,
                school_id=world.org_id(SENIOR),
                stage=Stage.SENIOR,
                county_id=county.org_id,
                created_by_id=county.id,
                created_at=NOW,
            )
        )


def _admissions(world: World, start: int, n: int, status: AdmissionStatus, origin_review: str | None) -> None:
    school = world.user(SENIOR)
    for student in world.county_students(start, n):
        student.status = StudentStatus.GRADUATED
        world.session.add(
            Admission(
                student_id=student.id,
                school_id=school.org_id,
                stage=Stage.SENIOR,
                status=status,
                origin_review=origin_review,
                created_by_id=school.id,
                created_at=NOW,
            )
        )


def add_pending(world: World, start: int, n: int) -> None:
    _admissions(world, start, n, AdmissionStatus.PENDING, None)


def add_origin_pending(world: World, start: int, n: int) -> None:
    _admissions(world, start, n, AdmissionStatus.ADMITTED, ORIGIN_PENDING)


def add_pullable(world: World, start: int, n: int) -> None:
    _admissions(world, start, n, AdmissionStatus.ADMITTED, None)


PAGES = [
    pytest.param(PRIMARY, "/school/cohorts", add_cohorts, id="cohorts"),
    pytest.param(PRIMARY, "/school/classes", add_cohorts, id="classes"),
    pytest.param(PRIMARY, "/school/terms/", add_county_terms, id="terms"),
    pytest.param(COUNTY, "/settings/class-sizes/", add_class_sizes, id="class-sizes"),
    pytest.param(COUNTY, "/admissions/results", add_results, id="results"),
    pytest.param(SENIOR, "/admissions/unified", add_results, id="unified"),
    pytest.param(COUNTY, "/admissions/review", add_pending, id="review"),
    pytest.param(COUNTY, "/admissions/origin", add_origin_pending, id="origin"),
    pytest.param(SENIOR, "/admissions/pull", add_pullable, id="pull"),
]


@pytest.mark.parametrize(("username", "url", "add"), PAGES)
def test_a_list_page_costs_the_same_queries_for_one_row_and_for_eleven(
    session, user, connection, login_as, username, url, add
):
    world = World(session, user)
    client = login_as(username)
    add(world, 0, 1)
    session.commit()
    assert client.get(url).status_code == 200  # anything done once per process is done now
    with selects(connection) as few:
        page = client.get(url)
    assert page.status_code == 200
    add(world, 1, MORE)
    session.commit()
    with selects(connection) as many:
        page = client.get(url)
    assert page.status_code == 200
    assert len(many) == len(few), "\n".join(many[len(few) - 2 :])


def test_checking_a_result_file_costs_the_same_queries_for_one_row_and_for_eleven(session, user, connection):
    world = World(session, user)
    codes = {s.org_id: s.school_code for s in session.scalars(select(School))}
    senior = codes[world.org_id(SENIOR)]
    rows = [
        [s.national_student_id or "", s.name, codes[s.school_id], senior, "高中"]
        for s in world.county_students(0, 1 + MORE)
    ]
    header = list(admission_results.HEADERS)
    with selects(connection) as few:
        admission_results.check(session, world.org_id(COUNTY), [header, *rows[:1]], now=NOW)
    with selects(connection) as many:
        good, errors = admission_results.check(session, world.org_id(COUNTY), [header, *rows], now=NOW)
    assert len(good) + len(errors) == 1 + MORE
    assert len(many) == len(few), "\n".join(many)


def _county_reviews(session: Session, user: Callable[[str], User], n: int) -> list[InboxTask]:
    """``n`` 误操作删除 cases of the primary school waiting at the county's review."""
    registrar = user(PRIMARY)
    pupils = session.scalars(
        select(Student.id)
        .where(Student.school_id == registrar.org_id, Student.open_case_id.is_(None))
        .order_by(Student.id)
        .limit(n)
    ).all()
    cases = [
        wf.start(session, "mistaken_deletion", student_id=p, actor=registrar, data={"reason": "计数"}).id
        for p in pupils
    ]
    return list(
        session.scalars(
            select(InboxTask)
            .where(InboxTask.instance_id.in_(cases), InboxTask.status == TaskStatus.OPEN)
            .order_by(InboxTask.id)
        )
    )


# Locked here so that a change that adds round trips to every completion shows. Of these: the case locked with its
# version and student (1), the row and its 加签 rows (1), the actor and its roles (2, reloaded after the previous
# action's commit, as a request loads its user), the row marked done and the task history entry (2), the case
# updated (1), open rows re-derived (1), the next row and its notification (2), the waiting state recorded unless
# already shown (1); the writes are Core statements, not an ORM flush (which cost more CPU than the statements).
# Before: 22, with the row, the student and the version read twice or more and a delivery pass with nothing to
# deliver; then 13, with the county of the school read to decide whether the seat only looks on (needed only when
# a record of the case is locked) and the last state shown read before its entry was added.
COMPLETION_STATEMENTS = 11


def test_completing_a_task_through_the_engine_costs_a_fixed_number_of_statements(session, user, connection):
    county = user(COUNTY)
    first, second = (task.id for task in _county_reviews(session, user, 2))
    wf.complete(session, first, actor=county, data={"decision": "驳回", "review_comment": "计数"})
    with statements(connection) as seen:
        wf.complete(session, second, actor=county, data={"decision": "驳回", "review_comment": "计数"})
    assert session.get_one(InboxTask, second).status == TaskStatus.DONE
    assert len(seen) <= COMPLETION_STATEMENTS, "\n".join(" ".join(s.split())[:160] for s in seen)


# The task page: the user and roles (2), the row with its case, version and student (1), the verbs' choices (5),
# the county of the school (1), the menu's counts and permissions (7), the student's card (4), the history (1),
# the access log (1). Before: 74, when listing the return targets rolled the session back and every colleague
# offered for 委派 and 加签 was read again with their organisation.
TASK_PAGE_STATEMENTS = 22


def test_the_task_page_costs_a_fixed_number_of_statements(session, user, connection, login_as):
    task = _county_reviews(session, user, 1)[0].id
    session.commit()
    client = login_as(COUNTY)
    assert client.get(f"/tasks/{task}").status_code == 200  # anything done once per process is done now
    with statements(connection) as seen:
        assert client.get(f"/tasks/{task}").status_code == 200
    assert len(seen) <= TASK_PAGE_STATEMENTS, "\n".join(" ".join(s.split())[:160] for s in seen)


# The inbox: the user and roles (2), the page's tasks counted with the steps and counts by flow (1) and read (1),
# flows, saved views, escalations (the user's organisation and a count), own cases in flight (5), the other waiting
# work counted once for the page and the bell (3: the page's count of its tasks serves both), the bell's two counts
# and the permissions (3), the access log (1). Before: 23, with the waiting work counted twice and the steps and the
# counts by flow read in two scans of the open tasks; then 18, with the page's tasks counted, grouped by step and
# counted again for the bell in three scans.
INBOX_STATEMENTS = 16


def test_the_inbox_costs_the_same_statements_for_one_task_and_for_eleven(session, user, connection, login_as):
    """Each task names another pupil; the counts by flow and step come from one grouped query."""
    _county_reviews(session, user, 1)
    session.commit()
    client = login_as(COUNTY)
    assert client.get("/").status_code == 200
    with statements(connection) as few:
        assert client.get("/").status_code == 200
    _county_reviews(session, user, MORE)
    session.commit()
    with statements(connection) as many:
        page = client.get("/")
    assert page.status_code == 200
    assert len(many) == len(few) <= INBOX_STATEMENTS, "\n".join(" ".join(s.split())[:160] for s in many)
