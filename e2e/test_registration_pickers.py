"""A registrar's manual registration with the pickers, at desk size and on a phone: the section index, a date
picker, 行政区划 chosen province → city → county, the class from the school's list, the error summary that
links to the first error, then a saved registration. Screenshots go to e2e/artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from e2e.accounts import log_in
from webapp.demo_rows import valid_row

pytestmark = pytest.mark.e2e

PICKED = {"birth_date", "entry_month", "birthplace_code", "hukou_code", "class_no", "grade", "school_code"}


@pytest.mark.parametrize(("width", "height", "n"), [(1440, 900, 431), (390, 844, 432)])
def test_registrar_uses_the_pickers(page: Page, artifacts_dir: Path, width: int, height: int, n: int) -> None:
    log_in(page, "nanming-xx-registrar")
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/registration/new")
    shot = f"registration-{width}"
    page.get_by_test_id("save-registration").click()  # empty: one summary that links to the first error
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_contain_text("从「姓名」开始")
    page.get_by_test_id("first-error").click()
    expect(page.locator("input[name=name]")).to_be_focused()
    page.screenshot(path=artifacts_dir / f"{shot}-1-errors.png", full_page=False)

    row = valid_row(n)
    for key, value in row.items():
        if key in PICKED or not value:
            continue
        field = page.locator(f"[name={key}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    born = row["birth_date"]
    page.locator("input[name=birth_date]").fill(f"{born[:4]}-{born[4:6]}-{born[6:]}")
    page.locator("input[name=entry_month]").fill("2025-09")
    page.locator("select[name=class_no]").select_option("101")
    for name in ("birthplace_code", "hukou_code"):
        picker = page.locator(f"input[name={name}]").locator("xpath=preceding-sibling::div[1]")
        picker.get_by_label("省").select_option(label="贵州省")
        picker.get_by_label("市").select_option(label="贵阳市")
        picker.get_by_label("区县").select_option(label="南明区")
        expect(page.locator(f"input[name={name}]")).to_have_value("520102")
    page.get_by_test_id("section-index").get_by_role("link", name="学籍信息").click()
    page.screenshot(path=artifacts_dir / f"{shot}-2-filled.png", full_page=False)
    page.get_by_test_id("save-registration").click()
    expect(page.get_by_role("alert").first).to_contain_text(f"已保存{row['name']}的注册信息")
