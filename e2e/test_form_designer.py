"""Issue 16's acceptance in Chromium: a policy officer gives the city's step of the key-data change its own form in
the diagram editor (adds a field, previews it as the reviewer will see it, tries its validation), publishes; the
city's reviewer then sees that form on the task page and fills it in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

import engine as wf
from e2e.accounts import log_in, log_out
from e2e.test_process_editor import open_draft, select_element
from models.attachment import store_upload
from models.student import Student, StudentStatus
from models.user import User
from models.workflow import InboxTask, InstanceEvent, ProcessInstance, TaskStatus

pytestmark = pytest.mark.e2e
OPINION = "已核对户籍材料，同意变更"


def design_city_form(page: Page) -> None:
    """市级审核 gets a designed form: the default opinion field plus an added 核办结果 choice (the gateway after it
    reads ``decision``), moved up, and the opinion made required only for 不通过."""
    panel = page.get_by_test_id("properties-panel")
    select_element(page, "city_review")
    designer = panel.get_by_test_id("form-designer")
    expect(designer).to_contain_text("此步骤使用系统内置表单")
    designer.get_by_test_id("new-form").click()
    expect(designer.locator(".xueji-fields li")).to_have_count(1)
    expect(designer.locator(".xueji-fields")).to_contain_text("意见（opinion，多行文本，必填）")
    expect(panel.locator("#prop-formKey")).to_have_value("key_data_change.city_review")

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


def seed_case_at_the_city(database_url: str) -> tuple[int, int]:
    """A nationality change (approved by the city, F-51) through the school's and the county's review."""
    db = create_engine(database_url)
    with Session(db) as session:
        users = {u.username: u for u in session.scalars(select(User))}
        registrar = users["nanming-xx-registrar"]
        pupil = session.scalars(
            select(Student)
            .where(Student.school_id == registrar.org_id, Student.status == StudentStatus.IN_SCHOOL)
            .where(Student.open_case_id.is_(None))
            .order_by(Student.id.desc())
            .limit(1)
        ).one()
        proof = store_upload(session, student_id=pupil.id, user=registrar, filename="p.pdf", data=b"%PDF-1.4 x")
        session.commit()
        request = {"new_nationality": "中国香港", "reason": "国籍更正", "evidence_ids": str(proof.id)}
        case = wf.start(
            session,
            "key_data_change",
            student_id=pupil.id,
            actor=registrar,
            data={"reason": "国籍更正", "change_request": request},
        )
        for username in ("nanming-xx-reviewer", "nanming-county"):
            task = session.scalars(
                select(InboxTask).where(InboxTask.instance_id == case.id, InboxTask.status == TaskStatus.OPEN)
            ).one()
            wf.complete(session, task.id, actor=users[username], data={"decision": "通过", "comment": ""})
        waiting = session.scalars(
            select(InboxTask).where(InboxTask.instance_id == case.id, InboxTask.status == TaskStatus.OPEN)
        ).one()
        assert waiting.bpmn_id == "city_review" and waiting.form_key == "key_data_change.city_review"
        ids = case.id, waiting.id
    db.dispose()
    return ids


def test_policy_officer_designs_a_form_and_the_city_fills_it_in(page: Page, live_server, artifacts_dir: Path) -> None:
    page.set_viewport_size({"width": 1600, "height": 1000})
    open_draft(page)
    design_city_form(page)
    preview(page)
    page.screenshot(path=artifacts_dir / "form-designer.png", full_page=True)

    page.get_by_test_id("save-draft").click()
    expect(page.get_by_test_id("save-status")).to_contain_text("已保存草稿")
    expect(page.get_by_test_id("problems")).to_contain_text("校验通过")
    saved = page.request.get(page.url + ".bpmn").text()
    assert "urn:xueji:form:1" in saved and "key_data_change.city_review" in saved
    page.get_by_test_id("run-scenarios").click()
    page.locator("#note").fill("市级审核使用新设计的表单")
    page.locator("#override_reason").fill("市级审核表单改为新设计的表单")
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page.locator("body")).to_contain_text(re.compile(r"已发布第\d+版"))
    log_out(page)

    case_id, task_id = seed_case_at_the_city(live_server.database_url)
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
            select(InstanceEvent).where(InstanceEvent.instance_id == case_id, InstanceEvent.bpmn_id == "city_review")
        ).one()
        lines = [tuple(line) for line in event.data["fields"]]
        assert ("意见", OPINION) in lines and ("核办结果", "通过") in lines
        assert session.get_one(InboxTask, task_id).status == TaskStatus.DONE
        assert case.state_label != "待市级审核"
    db.dispose()
