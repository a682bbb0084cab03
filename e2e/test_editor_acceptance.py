"""Issue 21's acceptance in Chromium: a policy officer changes the key-data change flow entirely in the browser
(no XML typed anywhere), publishes it, and a new case reaches the city's inbox with the new step's state label and
due date."""

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
from models import clock
from models.attachment import store_upload
from models.student import Student, StudentStatus
from models.user import User
from models.workflow import InboxTask, ProcessInstance, TaskStatus

pytestmark = pytest.mark.e2e
STATE = "待市级复核"


def context_pad(page: Page, action: str) -> None:
    page.locator(f".djs-context-pad.open .entry[data-action='{action}']").click()


def selected_id(page: Page) -> str:
    return page.evaluate("() => window.xuejiModeler.get('selection').get()[0].id")


def flow_between(page: Page, source: str, target: str) -> str:
    return page.evaluate(
        """([s, t]) => window.xuejiModeler.get('elementRegistry')
            .filter(e => e.type === 'bpmn:SequenceFlow' && e.source.id === s && e.target.id === t)[0].id""",
        [source, target],
    )


def write_condition(page: Page, flow_id: str, value: str) -> None:
    """The condition editor: the variable chosen from those written before the flow, the comparison typed, the value
    chosen from the form's choices."""
    select_element(page, flow_id)
    panel = page.get_by_test_id("properties-panel")
    panel.locator("[data-prop=variables]").get_by_role("button", name="decision", exact=True).click()
    condition = panel.locator("#prop-condition")
    condition.press("End")
    condition.type(" ==")
    panel.locator(".xueji-values[data-variable=decision]").get_by_role("button", name=value, exact=True).click()
    expect(condition).to_have_value(f'decision == "{value}"')


def seed_key_data_change(database_url: str) -> int:
    """A nationality change (approved by the city, F-51) of 南明第一小学, through school review, county and city."""
    db = create_engine(database_url)
    with Session(db) as session:
        users = {u.username: u for u in session.scalars(select(User))}
        registrar = users["nanming-xx-registrar"]
        pupil = session.scalars(
            select(Student)
            .where(Student.school_id == registrar.org_id, Student.status == StudentStatus.IN_SCHOOL)
            .where(Student.open_case_id.is_(None))
            .order_by(Student.id)
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
        for username in ("nanming-xx-reviewer", "nanming-county", "guiyang-city"):
            task = session.scalars(
                select(InboxTask).where(InboxTask.instance_id == case.id, InboxTask.status == TaskStatus.OPEN)
            ).one()
            wf.complete(session, task.id, actor=users[username], data={"decision": "通过", "comment": ""})
        case_id = case.id
    db.dispose()
    return case_id


def add_city_step(page: Page) -> tuple[str, str]:
    """The city's 通过 no longer applies the change at once: a new user task of the city comes first, then a gateway
    with two conditioned flows. Returns the new task's and the new gateway's ids."""
    panel = page.get_by_test_id("properties-panel")
    problems = page.get_by_test_id("problems")
    select_element(page, "f_gw_city_apply_change")
    context_pad(page, "delete")
    select_element(page, "gw_city")
    context_pad(page, "append.append-task")
    task = selected_id(page)
    page.keyboard.press("Escape")
    write_condition(page, flow_between(page, "gw_city", task), "通过")

    select_element(page, task)
    context_pad(page, "replace")
    page.locator(".djs-popup [data-id='replace-with-user-task']").click()
    task = selected_id(page)
    expect(panel.locator("#prop-formKey")).to_be_visible()
    panel.locator("#prop-name").fill("关键数据变更市级复核")
    panel.locator("#prop-name").press("Tab")

    # A user task without a form: marked on the canvas; the problem's link selects it and the form is chosen.
    expect(page.locator(f'g.djs-element.xueji-problem[data-element-id="{task}"]')).to_be_visible()
    select_element(page, "start")
    problems.get_by_role("button", name=re.compile("没有指定表单")).click()
    expect(panel).to_have_attribute("data-element", task)
    panel.locator("#prop-formKey").select_option("key_data_change.review")
    panel.locator("#prop-caseState").fill(STATE)
    panel.locator("#prop-caseState").press("Tab")
    panel.locator("#prop-dueWorkingDays").fill("5")
    panel.locator("#prop-dueWorkingDays").press("Tab")
    expect(page.locator(f'g.djs-element.xueji-problem[data-element-id="{task}"]')).to_have_count(0)

    # A gateway after the new step, its two flows conditioned with the condition editor.
    select_element(page, task)
    context_pad(page, "append.gateway")
    gateway = selected_id(page)
    page.keyboard.press("Escape")
    for target in ("apply_change", "end_rejected"):
        select_element(page, gateway)
        context_pad(page, "connect")
        page.locator(f'g.djs-element[data-element-id="{target}"]').click(position={"x": 4, "y": 4})
    write_condition(page, flow_between(page, gateway, "apply_change"), "通过")
    write_condition(page, flow_between(page, gateway, "end_rejected"), "不通过")
    return task, gateway


def play_new_path(page: Page, task: str, gateway: str) -> None:
    """试走 the diagram as it is on the canvas: 通过 at every review, the city-level branch, then through the new step
    and the new gateway to the end; the steps, lanes and stop are listed and marked on the canvas."""
    page.get_by_test_id("simulate").click()
    simulation = page.get_by_test_id("simulation")
    for source, target in (
        ("gw_school", "county_review"),
        ("gw_county", "gw_level"),
        ("gw_level", "city_review"),
        ("gw_city", task),
        (gateway, "apply_change"),
    ):
        choices = simulation.locator(f'.xueji-choices[data-gateway="{source}"]')
        expect(page.locator(f'g.djs-element.xj-current[data-element-id="{source}"]')).to_be_visible()
        choices.locator(f'button[data-flow="{flow_between(page, source, target)}"]').click()
    expect(simulation.locator("[data-stop]")).to_have_text("停在：审核通过（结束，状态「审核通过」）")
    expect(simulation.locator("[data-lanes]")).to_have_text("经过泳道：学校、学校审核、区县、市级")
    step = simulation.locator(f'li[data-element="{task}"]')
    expect(step).to_have_text(
        f"关键数据变更市级复核（泳道「市级」，表单 key_data_change.review，状态「{STATE}」，时限 5 个工作日）"
    )
    expect(simulation.locator("li")).to_have_count(6)  # 检查、学校审核、区县核办、市级审核、市级复核、变更
    for passed in (task, gateway, flow_between(page, gateway, "apply_change")):
        expect(
            page.locator(
                f'g.djs-element.xj-done[data-element-id="{passed}"], g.djs-element.xj-path[data-element-id="{passed}"]'
            )
        ).to_have_count(1)
    expect(
        page.locator(f'g.djs-element.xj-path[data-element-id="{flow_between(page, gateway, "end_rejected")}"]')
    ).to_have_count(0)


def test_policy_officer_adds_a_city_step_in_the_browser_and_a_new_case_reaches_it(
    page: Page, live_server, artifacts_dir: Path
) -> None:
    page.set_viewport_size({"width": 1600, "height": 1000})
    open_draft(page)
    problems = page.get_by_test_id("problems")
    task, gateway = add_city_step(page)

    expect(problems).to_contain_text("校验通过")
    play_new_path(page, task, gateway)
    page.screenshot(path=artifacts_dir / "editor-simulation.png", full_page=True)
    page.get_by_test_id("save-draft").click()
    expect(page.get_by_test_id("save-status")).to_contain_text("已保存草稿")
    expect(problems).to_contain_text("校验通过")
    lanes = page.request.get(page.url + ".bpmn").text()
    city_lane = lanes[
        lanes.index('<bpmn:lane id="lane_city"') : lanes.index("</bpmn:lane>", lanes.index('id="lane_city"'))
    ]
    assert f"<bpmn:flowNodeRef>{task}</bpmn:flowNodeRef>" in city_lane

    page.get_by_test_id("run-scenarios").click()
    page.locator("#note").fill("市级审核通过后增加市级复核")
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page.locator("body")).to_contain_text("第2版")
    log_out(page)

    case_id = seed_key_data_change(live_server.database_url)
    db = create_engine(live_server.database_url)
    with Session(db) as session:
        case = session.get_one(ProcessInstance, case_id)
        waiting = session.scalars(
            select(InboxTask).where(InboxTask.instance_id == case_id, InboxTask.status == TaskStatus.OPEN)
        ).one()
        assert (case.state_label, waiting.bpmn_id) == (STATE, task)
        due = waiting.due_at
        title = case.title
    db.dispose()
    assert due is not None

    log_in(page, "guiyang-city")
    page.get_by_role("link", name=re.compile("^待办任务")).click()
    row = page.locator("tr", has_text=title)
    expect(row).to_contain_text(STATE)
    expect(row).to_contain_text(clock.local_text(due))
