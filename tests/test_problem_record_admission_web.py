"""问题学籍招生处理 (F-47) through the web: the graduating school's inbox shows the problem record locked and its
task read-only; after the admission the admitting school finds the task with the record's new school."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from handlers import graduation
from models.org import Cohort
from models.student import Student
from models.workflow import InboxTask, TaskStatus

GRADUATING, ADMITTING, COUNTY = "yunyan-cz-registrar", "yunyan-gz-registrar", "yunyan-county"


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_locked_problem_record_is_read_only_then_processed_by_the_admitting_school(
    login_as, session, user, flows, student_of
):
    school_id = user(GRADUATING).org_id
    cohort = session.scalars(select(Cohort).where(Cohort.school_id == school_id).order_by(Cohort.cohort_year)).first()
    pupil = graduation.class_students(session, cohort.classes[0].id)[0]
    case = flows(
        "problem_record", student=pupil, by=user(GRADUATING), other_student=str(student_of("nanming-xx-registrar").id)
    )
    graduation.graduate(session, user(GRADUATING), [pupil], on=date(2026, 7, 1))
    session.commit()
    task_id = case.open_task("a_action").id

    admitting = login_as(ADMITTING)
    data = {"number": pupil.national_student_id, "name": pupil.name, "stage": "senior"}
    assert admitting.post("/admissions/self", data=data).status_code == 302

    school = login_as(GRADUATING)
    assert 'data-testid="task-locked"' in text(school.get("/"))
    page = text(school.get(f"/tasks/{task_id}"))
    assert "该问题学籍正在招生处理中，已锁定" in page and 'name="action"' not in page
    refused = school.post(f"/tasks/{task_id}", data={"action": "删除", "statement": "已毕业"}, follow_redirects=True)
    assert "该问题学籍正在招生处理中，已锁定" in text(refused)
    assert session.get(InboxTask, task_id).status == TaskStatus.OPEN

    county = login_as(COUNTY)
    admission_id = re.search(r'name="admission_id" value="(\d+)"', text(county.get("/admissions/review"))).group(1)
    assert county.post("/admissions/review", data={"admission_id": admission_id, "decision": "通过"}).status_code == 302

    assert login_as(GRADUATING).get(f"/tasks/{task_id}").status_code == 404
    admitting = login_as(ADMITTING)
    inbox = text(admitting.get("/"))
    assert f'href="/tasks/{task_id}"' in inbox and 'data-testid="task-locked"' not in inbox
    page = text(admitting.get(f"/tasks/{task_id}"))
    assert re.search(r'data-testid="case-school">云岩高级中学<', page)
    assert re.search(r'data-testid="case-class">待分班<', page) and 'name="action"' in page
    session.expire_all()
    assert session.get(Student, pupil.id).school.name == "云岩高级中学"
