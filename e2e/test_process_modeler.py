"""流程管理 in the browser: open a version in the bpmn-js modeler, change a label, save the draft, read the check."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.accounts import log_in

pytestmark = pytest.mark.e2e
NEW_LABEL = "区县核办误操作删除"


def test_policy_officer_edits_a_label_and_saves_a_checked_draft(page: Page) -> None:
    log_in(page, "guizhou-policy")
    page.locator("summary", has_text="系统设置").click()
    page.get_by_role("link", name="流程管理", exact=True).click()
    page.get_by_test_id("flows").get_by_role("link", name="误操作删除").click()

    page.get_by_role("link", name="查看", exact=True).first.click()
    expect(page.get_by_test_id("diagram")).to_have_attribute("data-rendered", "true")
    page.go_back()

    page.get_by_role("button", name="以此版本编辑").first.click()
    expect(page).to_have_url(re.compile(r"/processes/mistaken_deletion/drafts/\d+$"))
    modeler = page.locator("#modeler")
    expect(modeler).to_have_attribute("data-rendered", "true")

    page.locator('g.djs-element[data-element-id="county_review"]').dblclick()
    editor = page.locator(".djs-direct-editing-parent")
    expect(editor).to_be_visible()
    editor.press("Control+a")
    editor.type(NEW_LABEL)
    page.locator('g.djs-element[data-element-id="lane_county"]').click(position={"x": 40, "y": 40})

    page.get_by_test_id("save-draft").click()
    expect(page.get_by_test_id("save-status")).to_contain_text("已保存草稿")
    # The spiffworkflow extensions (formKey, caseState, operators) survived the modeler: the check passes.
    expect(page.get_by_test_id("problems")).to_contain_text("校验通过")

    draft_xml = page.request.get(page.url + ".bpmn").text()
    assert f'name="{NEW_LABEL}"' in draft_xml
    assert 'name="formKey" value="mistaken_deletion.county_review"' in draft_xml

    page.get_by_test_id("run-scenarios").click()
    expect(page.get_by_test_id("scenario-results")).to_contain_text("区县删除")
    expect(page.get_by_test_id("scenario-results")).not_to_contain_text("未通过")
