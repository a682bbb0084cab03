"""北京条件 in the browser (F-65): the province switches the pack on in 基本系统设置, 东城区 sets a grade's 学籍总量
below what the grade already holds, a 东城 school's transfer request for a 西城 pupil is refused with the rule's
message, the county grants a 特批 with a reason, and the same request then starts."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, select

from e2e.accounts import log_in, log_out
from e2e.test_transfer_flows import pick_student
from models.org import Cohort, School, SchoolClass
from models.user import User

pytestmark = pytest.mark.e2e

REGISTRAR, COUNTY = "dongcheng-xx-registrar", "dongcheng-county"


def receiving_grade(database_url: str) -> tuple[str, str, str, int]:
    """The receiving school's code and its first class (as the transfer form offers it first): the county reads the
    school code and the grade off its own lists; the test reads them from the database."""
    db = create_engine(database_url)
    with db.connect() as conn:
        school_id = conn.scalar(select(User.org_id).where(User.username == REGISTRAR))
        code = conn.scalar(select(School.school_code).where(School.org_id == school_id))
        class_id, stage, year = conn.execute(
            select(SchoolClass.id, Cohort.stage, Cohort.cohort_year)
            .join(Cohort, Cohort.id == SchoolClass.cohort_id)
            .where(Cohort.school_id == school_id)
            .order_by(Cohort.stage, Cohort.cohort_year.desc(), SchoolClass.class_no)
        ).first()
    db.dispose()
    return code, stage, str(year), class_id


def ask_for(page: Page, name: str, number: str, class_id: int) -> None:
    page.get_by_role("link", name="转学", exact=True).click()
    page.get_by_test_id("new-transfer").click()
    page.locator("input[name=national_student_id]").fill(number)
    page.locator("input[name=student_name]").fill(name)
    page.get_by_role("button", name="查找", exact=True).click()
    expect(page.get_by_test_id("lookup-result")).to_contain_text("西城")
    page.locator("select[name=to_class_id]").select_option(str(class_id))
    page.get_by_label("户籍变更", exact=True).check()
    page.locator("textarea[name=reason]").fill("随父母迁居东城区（端到端测试）")
    page.get_by_role("button", name="提交转学申请", exact=True).click()


def switch_pack(page: Page, value: str, state: str) -> None:
    """The province's 基本系统设置: 地区限制规则包「北京条件」."""
    log_in(page, "beijing-province")
    page.goto("/settings/system")
    page.locator("[name=beijing_rules]").select_option(value)
    page.get_by_role("button", name="保存", exact=True).click()
    page.goto("/regional/")
    expect(page.get_by_test_id("pack-state")).to_contain_text(state)
    log_out(page)


def set_quota(page: Page, code: str, stage: str, year: str) -> None:
    """东城区 sets the grade's 学籍总量 to 1: the grade already holds more, so it is full."""
    log_in(page, COUNTY)
    page.goto("/regional/")
    quota = page.get_by_test_id("quota-form")
    quota.get_by_label("学校标识码").fill(code)
    quota.get_by_label("教育阶段").select_option(stage)
    quota.get_by_label("年级（入学年份）").fill(year)
    quota.get_by_label("学籍总量").fill("1")
    quota.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("quotas")).to_contain_text(year)
    log_out(page)


def test_a_full_grade_refuses_a_transfer_until_the_county_grants_an_override(page: Page, live_server) -> None:
    code, stage, year, class_id = receiving_grade(live_server.database_url)
    name, number = pick_student(page, "xicheng-xx-registrar")

    switch_pack(page, "是", "本省已启用")

    set_quota(page, code, stage, year)

    log_in(page, REGISTRAR)
    ask_for(page, name, number, class_id)
    refusal = page.get_by_role("alert").filter(has_text="北京条件不符")
    expect(refusal).to_contain_text("学籍总量")
    expect(refusal).to_contain_text("请学籍主管部门特批（填写理由）后再提交")
    expect(page.get_by_test_id("case-state")).to_have_count(0)
    log_out(page)

    log_in(page, COUNTY)
    page.goto("/regional/")
    override = page.get_by_test_id("override-form")
    override.get_by_label("限制").select_option(label="学籍总量")
    override.get_by_label("接收学校标识码").fill(code)
    override.get_by_label("学生全国学籍号").fill(number)
    override.get_by_role("button", name="特批").click()  # without a reason: the browser asks for one
    expect(page.get_by_test_id("overrides")).to_contain_text("暂无")
    override.get_by_label("特批理由").fill("父母工作调动，随迁就读（端到端测试）")
    override.get_by_role("button", name="特批").click()
    granted = page.get_by_test_id("overrides").locator("tbody tr").filter(has_text="父母工作调动")
    expect(granted).to_contain_text("否")  # granted, not yet used
    log_out(page)

    log_in(page, REGISTRAR)
    ask_for(page, name, number, class_id)
    expect(page.get_by_test_id("case-state")).to_have_text("待转入区县审核")
    case_path = urlsplit(page.url).path
    log_out(page)

    log_in(page, COUNTY)
    page.goto("/regional/")
    expect(page.get_by_test_id("overrides").locator("tbody tr").filter(has_text="父母工作调动")).to_contain_text("是")
    page.goto(case_path)
    expect(page.get_by_test_id("case-state")).to_have_text("待转入区县审核")
    log_out(page)

    switch_pack(page, "否", "本省未启用")  # the other browser tests share this server: back to the default
