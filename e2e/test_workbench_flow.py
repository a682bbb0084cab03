"""审批工作台 in the browser: a county reviewer sends a cross-county transfer back to the school with a reason; the
school finds its earlier entry, corrects it and resubmits; the county approves; the school urges the next holder,
who sees it in the bell; and a reviewer approves 20 tasks at once and reads the table of results."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

import engine as wf
from e2e.accounts import log_in, log_out
from e2e.test_transfer_flows import pick_student, request_transfer
from models.org import SchoolClass
from models.student import Student, StudentStatus
from models.user import User

pytestmark = pytest.mark.e2e


def test_return_resubmit_urge_and_bell(page: Page, artifacts_dir: Path) -> None:
    name, number = pick_student(page, "yunyan-xx-registrar")
    case_path = request_transfer(page, name, number, "随父母迁入（地址未写）")

    log_in(page, "nanming-county")  # the receiving county sends it back to the school
    page.get_by_test_id("inbox").locator("tbody tr").filter(has_text=name).get_by_role(
        "link", name="转入区县审核"
    ).click()
    page.get_by_test_id("verb-return").locator("summary").click()
    page.locator("textarea[name=return-reason]").fill("请写明迁入的详细地址")
    page.screenshot(path=artifacts_dir / "workbench-return-panel.png", full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("return-submit").click()
    expect(page.get_by_role("alert")).to_contain_text("已退回至「发起人」")
    page.screenshot(path=artifacts_dir / "workbench-returned.png", full_page=True)
    log_out(page)

    log_in(page, "nanming-xx-registrar")  # the school sees its earlier entry and the reason, corrects, resubmits
    expect(page.get_by_test_id("bell-count")).to_be_visible()
    row = page.get_by_test_id("inbox").locator("tbody tr").filter(has_text=name)
    expect(row).to_contain_text("请写明迁入的详细地址")
    row.get_by_role("link", name="转入学校提交转学申请").click()
    expect(page.get_by_test_id("task-notice")).to_contain_text("请写明迁入的详细地址")
    reason = page.locator("textarea[name=reason]")
    expect(reason).to_have_value("随父母迁入（地址未写）")
    page.screenshot(path=artifacts_dir / "workbench-resubmit.png", full_page=True)
    reason.fill("随父母迁入南明区花果园一号")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("已提交")
    log_out(page)

    log_in(page, "nanming-county")  # the county approves
    page.get_by_test_id("inbox").locator("tbody tr").filter(has_text=name).get_by_role(
        "link", name="转入区县审核"
    ).click()
    expect(page.locator("textarea[name=reason]")).to_have_count(0)
    page.get_by_label("通过", exact=True).check()
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("「转入区县审核」已提交")
    log_out(page)

    urge_and_see_the_bell(page, case_path, artifacts_dir)


def urge_and_see_the_bell(page: Page, case_path: str, artifacts_dir: Path) -> None:
    log_in(page, "nanming-xx-registrar")  # the initiator urges the sending school
    page.goto(case_path)
    expect(page.get_by_test_id("case-state")).to_have_text("待转出学校审核")
    page.locator("input[name=note]").first.fill("家长很着急，请尽快审核")
    page.get_by_test_id("urge").first.click()
    expect(page.get_by_role("alert")).to_contain_text("已催办")
    log_out(page)

    log_in(page, "yunyan-xx-registrar")  # the holder sees it in the bell
    page.get_by_test_id("bell").click()
    expect(page.get_by_test_id("notifications")).to_contain_text("催办「转出学校审核」")
    page.screenshot(path=artifacts_dir / "workbench-bell.png", full_page=True)
    log_out(page)


def seed_transfers(database_url: str, count: int) -> None:
    """``count`` cross-county transfers from 云岩区 waiting for 南明区, started through the real engine as the
    receiving schools would (primary pupils to 南明第一小学, the others to 南明第一中学)."""
    db = create_engine(database_url)
    with Session(db) as session:

        def school_user(username: str) -> User:
            return session.scalars(select(User).where(User.username == username)).one()

        started = 0
        for sending, receiving in (("yunyan-xx", "nanming-xx"), ("yunyan-cz", "nanming-cz")):
            to = school_user(f"{receiving}-registrar")
            to_class = session.scalars(select(SchoolClass).where(SchoolClass.cohort.has(school_id=to.org_id))).first()
            students = session.scalars(
                select(Student)
                .where(Student.school_id == school_user(f"{sending}-registrar").org_id)
                .where(Student.status == StudentStatus.IN_SCHOOL, Student.open_case_id.is_(None))
                .limit(count - started)
            ).all()
            for student in students:
                data = {"to_class_id": to_class.id, "cause": "房产变更", "reason": "批量办理测试"}
                wf.start(
                    session, "transfer_in_province", student_id=student.id, actor=to, data=data, to_school_id=to.org_id
                )
                started += 1
        assert started == count
    db.dispose()


def test_bulk_approval_of_twenty(page: Page, live_server, artifacts_dir: Path) -> None:
    seed_transfers(live_server.database_url, 20)
    log_in(page, "nanming-county")
    page.locator("select[name=step]").select_option("to_county_review")
    page.get_by_role("button", name="筛选", exact=True).click()
    expect(page.get_by_test_id("inbox").locator("tbody tr")).to_have_count(20)
    page.get_by_label("全选").check()
    page.locator("textarea[name=opinion]").fill("材料齐全，同意转入")
    page.get_by_test_id("bulk-approve").click()
    expect(page.get_by_test_id("bulk-summary")).to_have_text("共 20 项：成功 20 项，未办理 0 项。")
    expect(page.get_by_test_id("bulk-results").locator("tbody tr.table-success")).to_have_count(20)
    page.screenshot(path=artifacts_dir / "workbench-bulk.png", full_page=True)
