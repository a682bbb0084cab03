"""学籍注册 in the browser (F-08, F-12, F-13, F-14): a registrar takes a class from the downloaded template to
approved records with national numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from e2e.accounts import log_in, log_out
from models.template_columns import COLUMNS
from webapp.demo_rows import valid_row

JOB_WAIT_MS = 60_000  # a job on a busy machine; nothing asserts how long it took

REGISTRAR = "nanming-xx-registrar"
COUNTY = "nanming-county"
CLASS_SIZE = 25

pytestmark = pytest.mark.e2e


def fill_template(template: Path, target: Path) -> list[str]:
    """What the homeroom teacher does in Excel: one row per student under the template's header."""
    wb = load_workbook(template)
    ws = wb["学生信息"]
    names = []
    for n in range(CLASS_SIZE):
        row = valid_row(n, name=f"端到端{n}")
        names.append(row["name"])
        for col, column in enumerate(COLUMNS, start=1):
            ws.cell(row=2 + n, column=col, value=row.get(column.key, ""))
    wb.save(target)
    return names


def test_registrar_takes_a_class_from_template_to_approved_records(page: Page, tmp_path: Path) -> None:
    log_in(page, REGISTRAR)
    page.get_by_test_id("nav-registration").click()
    page.get_by_test_id("import-link").click()
    # The link's file, fetched with the browser's session (headless Chromium's download UI is not the subject).
    href = page.get_by_test_id("download-template").get_attribute("href")
    response = page.request.get(href)
    assert response.ok and "attachment" in response.headers["content-disposition"]
    template = tmp_path / "template.xlsx"
    template.write_bytes(response.body())
    filled = tmp_path / "class.xlsx"
    names = fill_template(template, filled)

    page.get_by_test_id("import-file").set_input_files(str(filled))
    page.get_by_test_id("dry-run").click()
    # The check and the import run on the Celery worker; the job page's bar polls and the page shows the result.
    expect(page.get_by_test_id("import-ok")).to_contain_text(f"共 {CLASS_SIZE} 行", timeout=JOB_WAIT_MS)
    expect(page.get_by_test_id("job-bar")).to_have_text("100%")
    page.get_by_test_id("confirm-import").click()
    expect(page.get_by_test_id("import-done")).to_contain_text(f"导入成功：{CLASS_SIZE}人", timeout=JOB_WAIT_MS)
    page.get_by_test_id("import-done").get_by_role("link").click()

    rows = page.get_by_test_id("registration-row")
    expect(rows).to_have_count(CLASS_SIZE)  # all on one page: no 20-per-page limit
    expect(page.get_by_test_id("dedup-status").first).to_have_text("查重无问题")
    page.get_by_test_id("select-all").check()
    page.get_by_test_id("school-comment").fill("该生信息已全部核对完善无误")
    page.get_by_test_id("school-review").click()
    expect(page.get_by_role("alert").first).to_contain_text(f"审核成功：{CLASS_SIZE}人")
    page.get_by_test_id("select-all").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("submit").click()
    expect(page.get_by_role("alert").first).to_contain_text(f"上报成功：{CLASS_SIZE}人")
    expect(page.get_by_test_id("registration-state").first).to_have_text("待核办")
    log_out(page)

    log_in(page, COUNTY)
    page.get_by_test_id("nav-authority").click()
    table = page.get_by_test_id("authority-registrations")
    expect(table).to_contain_text(names[0])
    page.get_by_test_id("select-all").check()
    page.get_by_test_id("approve").click()
    expect(page.get_by_role("alert").first).to_contain_text(f"核办通过成功：{CLASS_SIZE}人")
    log_out(page)

    log_in(page, REGISTRAR)
    page.get_by_role("link", name="学生查询", exact=True).click()
    page.locator("input[name=q]").fill(names[0])
    page.get_by_role("button", name="查询", exact=True).click()
    page.get_by_test_id("students").get_by_role("link", name=names[0], exact=True).click()
    expect(page.get_by_test_id("student-status")).to_have_text("在校")
    expect(page.get_by_test_id("national-number")).to_have_text(re.compile(r"^L520102\d{12}$"))
