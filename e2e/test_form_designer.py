"""Issue 16's acceptance in Chromium: a policy officer gives the city's recheck step of the key-data change (the
step issue 21's test adds in the browser, added here too when that test has not run) its own form in the diagram
editor (adds a field, orders the fields, makes one required on a condition, previews the form as the reviewer will
see it and tries its validation), publishes; the city's reviewer then sees that form on the task page and fills it
in. The hand-written forms of the other steps stay (items 2 and 4)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from e2e.accounts import log_in, log_out
from e2e.test_editor_acceptance import add_city_step, seed_key_data_change
from e2e.test_process_editor import open_draft, select_element
from models.workflow import InboxTask, InstanceEvent, ProcessInstance, TaskStatus

pytestmark = pytest.mark.e2e
OPINION = "已核对户籍材料，同意变更"
RECHECK = "关键数据变更市级复核"


def recheck_step(page: Page) -> str:
    """The id of the city's recheck step: added by issue 21's browser test, or here when that has not run."""
    found = page.evaluate(
        """name => (window.xuejiModeler.get('elementRegistry')
            .filter(e => e.type === 'bpmn:UserTask' && e.businessObject.name === name)[0] || {}).id || ''""",
        RECHECK,
    )
    return found or add_city_step(page)[0]


def design_recheck_form(page: Page, task: str) -> None:
    """The recheck gets a designed form: the default opinion field plus an added 核办结果 choice (the gateway after it
    reads ``decision``), moved up, and the opinion made required only for 不通过."""
    panel = page.get_by_test_id("properties-panel")
    select_element(page, task)
    designer = panel.get_by_test_id("form-designer")
    expect(designer).to_contain_text("此步骤使用系统内置表单")
    designer.get_by_test_id("new-form").click()
    expect(designer.locator(".xueji-fields li")).to_have_count(1)
    expect(designer.locator(".xueji-fields")).to_contain_text("意见（opinion，多行文本，必填）")
    expect(panel.locator("#prop-formKey")).to_have_value(f"key_data_change.{task.lower()}")

    designer.get_by_test_id("add-field").click()
    expect(designer.locator(".xueji-fields li")).to_have_count(2)
    designer.locator("#designer-label").fill("核办结果")
    designer.locator("#designer-label").press("Tab")
    designer.locator("#designer-name").fill("decision")
    designer.locator("#designer-name").press("Tab")
    designer.locator("#designer-type").select_option("choice")
    designer.locator("#designer-choices").fill("通过、不通过")
    designer.locator("#designer-choices").press("Tab")
    designer.locator("#designer-required").check()
    expect(designer.locator(".xueji-fields")).to_contain_text("核办结果（decision，单选，必填）")

    # the decision first; the opinion then required only for 不通过
    designer.get_by_role("button", name="上移：核办结果").click()
    expect(designer.locator(".xueji-fields li").first).to_contain_text("核办结果")
    designer.get_by_role("button", name=re.compile("^意见（opinion")).click()
    designer.locator("#designer-required").uncheck()
    designer.locator("#designer-when_field").select_option("decision")
    designer.locator("#designer-when_value").select_option("不通过")
    expect(designer.locator(".xueji-fields")).to_contain_text("意见（opinion，多行文本，「不通过」时必填）")
    expect(panel).to_contain_text("表单写入的变量：decision、opinion")


def preview(page: Page) -> None:
    """The preview is the task page's rendering; its 提交 shows the validation messages the reviewer would get."""
    designer = page.get_by_test_id("form-designer")
    designer.get_by_test_id("preview-form").click()
    shown = designer.get_by_test_id("form-preview")
    expect(shown).to_contain_text("核办结果")
    expect(shown.get_by_label("不通过")).to_be_visible()
    expect(shown.locator("textarea[name=opinion]")).to_be_visible()
    shown.get_by_role("button", name="提交（预览）").click()
    expect(designer.get_by_test_id("form-preview")).to_contain_text("请选择核办结果")
    shown = designer.get_by_test_id("form-preview")
    shown.get_by_label("不通过", exact=True).check()
    shown.get_by_role("button", name="提交（预览）").click()
    expect(designer.get_by_test_id("form-preview")).to_contain_text("不通过时必须填写意见")


def test_policy_officer_designs_a_form_and_the_city_fills_it_in(page: Page, live_server, artifacts_dir: Path) -> None:
    page.set_viewport_size({"width": 1600, "height": 1000})
    open_draft(page)
    task = recheck_step(page)
    design_recheck_form(page, task)
    preview(page)
    page.screenshot(path=artifacts_dir / "form-designer.png", full_page=True)

    page.get_by_test_id("save-draft").click()
    expect(page.get_by_test_id("save-status")).to_contain_text("已保存草稿")
    expect(page.get_by_test_id("problems")).to_contain_text("校验通过")
    saved = page.request.get(page.url + ".bpmn").text()
    assert "urn:xueji:form:1" in saved and f"key_data_change.{task.lower()}" in saved
    assert 'value="key_data_change.review"' in saved  # the other steps keep their hand-written forms
    page.get_by_test_id("run-scenarios").click()
    page.locator("#note").fill("市级审核使用新设计的表单")
    page.locator("#override_reason").fill("市级审核表单改为新设计的表单")
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page.locator("body")).to_contain_text(re.compile(r"已发布第\d+版"))
    log_out(page)

    case_id = seed_key_data_change(live_server.database_url)  # through school, county and the city's 审核
    db = create_engine(live_server.database_url)
    with Session(db) as session:
        waiting = session.scalars(
            select(InboxTask).where(InboxTask.instance_id == case_id, InboxTask.status == TaskStatus.OPEN)
        ).one()
        assert waiting.bpmn_id == task and waiting.form_key == f"key_data_change.{task.lower()}"
        task_id = waiting.id
    db.dispose()
    log_in(page, "guiyang-city")
    page.goto(f"/tasks/{task_id}")
    form = page.get_by_test_id("task-form")
    expect(form).to_contain_text("核办结果")
    form.get_by_label("不通过", exact=True).check()
    form.get_by_role("button", name="提交").click()
    expect(page.get_by_test_id("task-form")).to_contain_text("不通过时必须填写意见")
    form = page.get_by_test_id("task-form")
    form.get_by_label("通过", exact=True).check()
    form.locator("textarea[name=opinion]").fill(OPINION)
    form.get_by_role("button", name="提交").click()
    expect(page.locator("body")).to_contain_text("已提交")

    db = create_engine(live_server.database_url)
    with Session(db) as session:
        case = session.get_one(ProcessInstance, case_id)
        event = session.scalars(
            select(InstanceEvent).where(InstanceEvent.instance_id == case_id, InstanceEvent.bpmn_id == task)
        ).one()
        lines = [tuple(line) for line in event.data["fields"]]
        assert ("意见", OPINION) in lines and ("核办结果", "通过") in lines
        assert session.get_one(InboxTask, task_id).status == TaskStatus.DONE
        assert case.state_label == "审核通过"
    db.dispose()
