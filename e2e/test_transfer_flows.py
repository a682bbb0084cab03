"""Transfers in the browser: a cross-county transfer with four logins (F-30), and a cross-province transfer from
北京市 to 贵州省 through the exchange (F-31, F-32)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from e2e.accounts import log_in, log_out

pytestmark = pytest.mark.e2e


def pick_student(page: Page, registrar: str) -> tuple[str, str]:
    """What the family brings to the new school: the name and the national student number (read at the old one)."""
    log_in(page, registrar)
    page.get_by_role("link", name="学生查询", exact=True).click()
    rows = page.get_by_test_id("students").locator("tbody tr").filter(has_text="在校").filter(has_not_text="在办业务")
    rows.last.locator("a").first.click()
    name = page.get_by_test_id("student-name").inner_text().strip()
    number = page.get_by_test_id("national-number").inner_text().strip()
    log_out(page)
    return name, number


def request_transfer(page: Page, name: str, number: str, reason: str) -> str:
    """南明第一小学 asks for a 云岩第一小学 pupil (跨区县); returns the case page's path."""
    log_in(page, "nanming-xx-registrar")
    page.get_by_role("link", name="转学", exact=True).click()
    page.get_by_test_id("new-transfer").click()
    page.locator("input[name=national_student_id]").fill(number)
    page.locator("input[name=student_name]").fill(name)
    page.get_by_role("button", name="查找", exact=True).click()
    result = page.get_by_test_id("lookup-result")
    expect(result).to_contain_text("云岩第一小学")
    expect(result).to_contain_text("在校")
    page.get_by_label("户籍变更", exact=True).check()
    page.locator("textarea[name=reason]").fill(reason)
    page.get_by_role("button", name="提交转学申请", exact=True).click()
    expect(page.get_by_test_id("case-state")).to_have_text("待转入区县审核")
    case_path = urlsplit(page.url).path
    log_out(page)
    return case_path


def review(page: Page, username: str, name: str, task_title: str, decision: str = "通过") -> None:
    log_in(page, username)
    row = page.get_by_test_id("inbox").locator("tbody tr").filter(has_text=name)
    link = row.get_by_role("link", name=task_title, exact=True)
    expect(link).to_have_count(1)
    link.click()
    expect(page.locator("h1")).to_have_text(task_title)
    page.get_by_label(decision, exact=True).check()
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(f"「{task_title}」已提交")
    log_out(page)


def case_state(page: Page, case_path: str) -> str:
    page.goto(case_path)
    return page.get_by_test_id("case-state").inner_text().strip()


def test_cross_county_transfer_with_four_logins(page: Page, artifacts_dir: Path) -> None:
    name, number = pick_student(page, "yunyan-xx-registrar")

    case_path = request_transfer(page, name, number, "随父母户籍迁入南明区（端到端测试）")

    review(page, "nanming-county", name, "转入区县审核")  # 2: the receiving county
    review(page, "yunyan-xx-registrar", name, "转出学校审核")  # 3: the sending school
    review(page, "yunyan-county", name, "转出区县审核")  # 4: the sending county

    log_in(page, "nanming-xx-registrar")
    assert case_state(page, case_path) == "转出区县审核通过"
    timeline = page.get_by_test_id("timeline")
    for state in ("待转入区县审核", "转入区县审核通过", "待转出学校审核", "转出学校审核通过", "待转出区县审核"):
        expect(timeline).to_contain_text(state)
    decision = timeline.locator("li").filter(has_text="云岩区学籍主管")
    expect(decision).to_contain_text("转出区县审核")
    expect(decision).to_contain_text("审核结果：通过")
    page.goto("/transfers/?direction=in")
    expect(page.get_by_test_id("transfers")).to_contain_text(name)
    page.get_by_role("link", name="学生查询", exact=True).click()
    page.locator("input[name=q]").fill(name)
    page.get_by_role("button", name="查询", exact=True).click()
    expect(page.get_by_test_id("students")).to_contain_text("南明第一小学")
    page.screenshot(path=artifacts_dir / "transfer_cross_county.png", full_page=True)


def test_cross_province_transfer_between_the_demo_provinces(page: Page, artifacts_dir: Path) -> None:
    name, number = pick_student(page, "dongcheng-xx-registrar")

    log_in(page, "nanming-xx-registrar")
    page.goto("/transfers/")
    page.get_by_test_id("new-cross-transfer").click()
    page.locator("select[name=from_province_id]").select_option(label="北京市")
    page.locator("input[name=student_name]").fill(name)
    page.locator("input[name=national_student_id]").fill(number)
    page.locator("textarea[name=reason]").fill("随父母回黔工作（端到端测试）")
    page.get_by_role("button", name="提交跨省转学申请", exact=True).click()
    expect(page.get_by_test_id("case-state")).to_have_text("转入学校审核通过")
    case_path = urlsplit(page.url).path
    log_out(page)

    review(page, "nanming-county", name, "转入区县审核")
    review(page, "dongcheng-xx-registrar", name, "跨省转出学校审核")
    review(page, "dongcheng-county", name, "跨省转出区县审核")

    log_in(page, "nanming-xx-registrar")
    assert case_state(page, case_path) == "等待转入学校调档"
    page.goto("/")
    page.get_by_test_id("inbox").locator("tbody tr").filter(has_text=name).get_by_role("link", name="调档").click()
    page.get_by_label("调档", exact=True).check()
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("「调档」已提交")
    assert case_state(page, case_path) == "学籍调档完毕"
    timeline = page.get_by_test_id("timeline")
    for state in (
        "转学申请已发往转出省",
        "等待转出学校审核",
        "转出学校审核通过",
        "转出区县审核通过",
        "调档申请已发往转出省",
    ):
        expect(timeline).to_contain_text(state)
    page.get_by_role("link", name="学生查询", exact=True).click()
    page.locator("input[name=q]").fill(number)
    page.get_by_role("button", name="查询", exact=True).click()
    row = page.get_by_test_id("students").locator("tbody tr").filter(has_text=name)
    expect(row).to_contain_text("南明第一小学")
    expect(row).to_contain_text("在校")
    page.screenshot(path=artifacts_dir / "transfer_cross_province.png", full_page=True)
    log_out(page)

    log_in(page, "dongcheng-xx-registrar")
    page.goto("/transfers/?direction=out")
    expect(page.get_by_test_id("transfers").locator("tbody tr").filter(has_text=name)).to_contain_text("学籍调档完毕")
    page.goto(case_path)
    expect(page.locator("h1")).to_have_text(re.compile("页面不存在|404"))
