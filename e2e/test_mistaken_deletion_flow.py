"""误操作删除 (F-19) in the browser: a school registrar applies, the county deletes, everyone can see it happened."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from e2e.accounts import log_in, log_out

REGISTRAR = "nanming-xx-registrar"  # 南明第一小学 学籍管理员
COUNTY = "nanming-county"  # 南明区
REASON = "同一学生重复建籍，此条为误操作录入（端到端测试）"

pytestmark = pytest.mark.e2e


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def registrar_applies(page: Page) -> tuple[str, str, str]:
    """Apply for 误操作删除 of the first in-school student; return (student name, student path, case path)."""
    log_in(page, REGISTRAR)
    page.get_by_role("link", name="学生查询", exact=True).click()
    expect(page).to_have_url(re.compile(r"/students/$"))
    rows = page.get_by_test_id("students").locator("tbody tr").filter(has_text="在校").filter(has_not_text="在办业务")
    link = rows.first.locator("a").first
    listed_name = link.inner_text().strip()
    link.click()

    expect(page.get_by_test_id("student-status")).to_have_text("在校")
    name = page.get_by_test_id("student-name").inner_text().strip()
    assert name == listed_name
    student_path = path_of(page)

    page.get_by_role("link", name="申请误操作删除", exact=True).click()
    page.locator("textarea[name=reason]").fill(REASON)
    page.get_by_role("button", name="提交", exact=True).click()

    expect(page.get_by_test_id("case-state")).to_have_text("未处理")
    expect(page.get_by_test_id("case-summary")).to_contain_text(name)
    expect(page.get_by_test_id("case-summary")).to_contain_text(REASON)
    return name, student_path, path_of(page)


def county_deletes(page: Page, name: str) -> None:
    log_in(page, COUNTY)
    expect(page).to_have_url(re.compile(r"/$"))
    task = page.get_by_test_id("inbox").locator("tbody tr").filter(has_text=name)
    task_link = task.get_by_role("link", name="误操作删除核办", exact=True)
    expect(task_link).to_have_count(1)
    task_link.click()

    expect(page.locator("h1")).to_have_text("误操作删除核办")
    expect(page.get_by_test_id("case-summary")).to_contain_text(REASON)
    expect(page.locator("textarea[name=review_comment]")).to_be_hidden()  # 驳回原因 only for 驳回
    page.get_by_label("删除", exact=True).check()
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_test_id("confirm")).to_contain_text(name)  # 删除 is confirmed, naming the student
    page.get_by_role("button", name="确认提交", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(f"「误操作删除核办」已提交：{name}，删除")


def open_student_by_search(page: Page, name: str, student_path: str) -> None:
    page.get_by_role("link", name="学生查询", exact=True).click()
    page.locator("input[name=q]").fill(name)
    page.get_by_role("button", name="查询", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]q="))
    # The search matches names by prefix, so pick this student's own link.
    link = page.get_by_test_id("students").locator(f'a[href="{student_path}"]')
    expect(link).to_have_text(name)
    link.click()
    expect(page).to_have_url(re.compile(re.escape(student_path) + "$"))


def test_registrar_applies_and_county_deletes(page: Page, artifacts_dir: Path) -> None:
    name, student_path, case_path = registrar_applies(page)
    log_out(page)

    county_deletes(page, name)

    open_student_by_search(page, name, student_path)
    expect(page.get_by_test_id("student-status")).to_have_text("已删除")
    expect(page.get_by_test_id("audit")).to_contain_text("误操作删除")
    expect(page.get_by_test_id("audit")).to_contain_text(REASON)

    page.get_by_test_id("cases").locator(f'a[href="{case_path}"]').click()
    expect(page).to_have_url(re.compile(re.escape(case_path) + "$"))
    expect(page.get_by_test_id("case-state")).to_have_text("已删除")
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("误操作删除核办")
    expect(timeline).to_contain_text("删除")
    # "删除" alone is also in the title 误操作删除: check the county's decision on its own entry.
    expect(timeline.locator("li").filter(has_text="误操作删除核办")).to_contain_text("核办结果：删除")

    page.goto("/cases/mistaken-deletions?state=已删除")
    expect(page.locator(".nav-pills .nav-link.active")).to_have_text("已删除")
    expect(page.get_by_test_id("cases")).to_contain_text(name)

    page.screenshot(path=artifacts_dir / "mistaken_deletion_flow.png", full_page=True)
