"""Models and the rules the schema holds: the org tree, the demo world's people, append-only history."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from stdnum.cn import ric

from models.audit import AuditEvent, AuditRowImmutable, record
from models.calendar import AcademicYear, Term
from models.org import OrgLevel, OrgUnit, School
from models.student import Guardian, Student, StudentStatus


def test_org_tree_paths_nest_five_levels(session):
    school = session.scalars(select(OrgUnit).where(OrgUnit.name == "南明第一小学")).one()
    chain = [session.get(OrgUnit, i) for i in school.ancestor_ids()]
    assert [u.level for u in chain] == [
        OrgLevel.NATIONAL,
        OrgLevel.PROVINCE,
        OrgLevel.CITY,
        OrgLevel.COUNTY,
        OrgLevel.SCHOOL,
    ]
    assert [u.name for u in chain][1:4] == ["贵州省", "贵阳市", "南明区"]
    assert school.school.record_authority.name == "南明区"


def test_school_codes_have_ten_digits_and_the_category_prefix(session):
    schools = session.scalars(select(School)).all()
    assert len(schools) == 12 + 2  # 贵州省 twelve, 北京市 two (the other side of cross-province transfers)
    for school in schools:
        assert len(school.school_code) == 10 and school.school_code.isdigit()
        assert school.school_code[:2] in {"21", "31", "34"}
        assert school.school_code[2:4] == school.org.division_code[:2]
    assert sorted(s.school_code[2:4] for s in schools).count("11") == 2


def test_demo_students_carry_valid_consistent_id_numbers(session):
    students = session.scalars(select(Student)).all()
    assert len(students) == 144 + 12  # 北京市: one student in each of its twelve classes
    for student in students:
        number = ric.validate(student.id_doc_number)
        assert ric.get_birth_date(number) == student.birth_date
        assert int(number[16]) % 2 == (1 if student.sex == "1" else 0)
    assert len({s.id_doc_number for s in students}) == len(students)


def test_every_demo_student_has_exactly_two_family_members(session):
    counts = session.execute(select(Guardian.student_id, func.count()).group_by(Guardian.student_id)).all()
    assert {n for _, n in counts} == {2}


def test_status_is_stored_as_its_value_and_read_back_as_the_enum(session):
    student = session.scalars(select(Student).limit(1)).one()
    student.status = StudentStatus.SUSPENDED
    session.flush()
    raw = session.execute(text("SELECT status FROM student WHERE id = :id"), {"id": student.id}).scalar_one()
    session.expire(student)
    assert raw == "suspended" and student.status is StudentStatus.SUSPENDED and student.status_label == "休学"


def test_id_numbers_are_masked_for_display(session):
    student = Student(
        name="x",
        sex="2",
        birth_date=date(2009, 3, 15),
        ethnicity="汉族",
        id_doc_type="1",
        id_doc_number="440304200903150027",
        school_id=1,
    )
    assert student.masked_id_number == "440304********0027"


def test_national_student_number_is_unique(session):
    first, second = session.scalars(select(Student).limit(2)).all()
    first.national_student_id = second.national_student_id = "L520102201509011234"
    with pytest.raises(IntegrityError), session.begin_nested():
        session.flush()


def test_one_current_term_per_organisation(session):
    year = session.scalars(select(AcademicYear)).first()
    session.add(
        Term(
            academic_year_id=year.id,
            org_id=year.org_id,
            season="夏季学期",
            start_date=date(2027, 7, 1),
            end_date=date(2027, 8, 1),
            is_current=True,
        )
    )
    with pytest.raises(IntegrityError), session.begin_nested():
        session.flush()


def test_audit_events_cannot_be_changed_through_the_orm(session):
    entry = record(session, actor=None, action="测试", entity="student", entity_id=1, before={}, after={"a": 1})
    session.flush()
    entry.action = "篡改"
    with pytest.raises(AuditRowImmutable):
        session.flush()
    session.rollback()


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event", "DELETE FROM instance_event"]
)
def test_history_tables_refuse_changes_in_the_database(session, statement, flows, user, student_of):
    registrar = user("nanming-xx-registrar")
    flows("mistaken_deletion", student=student_of(registrar.username), by=registrar, reason="留痕")  # instance events
    record(session, actor=None, action="测试", entity="student", entity_id=1, before={}, after={})
    session.flush()
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text(statement))
    assert session.scalar(select(func.count()).select_from(AuditEvent)) >= 1
