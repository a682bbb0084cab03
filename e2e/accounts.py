"""Logging the demo accounts in and out, as every browser test does."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

PASSWORD = "Xueji@2026"  # every demo account's (flask xueji demo)


def log_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    demo_code = page.get_by_test_id("demo-totp")
    expect(page.get_by_test_id("whoami").or_(demo_code)).to_be_visible()
    if demo_code.is_visible():  # administrators: the demo shows the current code of the demo's second factor
        page.get_by_label("动态口令或恢复码").fill(demo_code.locator("code").inner_text())
        page.get_by_role("button", name="验证并登录").click()
    expect(page.get_by_test_id("whoami")).to_be_visible()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="退出", exact=True).click()
    expect(page).to_have_url(re.compile(r"/login$"))
