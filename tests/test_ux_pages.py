"""The pages as users meet them (issue 20): phone-sized screens, menus, actions, no internal codes."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from models.org import Cohort
from models.student import Student
from models.user import User

PAGE_SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)


def body(response) -> str:
    return response.get_data(as_text=True)


def test_the_menu_collapses_with_bootstraps_own_script_served_locally(login_as):
    client = login_as("nanming-xx-registrar")
    page = body(client.get("/students/"))
    assert 'data-bs-toggle="collapse"' in page and 'id="xj-nav"' in page
    scripts = PAGE_SCRIPT.findall(page)
    # The CSP allows scripts from 'self' only: every script is a file, none is inline.
    assert scripts and all("src=" in attrs for attrs in scripts)
    for src in re.findall(r'<script src="([^"]+)"', page):
        with client.get(src) as response:
            assert response.status_code == 200 and "javascript" in response.mimetype, src
    assert "bootstrap.bundle.min.js" in page


def menu_links(page: str) -> list[str]:
    nav = page[page.index('id="xj-nav"') : page.index("</ul>", page.index('id="xj-nav"'))]
    return re.findall(r'<a class="(?:nav-link|dropdown-item)" href="([^"]+)"', nav)


@pytest.fixture
def one_user_per_kind(session) -> list[User]:
    """A user of each distinct set of roles and org level of the demo world."""
    kinds: dict[tuple[frozenset[str], str], User] = {}
    for u in session.scalars(select(User).where(User.active).order_by(User.id)):
        kinds.setdefault((frozenset(u.roles), u.org.level), u)
    return list(kinds.values())


def test_every_menu_entry_a_user_sees_opens(login_as, one_user_per_kind):
    seen: set[str] = set()
    for u in one_user_per_kind:
        client = login_as(u.username)
        links = menu_links(body(client.get("/")))
        assert links, u.username
        for href in links:
            assert client.get(href).status_code == 200, (u.username, href)
        seen.update(links)
    assert "/lifecycle/dropouts" in seen and "/transfers/settings/" in seen


def test_the_menu_hides_what_the_role_may_not_open(login_as):
    teacher = menu_links(body(login_as("nanming-xx-teacher").get("/")))
    assert "/lifecycle/dropouts" not in teacher  # 辍学统计 is for registrars and authorities (was a 403)
    assert "/processes/" not in teacher
    policy = menu_links(body(login_as("guizhou-policy").get("/")))
    assert "/processes/" in policy and "/transfers/settings/" in policy
    assert "/transfers/settings/" not in menu_links(body(login_as("nanming-county").get("/")))


def _pupil_of_cohort(session, school_id: int, *, oldest: bool) -> Student:
    order = Cohort.cohort_year if oldest else Cohort.cohort_year.desc()
    cohort = session.scalars(select(Cohort).where(Cohort.school_id == school_id).order_by(order)).first()
    return session.scalars(
        select(Student).where(Student.class_id.in_([c.id for c in cohort.classes])).order_by(Student.id)
    ).first()


def test_the_student_page_offers_only_the_actions_that_apply(login_as, session, user, student_of):
    pupil = student_of("nanming-xx-registrar")
    page = body(login_as("nanming-xx-registrar").get(f"/students/{pupil.id}"))
    assert 'data-testid="start-status_change"' in page
    assert "start-senior_graduation" not in page and "申请高中毕结业" not in page
    # One style for requests; only the removal of the record is marked as dangerous.
    assert page.count("btn-outline-danger") == 1 and 'data-testid="start-mistaken_deletion"' in page

    client = login_as("nanming-gz-registrar")
    school_id = user("nanming-gz-registrar").org_id
    third_grade = _pupil_of_cohort(session, school_id, oldest=True)
    first_grade = _pupil_of_cohort(session, school_id, oldest=False)
    assert "start-senior_graduation" in body(client.get(f"/students/{third_grade.id}"))
    assert "start-senior_graduation" not in body(client.get(f"/students/{first_grade.id}"))
