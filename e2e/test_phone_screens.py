"""Phone-sized screens (issue 20 item 4): at 390×844 the menu collapses behind a toggler (Bootstrap's own script,
served locally), lists read as one card per row, and filters fit the width. Screenshots in e2e/artifacts/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.accounts import PASSWORD
from e2e.conftest import TIMEOUT_MS, LiveServer

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser, live_server: LiveServer) -> Iterator[tuple[Page, list[str]]]:
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    refused: list[str] = []  # what the browser refused or failed to load (CSP, missing files)
    page.on("console", lambda m: refused.append(m.text) if m.type == "error" and "404" not in m.text else None)
    page.on("response", lambda r: refused.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)
    page.on("pageerror", lambda e: refused.append(str(e)))
    yield page, refused
    context.close()


def test_menu_collapses_and_lists_stack_on_a_phone(phone: tuple[Page, list[str]], artifacts_dir: Path) -> None:
    page, refused = phone
    page.goto("/login")
    page.locator("input[name=username]").fill("nanming-xx-registrar")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()

    toggle = page.get_by_test_id("nav-toggle")
    expect(toggle).to_be_visible()
    expect(page.get_by_test_id("whoami")).to_be_hidden()
    assert page.locator("nav.navbar").bounding_box()["height"] < 100  # the menu no longer fills the screen
    page.screenshot(path=artifacts_dir / "phone-home.png", full_page=True)

    toggle.click()
    expect(page.locator("#xj-nav")).to_have_class(re.compile(r"\bshow\b"))  # opened, not still sliding
    expect(page.get_by_test_id("whoami")).to_be_visible()
    page.locator("nav summary", has_text="学籍管理").click()
    expect(page.locator("nav a", has_text="异动查询")).to_be_visible()
    page.screenshot(path=artifacts_dir / "phone-menu.png", full_page=True)

    page.goto("/students/")
    first_name = page.get_by_test_id("students").locator("tbody tr").first.locator("td").first
    expect(first_name).to_have_attribute("data-label", "姓名")
    # A card row: the name cell spans the width instead of a column one character wide.
    assert first_name.bounding_box()["width"] > 300
    query = page.locator("input[name=q]")
    assert query.bounding_box()["width"] > 300
    page.screenshot(path=artifacts_dir / "phone-students.png", full_page=True)

    page.goto("/transfers/")
    expect(page.get_by_test_id("transfers")).to_be_visible()
    assert page.locator("select[name=state]").bounding_box()["width"] > 300
    page.screenshot(path=artifacts_dir / "phone-transfers.png", full_page=True)
    assert refused == []
