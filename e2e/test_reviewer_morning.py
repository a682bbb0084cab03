"""A county reviewer's morning, at desk size and on a phone: home → 待办 by kind → a task with the student's
identifiers → 删除 confirmed naming the student → the next task of the same step. Screenshots of each page go to
e2e/artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

import engine as wf
from e2e.accounts import log_in
from models.student import Student, StudentStatus
from models.user import User

pytestmark = pytest.mark.e2e


def seed_deletions(database_url: str, count: int) -> list[str]:
    """``count`` 误操作删除 requests of 南明第一小学 waiting for 南明区, started through the real engine."""
    db = create_engine(database_url)
    with Session(db) as session:
        registrar = session.scalars(select(User).where(User.username == "nanming-xx-registrar")).one()
        pupils = session.scalars(
            select(Student)
            .where(Student.school_id == registrar.org_id, Student.status == StudentStatus.IN_SCHOOL)
            .where(Student.open_case_id.is_(None))
            .order_by(Student.id.desc())
            .limit(count)
        ).all()
        names = [p.name for p in pupils]
        for pupil in pupils:
            wf.start(session, "mistaken_deletion", student_id=pupil.id, actor=registrar, data={"reason": "重复录入"})
    db.dispose()
    return names


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (390, 844)])
def test_county_reviewer_morning(page: Page, live_server, artifacts_dir: Path, width: int, height: int) -> None:
    seed_deletions(live_server.database_url, 2)
    shot = f"morning-{width}"
    log_in(page, "nanming-county")
    page.set_viewport_size({"width": width, "height": height})
    page.reload()
    if width < 768:  # the menu sits behind the toggler on a phone
        page.get_by_test_id("nav-toggle").click()
    expect(page.get_by_test_id("pending-badge")).to_be_visible()
    worklist = page.get_by_test_id("worklist")
    expect(worklist).to_contain_text("误操作删除")
    page.screenshot(path=artifacts_dir / f"{shot}-1-home.png", full_page=True)

    worklist.get_by_role("link").filter(has_text="误操作删除").first.click()
    rows = page.get_by_test_id("inbox").locator("tbody tr")
    expect(rows.first).to_contain_text("误操作删除核办")
    page.screenshot(path=artifacts_dir / f"{shot}-2-inbox.png", full_page=True)

    rows.first.get_by_role("link", name="误操作删除核办").click()
    student = page.get_by_test_id("case-student").inner_text().split("（")[0].strip()
    expect(page.get_by_test_id("case-national-id")).not_to_be_empty()
    expect(page.get_by_test_id("case-id-number")).to_contain_text("*")
    expect(page.locator("textarea[name=review_comment]")).to_be_hidden()
    page.screenshot(path=artifacts_dir / f"{shot}-3-task.png", full_page=True)

    page.get_by_label("删除", exact=True).check()
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_test_id("confirm")).to_contain_text(student)
    page.screenshot(path=artifacts_dir / f"{shot}-4-confirm.png", full_page=True)
    page.get_by_role("button", name="确认提交", exact=True).click()
    expect(page.get_by_role("alert").first).to_contain_text(f"已提交：{student}，删除")

    next_task = page.get_by_test_id("next-task")
    expect(next_task).to_be_visible()
    page.screenshot(path=artifacts_dir / f"{shot}-5-next.png", full_page=True)
    next_task.get_by_role("link").click()
    expect(page.locator("h1")).to_have_text("误操作删除核办")
    expect(page.get_by_test_id("case-student")).not_to_contain_text(student)
