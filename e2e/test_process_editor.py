"""The draft editor in the browser (issue 21): Chinese palette and context pad, the properties panel with the
application's choice lists, and problems marked on the canvas."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree
from playwright.sync_api import Page, expect

from e2e.accounts import log_in

pytestmark = pytest.mark.e2e
CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")


def open_draft(page: Page, flow: str = "key_data_change") -> None:
    log_in(page, "guizhou-policy")
    page.goto(f"/processes/{flow}")
    page.get_by_role("button", name="以此版本编辑").first.click()
    expect(page).to_have_url(re.compile(rf"/processes/{flow}/drafts/\d+$"))
    expect(page.locator("#modeler")).to_have_attribute("data-rendered", "true")
    expect(page.get_by_test_id("properties-panel")).to_have_attribute("data-loaded", "true")


CLIP = {"x": 0, "y": 0, "width": 1440, "height": 760}


def select_element(page: Page, element_id: str) -> None:
    """Select as a click would (a connection's middle is not always on its line)."""
    page.evaluate(
        "id => { const m = window.xuejiModeler; m.get('selection').select(m.get('elementRegistry').get(id)); }",
        element_id,
    )


def english(titles: list[str]) -> list[str]:
    return [t for t in titles if not CJK.search(t) or ENGLISH_WORD.search(t)]


def titles(page: Page, selector: str) -> list[str]:
    return page.locator(selector).evaluate_all("nodes => nodes.map(n => n.title || n.textContent.trim())")


def test_every_palette_and_context_pad_label_is_chinese(page: Page) -> None:
    open_draft(page)
    palette = titles(page, ".djs-palette .entry")
    assert len(palette) >= 10 and not english(palette), english(palette)
    for element_id in ("city_review", "gw_city", "lane_city", "start", "f_city_no"):
        select_element(page, element_id)
        expect(page.locator(".djs-context-pad.open .entry").first).to_be_visible()
        pad = titles(page, ".djs-context-pad.open .entry")
        assert pad and not english(pad), (element_id, english(pad))
    # The 更改元素 popup menu of a task.
    select_element(page, "city_review")
    page.locator(".djs-context-pad.open .entry[data-action=replace]").click()
    expect(page.locator(".djs-popup").first).to_be_visible()
    popup = titles(page, ".djs-popup .entry .djs-popup-label, .djs-popup .entry .djs-popup-entry-name")
    assert popup and not english(popup), english(popup)


def test_the_panel_shows_and_changes_what_the_engine_reads(page: Page, artifacts_dir: Path) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    open_draft(page)
    page.locator('g.djs-element[data-element-id="city_review"]').click()
    panel = page.get_by_test_id("properties-panel")
    expect(panel.locator("#prop-formKey")).to_have_value("key_data_change.review")
    expect(panel.locator("#prop-caseState")).to_have_value("待市级审核")
    page.locator(".xueji-editor").scroll_into_view_if_needed()
    # README's 流程管理 picture (docs/img/editor-panel.png is a copy of this one).
    page.screenshot(path=artifacts_dir / "editor-panel.png", clip=CLIP)
    panel.locator("#prop-dueWorkingDays").fill("3")
    panel.locator("#prop-dueWorkingDays").press("Tab")
    panel.get_by_label("加签").check()
    panel.locator("#prop-escalateTo").select_option("上级")

    page.locator('g.djs-element[data-element-id="f_gw_level_city_review_label"]').click()
    expect(panel.locator("#prop-condition")).to_have_value('request["approval_level"] == "city"')
    expect(panel.locator("[data-prop=variables]")).to_contain_text("decision")
    expect(panel.locator(".xueji-values[data-variable=decision]")).to_contain_text("通过")

    page.locator('g.djs-element[data-element-id="apply_change"]').click(position={"x": 6, "y": 6})
    expect(panel.locator("#prop-operator")).to_have_value("keydata.apply")
    expect(panel.locator("#prop-param-changes")).to_have_value('request["changes"]')

    page.get_by_test_id("save-draft").click()
    expect(page.get_by_test_id("save-status")).to_contain_text("已保存草稿")
    expect(page.get_by_test_id("problems")).to_contain_text("校验通过")
    xml = page.request.get(page.url + ".bpmn").text()
    city = xml[xml.index('id="city_review"') : xml.index("</bpmn:userTask>", xml.index('id="city_review"'))]
    assert 'name="dueWorkingDays" value="3"' in city
    assert 'name="disabledVerbs" value="加签"' in city
    assert 'name="escalateTo" value="上级"' in city

    # A value from a code table, inserted into a condition (the record stores 性别 as a code).
    page.locator('g.djs-element[data-element-id="f_gw_level_city_review_label"]').click()
    panel.locator("#prop-codeTable").select_option(label="性别")
    panel.locator(".xueji-codes[data-table=sex]").get_by_role("button", name="2 女", exact=True).click()
    expect(panel.locator("#prop-condition")).to_have_value('request["approval_level"] == "city" "2"')


def test_a_problem_is_marked_on_the_canvas_and_a_click_selects_its_element(page: Page) -> None:
    open_draft(page)
    page.locator('g.djs-element[data-element-id="city_review"]').click()
    panel = page.get_by_test_id("properties-panel")
    panel.locator("#prop-formKey").select_option("")
    problems = page.get_by_test_id("problems")
    expect(problems).to_contain_text("没有指定表单")
    expect(page.locator('g.djs-element.xueji-problem[data-element-id="city_review"]')).to_be_visible()
    page.locator('g.djs-element[data-element-id="start"]').click()
    problems.locator("button[data-element=city_review]").click()
    expect(panel.locator("#prop-formKey")).to_be_visible()
    expect(panel).to_have_attribute("data-element", "city_review")
    panel.locator("#prop-formKey").select_option("key_data_change.review")
    expect(problems).to_contain_text("校验通过")
    expect(page.locator("g.djs-element.xueji-problem")).to_have_count(0)


SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
PROCESSES = Path(__file__).resolve().parents[1] / "processes"


def extensions(xml: str) -> list[tuple[str, list[tuple[str, str]], str]]:
    """Every spiffworkflow element of the file: its tag, attributes and text."""
    root = etree.fromstring(xml.encode())
    return sorted(
        (etree.QName(node).localname, sorted(node.attrib.items()), (node.text or "").strip())
        for node in root.iter(f"{{{SPIFF}}}*")
    )


def test_every_shipped_diagram_survives_the_editor_with_its_extensions(page: Page) -> None:
    """The moddle descriptor knows every spiffworkflow element the diagrams use: importing and exporting each keeps
    them all, attributes included, and the publish check passes on the exported key-data-change flow."""
    open_draft(page)
    for path in sorted(PROCESSES.glob("*.bpmn")):
        source = path.read_text(encoding="utf-8")
        exported = page.evaluate(
            """async xml => {
                const m = window.xuejiModeler;
                const result = await m.importXML(xml);
                if (result.warnings.length) return "WARN " + result.warnings.map(w => w.message).join("; ");
                return (await m.saveXML({ format: true })).xml;
            }""",
            source,
        )
        assert not exported.startswith("WARN"), (path.name, exported)
        assert extensions(exported) == extensions(source), path.name
        if path.stem == "key_data_change":
            token = page.locator("meta[name=csrf-token]").get_attribute("content") or ""
            check = page.request.post(page.url + "/check", data=exported, headers={"X-CSRFToken": token})
            assert check.json()["problems"] == []


def test_a_test_scenario_is_played_on_the_diagram(page: Page) -> None:
    open_draft(page, "mistaken_deletion")
    page.get_by_test_id("run-scenarios").click()
    expect(page.locator("#modeler")).to_have_attribute("data-rendered", "true")
    page.locator("tr", has_text="驳回后等待学校处理").get_by_test_id("play-scenario").click()
    expect(page.locator('g.djs-element.xj-done[data-element-id="county_review"]')).to_be_visible()
    expect(page.locator('g.djs-element.xj-current[data-element-id="school_decision"]')).to_be_visible()
    expect(page.locator("g.djs-element.xj-path").first).to_be_attached()
    expect(page.get_by_test_id("play-summary")).to_have_text("经过泳道：学校、区县；停在：处理驳回的删除申请")
    page.locator("tr", has_text="区县删除").first.get_by_test_id("play-scenario").click()
    expect(page.locator("g.djs-element.xj-current")).to_have_count(0)
    expect(page.get_by_test_id("play-summary")).to_contain_text("已办结")


def test_message_events_show_their_message_payload_and_variable(page: Page) -> None:
    open_draft(page, "transfer_cross_province_in")
    panel = page.get_by_test_id("properties-panel")
    select_element(page, "send_request")
    expect(panel.locator("#prop-messageRef")).to_have_value("xp_request")
    expect(panel.locator("#prop-messagePayload")).to_have_value(re.compile(r'^\{"to_org_id": from_province_id'))
    expect(panel.locator("#prop-caseState")).to_have_value("转学申请已发往转出省")
    select_element(page, "archive_arrived")
    expect(panel.locator("#prop-messageRef")).to_have_value("xp_status")
    expect(panel.locator("#prop-messageVariable")).to_have_value("status")
    panel.locator("#prop-newMessage").fill("xp_archive")
    panel.locator("#prop-newMessage").press("Enter")
    expect(panel.locator("#prop-messageRef")).to_have_value(re.compile(r"^Message_"))
    xml = page.evaluate("async () => (await window.xuejiModeler.saveXML()).xml")
    assert 'name="xp_archive"' in xml


def test_a_played_path_splits_at_a_parallel_gateway_and_joins_when_both_branches_arrive(page: Page) -> None:
    open_draft(page, "duplicate_admission")
    page.get_by_test_id("simulate").click()
    simulation = page.get_by_test_id("simulation")

    def done(element_id: str):
        return page.locator(f'g.djs-element.xj-done[data-element-id="{element_id}"]')

    # Both schools' branches run up to their own 删除？ gateway; the join waits.
    choices = simulation.locator('.xueji-choices[data-gateway="gw_a"]')
    expect(choices.locator("button[data-flow=f_gw_a_a_review]")).to_contain_text("（默认）")
    expect(done("b_act")).to_have_count(1)
    expect(done("join")).to_have_count(0)
    choices.locator("button[data-flow=f_gw_a_a_review]").click()
    expect(done("a_review")).to_have_count(1)
    expect(done("join")).to_have_count(0)
    simulation.locator('.xueji-choices[data-gateway="gw_b"] button[data-flow=f_gw_b_b_review]').click()
    expect(done("join")).to_have_count(1)
    expect(simulation.locator('.xueji-choices[data-gateway="gw_outcome"]')).to_be_visible()
    expect(simulation.locator("[data-lanes]")).to_contain_text("经过泳道：")
    # An edit makes the played path stale: its marks go.
    page.evaluate(
        "() => { const m = window.xuejiModeler; m.get('modeling').updateLabel("
        "m.get('elementRegistry').get('a_action'), '重复招生处理（甲校）'); }"
    )
    expect(simulation).to_have_text("流程图已修改，请重新试走。")
    expect(page.locator("g.djs-element.xj-done")).to_have_count(0)


def test_a_form_the_diagram_designs_is_offered_beside_the_applications(page: Page) -> None:
    from tests.test_designed_forms import RECHECK, with_form
    from tests.test_processes_web import SOURCE

    # 误操作删除核办 shows a form the diagram designs (forms/designed.py) instead of the application's.
    xml = with_form(SOURCE, RECHECK).replace('value="mistaken_deletion.county_review"', f'value="{RECHECK["key"]}"')
    open_draft(page, "mistaken_deletion")
    assert page.evaluate("async xml => (await window.xuejiModeler.importXML(xml)).warnings.length", xml) == 0
    select_element(page, "county_review")
    panel = page.get_by_test_id("properties-panel")
    form = panel.locator("#prop-formKey")
    expect(form).to_have_value(RECHECK["key"])
    expect(form.locator("option:checked")).to_have_text(f"误操作删除复核（{RECHECK['key']}，本流程图设计）")
    expect(panel).to_contain_text("表单写入的变量：decision、opinion、relation、reject_reason")
    select_element(page, "f_delete")
    expect(panel.locator(".xueji-values[data-variable=decision]")).to_contain_text("驳回")
    expect(page.get_by_test_id("problems")).to_contain_text("校验通过")
