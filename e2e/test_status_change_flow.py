"""学籍异动 (F-21, F-22) in the browser: the registrar applies 休学 with evidence, the school reviewer and the county
approve through their inboxes, the record shows 休学 and offers 学籍异动 again (for 复学)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.accounts import log_in, log_out

pytestmark = pytest.mark.e2e

REGISTRAR = "yunyan-xx-registrar"
REVIEWER = "yunyan-xx-reviewer"
COUNTY = "yunyan-county"


def approve_in_inbox(page: Page, username: str, task: str, choice: str) -> None:
    log_in(page, username)
    page.get_by_test_id("inbox").get_by_role("link", name=task).first.click()
    page.get_by_label(choice, exact=True).check()
    page.get_by_role("button", name="提交", exact=True).click()
    log_out(page)


def test_suspension_with_evidence_through_both_reviews(page: Page, tmp_path) -> None:
    log_in(page, REGISTRAR)
    page.get_by_role("link", name="学生查询", exact=True).click()
    rows = page.get_by_test_id("students").locator("tbody tr").filter(has_text="在校").filter(has_not_text="在办业务")
    rows.first.locator("a").first.click()
    name = page.get_by_test_id("student-name").inner_text().strip()
    student_url = page.url
    page.get_by_role("link", name="申请学籍异动", exact=True).click()
    page.locator("select[name=change_type]").select_option(label="休学")
    page.locator("input[name=reason]").fill("因病休学")
    evidence = tmp_path / "诊断证明.pdf"
    evidence.write_bytes(b"%PDF-1.4 e2e")
    page.get_by_test_id("attachments").set_input_files(str(evidence))
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_test_id("case-state")).to_have_text("待学校审核")
    expect(page.get_by_test_id("case-attachments")).to_contain_text("诊断证明.pdf")
    log_out(page)

    approve_in_inbox(page, REVIEWER, "学籍异动学校审核", "通过")
    approve_in_inbox(page, COUNTY, "学籍异动审核", "通过")

    log_in(page, REGISTRAR)
    page.goto(student_url)
    expect(page.get_by_test_id("student-name")).to_have_text(name)
    expect(page.get_by_test_id("student-status")).to_have_text("休学")
    expect(page.get_by_role("link", name="申请学籍异动", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="申请误操作删除", exact=True)).to_have_count(0)
    page.goto(re.sub(r"/students/.*$", "/lifecycle/status-changes", student_url))
    expect(page.get_by_test_id("results")).to_contain_text(name)
    expect(page.get_by_test_id("results")).to_contain_text("审核通过")
