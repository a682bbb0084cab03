"""List pages cost a fixed number of queries, whatever the number of rows (no query per row: N+1).

Each case adds one row to a page, counts the SELECTs of loading it, adds ten rows more (each naming another
student, academic year or organisation, so that a lazy load per row would show) and counts again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Connection, event, select
from sqlalchemy.orm import Session

from handlers import admission_results
from models.admission import ORIGIN_PENDING, Admission, AdmissionResult, AdmissionStatus
from models.calendar import AUTUMN, AcademicYear, Term
from models.class_size import ClassSizeLimit
from models.org import Cohort, OrgLevel, OrgUnit, School, SchoolClass, Stage
from models.student import Student, StudentStatus
from models.user import User

COUNTY = "nanming-county"
PRIMARY = "nanming-xx-registrar"
SENIOR = "nanming-gz-registrar"
NOW = datetime(2026, 9, 10, 2, tzinfo=UTC)
MORE = 10


@contextmanager
def selects(connection: Connection) -> Iterator[list[str]]:
    """The SELECT statements run on the connection inside the block."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", count)


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
