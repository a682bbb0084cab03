"""The case page (issue 20 item 5) in the browser: the people's steps first, the engine's folded away, the diagram
at full width with the current step and the path taken marked. Screenshots in e2e/artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from e2e.test_mistaken_deletion_flow import registrar_applies

pytestmark = pytest.mark.e2e


def test_case_page_shows_people_first_and_the_path_at_full_width(page: Page, artifacts_dir: Path) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    registrar_applies(page)

    diagram = page.get_by_test_id("case-diagram")
    expect(diagram).to_have_attribute("data-rendered", "true")
    assert diagram.bounding_box()["width"] > 1300  # the page's width, not half of it
    expect(diagram.locator(".djs-element.xj-current")).to_have_count(1)  # 误操作删除核办 waits
    expect(diagram.locator(".djs-connection.xj-path").first).to_be_attached()

    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator("> ol > li")).to_have_count(1)  # the application; the check and states are folded
    expect(timeline.locator("> ol > li")).to_contain_text("未处理")
    system = page.get_by_test_id("system-steps")
    expect(system.locator("li").first).to_be_hidden()
    system.locator("summary").click()
    expect(system.locator("li").first).to_be_visible()
    expect(page.get_by_test_id("case-summary").locator("a", has_text="误操作删除")).to_have_count(0)
    page.screenshot(path=artifacts_dir / "case-page-1440.png", full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.get_by_test_id("case-diagram")).to_have_attribute("data-rendered", "true")
    page.screenshot(path=artifacts_dir / "case-page-390.png", full_page=True)
