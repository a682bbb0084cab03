"""统计报表 in the browser (F-57): the province's statistics page draws its ECharts charts (served from the app,
under the CSP without inline scripts) and drills down city → county → school."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from e2e.accounts import log_in

pytestmark = pytest.mark.e2e


def test_statistics_page_shows_a_chart_and_drills_down_to_a_school(page: Page, artifacts_dir: Path) -> None:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if _is_error(message) else None)
    log_in(page, "guizhou-province")
    page.locator("summary", has_text="毕业升级与综合查询").click()
    page.get_by_test_id("nav-reports").click()
    expect(page.get_by_test_id("report-title")).to_have_text("贵州省 统计报表")

    # The figures are recounted by a job on the worker (the tick does it hourly).
    page.get_by_test_id("report-refresh").click()
    page.get_by_test_id("report-back").click()  # shown once the job is done (the job page polls)
    expect(page.get_by_test_id("report-refreshed")).not_to_contain_text("尚未统计")

    chart = page.get_by_test_id("chart-students")
    expect(chart).to_have_attribute("data-drawn", "1")
    expect(chart.locator("canvas").first).to_be_visible()
    standard = page.get_by_test_id("table-standard")
    expect(standard.get_by_role("link", name="贵阳市")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "statistics-province.png"), full_page=True)

    for unit in ("贵阳市", "南明区", "南明第一小学"):
        page.get_by_test_id("table-standard").get_by_role("link", name=unit, exact=True).click()
        expect(page.get_by_test_id("report-title")).to_have_text(f"{unit} 统计报表")
    trail = page.get_by_test_id("report-trail")
    expect(trail.locator("li")).to_have_text(["贵州省", "贵阳市", "南明区", "南明第一小学"])
    expect(page.get_by_test_id("chart-students").locator("canvas").first).to_be_visible()
    pupils = page.get_by_test_id("table-standard").locator("tbody tr").last.locator("td").nth(3)
    assert int(pupils.inner_text()) > 0  # the school's 在校生
    page.screenshot(path=str(artifacts_dir / "statistics-school.png"), full_page=True)
    assert not [e for e in errors if "Content Security Policy" in e or "echarts" in e.lower()], errors


def _is_error(message: ConsoleMessage) -> bool:
    return message.type == "error"
