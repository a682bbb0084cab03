"""学生分班 / 自动分班 (F-49) within class capacity (F-52)."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from sqlalchemy import select

from handlers import class_assignment as ca
from models.audit import AuditEvent
from models.errors import DomainError
from models.org import Cohort, SchoolClass
from models.student import Student

REGISTRAR = "nanming-xx-registrar"


def pupils(boys: int, girls: int) -> list[ca.Pupil]:
    return [ca.Pupil(i, "1" if i < boys else "2", f"G{i * 7919 % 1000:04d}{i}") for i in range(boys + girls)]


def slots(n: int, capacity: int = 50) -> list[ca.Slot]:
    return [ca.Slot(100 + i, str(i + 1), f"({i + 1})班", capacity) for i in range(n)]


def spread(values: list[int]) -> int:
    return max(values) - min(values)


@pytest.mark.parametrize(("boys", "girls"), [(100, 100), (103, 97), (87, 113)])
def test_200_students_into_5_classes_balance_size_and_sex_within_one(boys, girls):
    result = ca.plan(pupils(boys, girls), slots(5))
    assert result.unassigned == []
    assert len(result.assignments) == 200
    assert spread([s.total for s in result.slots]) <= 1
    assert spread([s.counts["1"] for s in result.slots]) <= 1
    assert spread([s.counts["2"] for s in result.slots]) <= 1


def test_60_students_30_boys_30_girls_into_2_classes_give_15_and_15_each():
    result = ca.plan(pupils(30, 30), slots(2))
    assert [(s.counts["1"], s.counts["2"]) for s in result.slots] == [(15, 15), (15, 15)]


def test_never_exceeds_capacity_and_reports_who_is_left():
    result = ca.plan(pupils(30, 30), slots(2, capacity=25))
    assert [s.total for s in result.slots] == [25, 25]
    assert len(result.unassigned) == 10
    assert set(result.assignments).isdisjoint(result.unassigned)


def test_existing_pupils_are_counted_and_the_plan_is_deterministic():
    classes = slots(2)
    classes[0].counts.update({"1": 10, "2": 2})
    first = ca.plan(pupils(10, 10), classes)
    assert [(s.counts["1"], s.counts["2"]) for s in first.slots] == [(10, 6), (10, 6)]
    assert classes[0].counts == {"1": 10, "2": 2}  # the caller's slots are not touched
    again = ca.plan(list(reversed(pupils(10, 10))), classes)
    assert again.assignments == first.assignments


@pytest.fixture
def waiting(session, user):
    """The pupils of the newest grade-1 cohort of 南明区第一小学, their classes emptied: 待分班."""
    school_id = user(REGISTRAR).org_id
    cohort = session.scalars(
        select(Cohort).where(Cohort.school_id == school_id).order_by(Cohort.cohort_year.desc())
    ).first()
    class_ids = [c.id for c in cohort.classes]
    students = list(session.scalars(select(Student).where(Student.class_id.in_(class_ids))))
    for s in students:
        s.class_id = None
    session.flush()
    return school_id, students, class_ids


def test_automatic_assignment_in_the_database_writes_class_and_audit(session, user, waiting):
    school_id, students, class_ids = waiting
    assert {s.id for s in ca.awaiting_class(session, school_id)} >= {s.id for s in students}
    shown = ca.preview(session, school_id, [s.id for s in students], class_ids)
    done = ca.assign_automatic(session, user(REGISTRAR), school_id, [s.id for s in students], class_ids)
    assert done.assignments == shown.assignments
    session.expire_all()
    placed = Counter(session.get(Student, s.id).class_id for s in students)
    assert sum(placed.values()) == len(students)
    assert spread([placed.get(c, 0) for c in class_ids]) <= 1
    audits = session.scalars(select(AuditEvent).where(AuditEvent.action == "学生分班")).all()
    assert len(audits) == len(students)


def test_manual_assignment_respects_capacity_and_the_school(session, user, waiting):
    school_id, students, class_ids = waiting
    target = session.get(SchoolClass, class_ids[0])
    target.capacity = 1
    with pytest.raises(DomainError, match="班额1人"):
        ca.assign_manual(session, user(REGISTRAR), school_id, [s.id for s in students[:2]], target.id)
    assert ca.assign_manual(session, user(REGISTRAR), school_id, [students[0].id], target.id) == 1
    with pytest.raises(DomainError, match="只能为本校待分班的学生分班"):
        ca.assign_manual(session, user(REGISTRAR), school_id, [students[0].id], class_ids[-1])
    with pytest.raises(DomainError, match="请选择本校的班级"):
        ca.assign_manual(session, user("yunyan-xx-registrar"), user("yunyan-xx-registrar").org_id, [], target.id)


def test_the_page_previews_counts_then_assigns_and_refuses_outsiders(session, user, waiting, login_as, client):
    school_id, students, class_ids = waiting
    login_as(REGISTRAR)
    page = client.get("/admissions/classes").get_data(as_text=True)
    assert 'data-testid="awaiting"' in page and students[0].name in page
    form = {"student_id": [str(s.id) for s in students], "class_id": [str(c) for c in class_ids]}
    preview = client.post("/admissions/classes/preview", data=form).get_data(as_text=True)
    assert preview.count('data-testid="plan-row"') == len(class_ids)
    assert 'data-testid="confirm-auto"' in preview
    session.expire_all()
    assert all(session.get(Student, s.id).class_id is None for s in students)  # nothing before confirming
    assert client.post("/admissions/classes/auto", data=form).status_code == 302
    session.expire_all()
    assert all(session.get(Student, s.id).class_id in class_ids for s in students)

    login_as("yunyan-xx-registrar")
    client.post("/admissions/classes/manual", data={"student_id": [str(students[0].id)], "target_class_id": "1"})
    session.expire_all()
    assert session.get(Student, students[0].id).class_id in class_ids
    login_as("nanming-county")
    assert client.get("/admissions/classes").status_code == 403


def older_class(session, school_id: int) -> SchoolClass:
    cohort = session.scalars(select(Cohort).where(Cohort.school_id == school_id).order_by(Cohort.cohort_year)).first()
    return cohort.classes[0]


def test_a_newcomer_goes_only_into_a_grade_1_class_of_the_new_cohort(session, user, waiting):
    school_id, students, class_ids = waiting
    old = older_class(session, school_id)
    year = session.get(Cohort, session.get(SchoolClass, class_ids[0]).cohort_id).cohort_year
    refusal = f"{students[0].name}是小学新生，只能分入小学{year}级一年级的班级"
    with pytest.raises(DomainError, match=refusal):
        ca.assign_manual(session, user(REGISTRAR), school_id, [students[0].id], old.id)
    with pytest.raises(DomainError, match="只能分入小学"):
        ca.preview(session, school_id, [s.id for s in students], [class_ids[0], old.id])
    offered = {class_id for class_id, _ in ca.newcomer_class_choices(session, school_id, students)}
    assert offered == set(class_ids)
    assert session.get(Student, students[0].id).class_id is None


def test_an_admitted_senior_student_goes_only_into_高一_of_the_new_cohort(session, user):
    from datetime import date

    from handlers import admission_results as ar
    from handlers import graduation
    from models.base import utcnow
    from models.org import Stage
    from webapp.admissions import self_admit

    junior, senior, county = user("nanming-cz-registrar"), user("nanming-gz-registrar"), user("nanming-county")
    pupil = graduation.class_students(session, older_class(session, junior.org_id).id)[0]
    graduation.graduate(session, junior, [pupil], on=date(2027, 7, 1))
    admission, _ = self_admit(session, senior, number=pupil.national_student_id, name=pupil.name, stage=Stage.SENIOR)
    ar.review(session, county, [admission.id], passed=True, now=utcnow())
    third_year = older_class(session, senior.org_id)
    with pytest.raises(DomainError, match=f"{pupil.name}是高中新生，只能分入高中"):
        ca.assign_manual(session, senior, senior.org_id, [pupil.id], third_year.id)
    offered = ca.newcomer_class_choices(session, senior.org_id, [pupil])
    assert offered and all("高一" in label for _, label in offered)
    assert ca.assign_manual(session, senior, senior.org_id, [pupil.id], offered[0][0]) == 1


def test_the_page_offers_new_classes_lists_who_goes_where_and_asks_to_tick(session, user, waiting, login_as, client):
    school_id, students, class_ids = waiting
    login_as(REGISTRAR)
    page = client.get("/admissions/classes").get_data(as_text=True)
    assert f'value="{older_class(session, school_id).id}"' not in page
    assert 'data-select-all="student_id"' in page
    form = {"student_id": [str(s.id) for s in students], "class_id": [str(c) for c in class_ids]}
    preview = client.post("/admissions/classes/preview", data=form).get_data(as_text=True)
    cells = re.findall(r'data-testid="plan-students">([^<]*)<', preview)
    assert len(cells) == len(class_ids)
    assert sorted(name for cell in cells for name in cell.split("、")) == sorted(s.name for s in students)
    for url in ("/admissions/classes/preview", "/admissions/classes/manual"):
        answer = client.post(url, data={"class_id": [str(class_ids[0])], "target_class_id": str(class_ids[0])})
        assert "请勾选要分班的学生" in client.get(answer.location).get_data(as_text=True)
    answer = client.post("/admissions/classes/preview", data={"student_id": [str(students[0].id)]})
    assert "请勾选要分入的班级" in client.get(answer.location).get_data(as_text=True)
