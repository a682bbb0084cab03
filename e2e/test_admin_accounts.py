"""用户管理 in the browser (F-05): a county administrator creates a school account, and the new user is made to
change the password before anything else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from e2e.accounts import log_in, log_out

ADMIN = "nanming-admin"
TEMP = "Temp@2026x"
MINE = "Mine@2026xy"

pytestmark = pytest.mark.e2e


def test_a_county_administrator_creates_a_school_account(page: Page, artifacts_dir: Path) -> None:
    log_in(page, ADMIN)
    page.locator("summary", has_text="系统管理").click()
    page.get_by_test_id("nav-users").click()
    expect(page.get_by_role("heading", name=re.compile("用户管理"))).to_be_visible()
    page.get_by_test_id("new-user").click()
    form = page.get_by_test_id("new-user-form")
    form.get_by_label("用户名").fill("nm-xx-e2e")
    form.get_by_label("姓名").fill("李老师")
    form.get_by_label("所属单位").select_option(label="南明第一小学（学校）")
    form.get_by_label("学籍管理员").check()
    form.get_by_label("班主任").check()
    form.get_by_label("初始密码", exact=True).fill(TEMP)
    form.get_by_label("再次输入初始密码").fill(TEMP)
    form.get_by_role("button", name="创建").click()
    expect(page.get_by_text("已创建账号 nm-xx-e2e（南明第一小学）")).to_be_visible()
    expect(page.get_by_test_id("user-state")).to_contain_text("待修改密码")
    page.screenshot(path=str(artifacts_dir / "admin-user-created.png"), full_page=True)
    log_out(page)

    page.locator("input[name=username]").fill("nm-xx-e2e")
    page.locator("input[name=password]").fill(TEMP)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(re.compile(r"/account/password"))
    expect(page.get_by_test_id("password-forced")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "admin-first-login.png"), full_page=True)
    page.goto("/students/")  # nothing else opens before the change
    expect(page).to_have_url(re.compile(r"/account/password"))
    form = page.get_by_test_id("password-form")
    form.get_by_label("当前密码").fill(TEMP)
    form.get_by_label("新密码", exact=True).fill("short")
    form.get_by_label("再次输入新密码").fill("short")
    form.get_by_role("button", name="修改密码").click()
    expect(page.get_by_text(re.compile("密码太短"))).to_be_visible()
    form.get_by_label("当前密码").fill(TEMP)
    form.get_by_label("新密码", exact=True).fill(MINE)
    form.get_by_label("再次输入新密码").fill(MINE)
    form.get_by_role("button", name="修改密码").click()
    expect(page.get_by_text("密码已修改")).to_be_visible()
    expect(page.get_by_test_id("whoami")).to_contain_text("李老师")
    page.goto("/students/")
    expect(page).to_have_url(re.compile(r"/students/"))
