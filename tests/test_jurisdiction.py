"""Who sees what (§2.2): outside the user's subtree every object is 404, by URL too; wrong role is 403."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.student import Student
from models.user import User

SCHOOL = "nanming-xx-registrar"


@pytest.fixture
def open_case(flows, user, student_of):
    case = flows("mistaken_deletion", student=student_of(SCHOOL), by=user(SCHOOL), reason="误录入")
    return case.case.student_id, case.case.id, case.open_task("county_review").id


def urls(student_id: int, case_id: int, task_id: int) -> list[tuple[str, str]]:
    return [
        ("get", f"/students/{student_id}"),
        ("get", f"/students/{student_id}/start/mistaken_deletion"),
        ("post", f"/students/{student_id}/start/mistaken_deletion"),
        ("get", f"/cases/{case_id}"),
        ("get", f"/tasks/{task_id}"),
        ("post", f"/tasks/{task_id}"),
    ]


@pytest.mark.parametrize("outsider", ["yunyan-county", "yunyan-xx-registrar", "nanming-cz-registrar", "zunyi-city"])
def test_outsiders_get_404_for_every_object_url(open_case, login_as, outsider):
    client = login_as(outsider)
    for method, url in urls(*open_case):
        response = getattr(client, method)(url, data={"decision": "删除", "reason": "x"})
        assert response.status_code == 404, (outsider, method, url)


def test_the_city_above_sees_the_student_and_case_but_cannot_act(open_case, login_as):
    student_id, case_id, task_id = open_case
    client = login_as("guiyang-city")
    assert client.get(f"/students/{student_id}").status_code == 200
    assert client.get(f"/cases/{case_id}").status_code == 200
    assert client.get(f"/tasks/{task_id}").status_code == 404
    assert client.post(f"/tasks/{task_id}", data={"decision": "删除"}).status_code == 404


def test_search_lists_only_the_subtree(login_as, session):
    page = login_as("yunyan-county").get("/students/?q=").get_data(as_text=True)
    assert "云岩" in page and "南明" not in page


def test_homeroom_teacher_sees_only_own_class(login_as, session, user):
    teacher = user("nanming-xx-teacher")
    from models.org import SchoolClass

    own = session.scalars(select(SchoolClass.id).where(SchoolClass.homeroom_teacher_id == teacher.id)).all()
    school_students = session.scalars(select(Student).where(Student.school_id == teacher.org_id)).all()
    client = login_as("nanming-xx-teacher")
    for student in school_students:
        expected = 200 if student.class_id in own else 404
        assert client.get(f"/students/{student.id}").status_code == expected


@pytest.mark.parametrize(
    ("username", "url", "status"),
    [
        (SCHOOL, "/cases/mistaken-deletions", 403),
        ("nanming-county", "/cases/mistaken-deletions", 200),
        ("nanming-xx-reviewer", "/cases/mistaken-deletions", 403),
    ],
)
def test_role_gated_pages(login_as, username, url, status):
    assert login_as(username).get(url).status_code == status


def test_only_the_registrar_may_start_a_deletion(login_as, student_of):
    student = student_of(SCHOOL)
    assert login_as("nanming-xx-reviewer").get(f"/students/{student.id}/start/mistaken_deletion").status_code == 403
    assert login_as("nanming-county").get(f"/students/{student.id}/start/mistaken_deletion").status_code == 403


@pytest.mark.parametrize(
    "url", ["/", "/students/", "/students/1", "/cases/mine", "/cases/1", "/tasks/1", "/cases/mistaken-deletions"]
)
def test_every_page_needs_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.location.startswith("/login")


def test_users_exist_for_every_role_of_each_school(session):
    usernames = set(session.scalars(select(User.username)))
    assert {"nanming-xx-registrar", "nanming-xx-reviewer", "nanming-xx-teacher", "meitan-gz-registrar"} <= usernames
