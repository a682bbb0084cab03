"""招生入学 in the browser (F-35, F-04, F-40, F-41, F-44, F-49): a junior school graduates its grade-9 classes,
the county turns 导出招生excel into admission results for its senior school, the school admits the graduates, the
county passes the admissions, and the school places the new students in two new grade-1 classes by 自动分班."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Locator, Page, expect

from e2e.accounts import log_in, log_out

JUNIOR = "nanming-cz-registrar"  # 南明第一中学 学籍管理员
SENIOR = "nanming-gz-registrar"  # 南明高级中学 学籍管理员
COUNTY = "nanming-county"  # 南明区
JUNIOR_SCHOOL, SENIOR_SCHOOL = "南明第一中学", "南明高级中学"
NEW_CLASSES = (("103", "高一(3)班"), ("104", "高一(4)班"))
HEADERS = ["个人标识码(学籍号)", "学生姓名", "毕业学校标识码", "录取学校标识码", "教育阶段"]

pytestmark = pytest.mark.e2e


def open_menu(page: Page, menu: str) -> None:
    """The navbar's menus are <details>: open one so its links can be clicked."""
    page.locator("nav summary", has_text=menu).click()


def flash(page: Page) -> Locator:
    return page.get_by_role("alert").first


def class_row(page: Page, name: str) -> Locator:
    """班级信息管理's row of a class (by its 班级名称 cell: each row also lists its siblings for 合并)."""
    return page.get_by_test_id("class-row").filter(has=page.get_by_role("cell", name=name, exact=True))


def check_all(listed: Locator, name: str, count: int) -> None:
    """全选 of a list: every box of the list (``name``) ticked."""
    boxes = listed.locator(f"input[name={name}]")
    expect(boxes).to_have_count(count)
    listed.page.get_by_test_id("select-all").check()
    for box in boxes.all():
        expect(box).to_be_checked()


def graduate_grade_nine(page: Page) -> list[str]:
    """学生毕业 (F-35) of every class of the graduating cohort, whole classes; return the graduates' names."""
    log_in(page, JUNIOR)
    open_menu(page, "毕业升级与综合查询")
    page.get_by_role("link", name="学生毕业", exact=True).click()
    classes = page.get_by_test_id("graduation-class")
    expect(classes.first).to_contain_text("初中")
    names: list[str] = []
    for n in range(classes.count()):
        form = classes.nth(n)
        class_name = form.locator(".card-header span").first.inner_text().split(" · ")[1].split("（")[0]
        pupils = [text.strip() for text in form.locator("li").all_inner_texts()]
        assert pupils, f"{class_name} has no student to graduate"
        names += pupils
        # nothing ticked: the whole class graduates, once the browser's confirm naming the count is accepted
        with page.expect_event("dialog") as shown:
            page.once("dialog", lambda dialog: dialog.accept())
            form.get_by_role("button", name="毕业", exact=True).click()
        assert shown.value.message == f"未勾选学生：{class_name}全班 {len(pupils)} 名学生将毕业，确定吗？"
        expect(flash(page)).to_have_text(f"{class_name}：全班 {len(pupils)} 名学生已毕业")
        expect(classes.nth(n)).to_contain_text("在校 0 人")
    log_out(page)
    return names


def new_cohort_with_two_empty_classes(page: Page) -> str:
    """年级信息管理 / 班级信息管理 (F-04): the new cohort exists (its year is what the page proposes for a new
    cohort); two empty grade-1 classes are added for the newcomers. Return the cohort's name."""
    log_in(page, SENIOR)
    open_menu(page, "学校管理")
    page.get_by_test_id("nav-cohorts").click()
    year = page.get_by_test_id("new-cohort").get_by_label("入学年份").input_value()
    cohort = f"高中{year}级"
    expect(page.get_by_test_id("cohort-row").filter(has_text=cohort)).to_have_count(1)
    open_menu(page, "学校管理")
    page.get_by_test_id("nav-classes").click()
    for class_no, name in NEW_CLASSES:
        page.get_by_test_id("new-class").click()
        form = page.get_by_test_id("class-form")
        form.get_by_label("年级", exact=True).select_option(label=cohort)
        form.get_by_label("班号", exact=True).fill(class_no)
        form.get_by_label("班级名称", exact=True).fill(name)
        form.get_by_role("button", name="保存", exact=True).click()
        expect(flash(page)).to_have_text("班级已保存")
        row = class_row(page, name)
        expect(row).to_contain_text(cohort)
        expect(row).to_contain_text("0 / 50")
    log_out(page)
    return cohort


def export_graduates(page: Page, target: Path, graduates: list[str]) -> None:
    """毕业生查询 of the junior school → 导出招生excel (the county's session fetches the link's file)."""
    open_menu(page, "毕业升级与综合查询")
    page.get_by_role("link", name="毕业生查询", exact=True).click()
    page.get_by_test_id("filters").locator("select[name=school_id]").select_option(label=JUNIOR_SCHOOL)
    page.get_by_role("button", name="查询", exact=True).click()
    expect(page).to_have_url(re.compile(r"school_id=\d+"))
    rows = page.get_by_test_id("results").locator("tbody tr")
    expect(rows).to_have_count(len(graduates))
    for name in graduates:
        expect(rows.filter(has_text=name)).to_contain_text("毕业")
    href = page.get_by_test_id("admission-export").get_attribute("href")
    assert href is not None and "school_id=" in href
    response = page.request.get(href)
    assert response.ok and "attachment" in response.headers["content-disposition"]
    target.write_bytes(response.body())


def fill_admitting_school(export: Path, target: Path, graduates: list[str], senior_code: str) -> None:
    """What the admissions office does in Excel: every graduate goes to 南明高级中学."""
    wb = load_workbook(export)
    ws = wb.active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert sorted(row[1] for row in rows[1:]) == sorted(graduates)
    assert {row[4] for row in rows[1:]} == {"高中"}  # the next stage, already filled in
    for n in range(2, len(rows) + 1):
        ws.cell(row=n, column=4, value=senior_code)
    wb.save(target)


def upload_results(page: Page, file: Path) -> None:
    page.locator("input[name=file]").set_input_files(str(file))
    page.get_by_test_id("upload").click()


def county_imports_results(page: Page, tmp_path: Path, graduates: list[str]) -> None:
    """招生结果管理 (F-40): the raw export is refused whole (no admitting school yet), the filled one imported."""
    count = len(graduates)
    log_in(page, COUNTY)
    export = tmp_path / "导出招生excel.xlsx"
    export_graduates(page, export, graduates)
    open_menu(page, "学籍管理")
    page.get_by_test_id("nav-admission-results").click()
    upload_results(page, export)
    expect(flash(page)).to_contain_text(f"导入失败，共{count}行有误，未导入任何数据")
    errors = page.get_by_test_id("import-errors").locator("li")
    expect(errors).to_have_count(count)
    expect(errors.first).to_have_text("第2行：未填写录取学校标识码")
    expect(page.get_by_test_id("results")).to_contain_text("暂无招生结果")
    page.reload()  # the refused file's errors stay on a GET page: a refresh posts nothing again
    expect(errors).to_have_count(count)
    # the codes the admissions office fills in are listed on the page
    page.get_by_test_id("school-codes").locator("summary").click()
    code_row = page.get_by_test_id("school-codes").locator("tr", has_text=SENIOR_SCHOOL)
    senior_code = code_row.locator("td").nth(1).inner_text()
    assert re.fullmatch(r"\d{10}", senior_code)
    filled = tmp_path / "招生结果.xlsx"
    fill_admitting_school(export, filled, graduates, senior_code)
    upload_results(page, filled)
    expect(flash(page)).to_have_text(f"已导入 {count} 条招生结果")
    results = page.get_by_test_id("results").locator("tbody tr")
    expect(results).to_have_count(count)
    expect(results.filter(has_text=SENIOR_SCHOOL).filter(has_text="未录取")).to_have_count(count)
    upload_results(page, filled)  # the same file again: every row refused, nothing doubled
    expect(flash(page)).to_contain_text(f"导入失败，共{count}行有误，未导入任何数据")
    expect(errors.first).to_contain_text("请勿重复导入")
    page.goto(page.url.split("/import/")[0])
    expect(page.get_by_test_id("results").locator("tbody tr")).to_have_count(count)
    log_out(page)


def school_admits(page: Page, graduates: list[str]) -> None:
    """统一招生录取 (F-41) of every result naming the senior school."""
    count = len(graduates)
    log_in(page, SENIOR)
    open_menu(page, "学籍管理")
    page.get_by_test_id("nav-unified-admission").click()
    listed = page.get_by_test_id("unified-results")
    for name in graduates:
        expect(listed.locator("tr", has_text=name)).to_contain_text(JUNIOR_SCHOOL)  # 毕业学校
    page.get_by_test_id("admit").click()
    expect(flash(page)).to_have_text("请勾选要录取的学生")
    check_all(listed, "result_id", count)
    page.get_by_test_id("admit").click()
    expect(flash(page)).to_have_text(f"已录取 {count} 名学生，待学籍主管部门核办")
    expect(listed.locator("tbody")).to_have_text("没有待录取的招生结果")
    log_out(page)


def county_passes(page: Page, count: int) -> None:
    """录取新生核办 (F-44): pass; same county, so the students move to the senior school at once (Q-26)."""
    log_in(page, COUNTY)
    open_menu(page, "学籍管理")
    page.get_by_test_id("nav-admission-review").click()
    pending = page.get_by_test_id("pending-admissions")
    rows = pending.locator("tbody tr").filter(has_text=SENIOR_SCHOOL)
    expect(rows.filter(has_text=JUNIOR_SCHOOL)).to_have_count(count)  # 毕业学校 and 录取学校
    check_all(pending, "admission_id", count)
    page.get_by_test_id("pass").click()
    expect(flash(page)).to_have_text(f"{count} 条录取已核办：通过")
    expect(pending).to_contain_text("没有待核办的录取")
    # 招生结果管理 shows each result's admission as it stands
    open_menu(page, "学籍管理")
    page.get_by_test_id("nav-admission-results").click()
    expect(page.get_by_test_id("result-state").filter(has_text="已录取")).to_have_count(count)
    log_out(page)


def assign_automatically(page: Page, graduates: list[str], cohort: str) -> list[int]:
    """学生分班 → 自动分班 (F-49) over the two new classes: the preview's counts per class, then confirmed.
    Return the previewed totals per class."""
    count = len(graduates)
    log_in(page, SENIOR)
    open_menu(page, "学籍管理")
    page.get_by_test_id("nav-class-assignment").click()
    expect(page.get_by_role("heading", name=f"待分班学生（{count} 人）")).to_be_visible()
    awaiting = page.get_by_test_id("awaiting")
    for name in graduates:
        expect(awaiting).to_contain_text(name)
    check_all(awaiting, "student_id", count)
    for _, name in NEW_CLASSES:
        page.get_by_label(f"{cohort}{name}", exact=True).check()
    for label in page.locator("label", has=page.locator("input[name=class_id]")).all_inner_texts():
        assert label.strip().startswith(cohort), f"{label} is offered to newcomers, not a class of {cohort}"
    page.get_by_test_id("preview-auto").click()
    plan = page.get_by_test_id("plan-row")
    expect(plan).to_have_count(len(NEW_CLASSES))
    cells = [[int(text) for text in row.locator("td").all_inner_texts()[1:4]] for row in plan.all()]
    boys, girls, totals = (list(column) for column in zip(*cells, strict=True))
    assert [b + g for b, g in zip(boys, girls, strict=True)] == totals
    assert sum(totals) == count
    assert max(totals) - min(totals) <= 1, f"unbalanced classes {totals}"
    assert max(boys) - min(boys) <= 1 and max(girls) - min(girls) <= 1, f"boys {boys}, girls {girls}"
    expect(page.get_by_test_id("plan-unassigned")).to_have_count(0)
    placed = [name for cell in page.get_by_test_id("plan-students").all_inner_texts() for name in cell.split("、")]
    assert sorted(placed) == sorted(graduates)  # the preview says who goes where
    page.get_by_test_id("confirm-auto").click()
    expect(flash(page)).to_have_text(f"自动分班完成：{count} 名学生已分班")
    expect(awaiting).to_have_text("没有待分班的学生")
    return totals


def test_graduates_are_admitted_reviewed_and_placed_in_classes(page: Page, tmp_path: Path) -> None:
    graduates = graduate_grade_nine(page)
    assert len(graduates) >= 2, "the demo's grade-9 classes should hold students to graduate"
    cohort = new_cohort_with_two_empty_classes(page)
    county_imports_results(page, tmp_path, graduates)
    school_admits(page, graduates)
    county_passes(page, len(graduates))
    totals = assign_automatically(page, graduates, cohort)

    # 班级信息管理 counts the new classes' in-school students: the newcomers, as previewed.
    open_menu(page, "学校管理")
    page.get_by_test_id("nav-classes").click()
    for (_, name), total in zip(NEW_CLASSES, totals, strict=True):
        expect(class_row(page, name)).to_contain_text(f"{total} / 50")
    # A newcomer's record: in school at the senior school, in one of the new classes.
    page.get_by_role("link", name="学生查询", exact=True).click()
    page.locator("input[name=q]").fill(graduates[0])
    page.get_by_role("button", name="查询", exact=True).click()
    page.get_by_test_id("students").get_by_role("link", name=graduates[0], exact=True).click()
    expect(page.get_by_test_id("student-status")).to_have_text("在校")
    expect(page.locator("dt:text-is('学校') + dd")).to_have_text(SENIOR_SCHOOL)
    expect(page.locator("dt:text-is('班级') + dd")).to_have_text(
        re.compile("|".join(re.escape(n) for _, n in NEW_CLASSES))
    )
