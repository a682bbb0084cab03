"""Designed forms (issue 16 item 1): a form declared in the diagram, checked at publishing, stored with the version,
built into the same WTForms task form as the hand-written ones, and shown on the task page."""

from __future__ import annotations

import io
import json
from typing import Any
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

import engine as wf
from engine import versions
from engine.api import PublishRefused, compile_diagram
from forms import designed
from models.attachment import Attachment
from models.workflow import InboxTask, InstanceEvent, ProcessInstance, ProcessVersion, TaskStatus
from tests.test_processes_web import EXTRA_STEP, POLICY, new_draft

RECHECK = {
    "key": "mistaken_deletion.county_recheck",
    "title": "误操作删除复核",
    "fields": [
        {"name": "decision", "label": "复核结果", "type": "choice", "choices": ["删除", "驳回"], "required": True},
        {"name": "opinion", "label": "复核意见", "type": "longtext", "required": True, "max_length": 100},
        {"name": "relation", "label": "申请人与学生关系", "type": "choice", "code_table": "relation"},
        {
            "name": "reject_reason",
            "label": "驳回理由",
            "type": "text",
            "required_when": {"field": "decision", "equals": "驳回"},
        },
        {"name": "seen", "label": "已核验材料", "type": "multichoice", "choices": ["户口簿", "派出所证明", "学籍卡"]},
        {
            "name": "doc_no",
            "label": "文号",
            "type": "text",
            "pattern": r"^[0-9]{4}-[0-9]+$",
            "pattern_message": "文号形如 2026-12",
        },
        {"name": "pages", "label": "材料页数", "type": "integer", "min": 1, "max": 50},
        {"name": "checked_on", "label": "核验日期", "type": "date"},
        {"name": "evidence_ids", "label": "复核材料", "type": "attachment", "required": True},
    ],
}


def with_form(xml: str, *definitions: Any, form_key: str = RECHECK["key"]) -> str:
    """EXTRA_STEP's 复核 step showing a designed form, the definitions in the process's extension elements."""
    bodies = "".join(
        f'<xueji:form xmlns:xueji="{designed.NS}">'
        f"{escape(d if isinstance(d, str) else json.dumps(d, ensure_ascii=False))}</xueji:form>"
        for d in definitions
    )
    return xml.replace(
        '<bpmn:process id="mistaken_deletion" name="误操作删除" isExecutable="true">',
        '<bpmn:process id="mistaken_deletion" name="误操作删除" isExecutable="true">'
        f"<bpmn:extensionElements>{bodies}</bpmn:extensionElements>",
    ).replace(
        '<spiffworkflow:property name="formKey" value="mistaken_deletion.county_review" />\n'
        '          <spiffworkflow:property name="caseState" value="待复核" />',
        f'<spiffworkflow:property name="formKey" value="{form_key}" />\n'
        '          <spiffworkflow:property name="caseState" value="待复核" />',
    )


def refusal(xml: str) -> list[str]:
    with pytest.raises(PublishRefused) as refused:
        compile_diagram(xml.encode(), "mistaken_deletion.bpmn")
    return refused.value.problems


# -- the definition and the form built from it ------------------------------------------------------------------


def test_a_designed_form_validates_with_chinese_messages():
    form_cls = designed.build(RECHECK)
    assert [f.name for f in form_cls()] == [f["name"] for f in RECHECK["fields"]]
    empty = form_cls(MultiDict({"decision": "驳回", "doc_no": "十二号", "pages": "99", "checked_on": "昨天"}))
    assert not empty.validate()
    assert empty.errors == {
        "opinion": ["请填写复核意见"],
        "reject_reason": ["驳回时必须填写驳回理由"],
        "doc_no": ["文号形如 2026-12"],
        "pages": ["材料页数须1至50"],
        "checked_on": ["不是有效的日期值。"],  # WTForms' own message, in Chinese through the form's Meta
        "evidence_ids": ["请上传复核材料"],
    }
    unknown = form_cls(MultiDict({"decision": "保留"}))
    assert not unknown.validate() and unknown.errors["decision"]
    assert form_cls(MultiDict({"opinion": "字" * 101})).validate() is False


def test_valid_answers_become_task_data_and_history_lines():
    form = designed.build(RECHECK)(
        MultiDict(
            [
                ("decision", "删除"),
                ("opinion", "材料齐全"),
                ("relation", "母亲"),
                ("seen", "户口簿"),
                ("seen", "学籍卡"),
                ("doc_no", "2026-12"),
                ("pages", "3"),
                ("checked_on", "2026-12-01"),
                ("evidence_ids", "7"),
            ]
        )
    )
    assert form.validate(), form.errors
    assert form.to_task_data() == {
        "decision": "删除",
        "opinion": "材料齐全",
        "relation": "母亲",
        "reject_reason": None,
        "seen": ["户口簿", "学籍卡"],
        "doc_no": "2026-12",
        "pages": 3,
        "checked_on": "2026-12-01",
        "evidence_ids": "7",
    }
    assert ("已核验材料", "户口簿、学籍卡") in form.display_lines()
    assert form.takes_files and form.outcome() == "删除"


def test_a_code_table_gives_stored_values_and_shown_labels():
    sex = {"name": "sex", "label": "性别", "type": "choice", "code_table": "sex", "required": True}
    form = designed.build({"key": "x.y", "title": "t", "fields": [sex]})(MultiDict({"sex": "2"}))
    assert form.validate() and form.to_task_data() == {"sex": "2"} and form.display_lines() == [("性别", "女")]
    many = designed.build({"key": "x.z", "title": "t", "fields": [{**sex, "code_table": "ethnicity"}]})()
    assert many.sex.type == "SelectField" and ("", "请选择…") == (many.sex.choices[0].value, many.sex.choices[0].label)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"key": "复核"}, "表单标识（key）须为「流程.步骤」形式"),
        ({"fields": []}, "表单至少要有一个字段"),
        (
            {"fields": [{"name": "a", "label": "甲", "type": "picture"}]},
            "字段「甲」：类型「picture」不存在，可用类型：text（单行文本）",
        ),
        ({"fields": [{"name": "a", "label": "甲", "type": "text"}] * 2}, "字段「甲」：字段名「a」重复"),
        (
            {"fields": [{"name": "a", "label": "甲", "type": "choice", "code_table": "colours"}]},
            "代码表「colours」不存在",
        ),
        ({"fields": [{"name": "a", "label": "甲", "type": "choice"}]}, "须给出选项（choices，文字列表）或代码表"),
        ({"fields": [{"name": "files", "label": "甲", "type": "attachment"}]}, "附件字段的字段名须为 evidence_ids"),
        ({"fields": [{"name": "a", "label": "甲", "type": "text", "pattern": "("}]}, "不是有效的正则表达式"),
        ({"fields": [{"name": "a", "label": "甲", "type": "text", "requried": True}]}, "不认识的属性「requried」"),
        (
            {"fields": [{"name": "a", "label": "甲", "type": "text", "required_when": {"field": "b", "equals": "否"}}]},
            "required_when 引用的字段「b」不在本表单中",
        ),
        ({"fields": [{"name": "A b", "label": "甲", "type": "text"}]}, "字段名（name）须由小写字母、数字和下划线组成"),
    ],
)
def test_a_faulty_definition_is_refused_at_publishing_naming_the_form(change, expected):
    problems = refusal(with_form(EXTRA_STEP, {**RECHECK, **change}))
    assert any(expected in p for p in problems), problems


def test_publishing_refuses_bad_json_a_duplicate_a_clash_and_an_unknown_key():
    assert any("第1个表单定义不是有效的 JSON" in p for p in refusal(with_form(EXTRA_STEP, "{key:")))
    assert "表单「mistaken_deletion.county_recheck」定义了两次" in refusal(with_form(EXTRA_STEP, RECHECK, RECHECK))
    clash = {**RECHECK, "key": "mistaken_deletion.county_review"}
    assert "表单「mistaken_deletion.county_review」与系统内置表单同名，请换一个标识" in refusal(
        with_form(EXTRA_STEP, clash, form_key="mistaken_deletion.county_review")
    )
    assert any("指定的表单「mistaken_deletion.county_recheck」不存在" in p for p in refusal(with_form(EXTRA_STEP)))


def test_the_forms_are_stored_with_the_version_and_a_changed_form_is_a_new_version(session, flows):
    first = wf.publish(session, with_form(EXTRA_STEP, RECHECK).encode(), filename="mistaken_deletion.bpmn")
    assert json.loads(first.spec_json)["forms"] == {RECHECK["key"]: RECHECK}
    again = wf.publish(session, with_form(EXTRA_STEP, RECHECK).encode(), filename="mistaken_deletion.bpmn")
    assert again.id == first.id
    changed = {**RECHECK, "title": "误操作删除市级复核"}
    second = wf.publish(session, with_form(EXTRA_STEP, changed).encode(), filename="mistaken_deletion.bpmn")
    assert second.version_no == first.version_no + 1
    assert wf.form_class(first, RECHECK["key"]).title == "误操作删除复核"
    assert wf.form_class(second, RECHECK["key"]).title == "误操作删除市级复核"
    reordered = {**changed, "fields": [*changed["fields"][1:], {**changed["fields"][0], "label": "结果"}]}
    third = wf.publish(session, with_form(EXTRA_STEP, reordered).encode(), filename="mistaken_deletion.bpmn")
    assert versions.diff(first, second)[-1] == versions.ElementChange(
        RECHECK["key"], "表单「误操作删除市级复核」", "changed", ("表单标题",)
    )
    assert versions.diff(second, third)[-1].fields == ("字段「结果」",)
    base = session.scalars(
        select(ProcessVersion).where(ProcessVersion.process_key == "mistaken_deletion", ProcessVersion.version_no == 1)
    ).one()
    assert versions.diff(base, first)[-1].kind == "added" and versions.diff(first, base)[-1].kind == "removed"
    plain = session.scalars(select(ProcessVersion).where(ProcessVersion.process_key == "dropout")).first()
    assert "forms" not in json.loads(plain.spec_json)  # a diagram without designed forms keeps its hash


# -- through the web: published by the policy officer, filled in by the county --------------------------------


def test_a_step_with_a_designed_form_published_through_the_web_collects_validated_values(
    login_as, flows, user, student_of, session
):
    registrar = user("nanming-xx-registrar")
    running = flows("mistaken_deletion", student=student_of(registrar.username), by=registrar, reason="旧版本")
    policy = login_as(POLICY)
    draft = new_draft(policy, with_form(EXTRA_STEP, RECHECK))
    policy.post(f"/processes/mistaken_deletion/drafts/{draft}/scenarios")  # run on the draft, forms included
    published = policy.post(
        f"/processes/mistaken_deletion/drafts/{draft}/publish",
        data={"note": "删除前复核（新表单）", "override_reason": "新增复核步骤"},
        follow_redirects=True,
    )
    assert "已发布第2版" in published.get_data(as_text=True)
    diff = policy.get("/processes/mistaken_deletion/diff?a=1&b=2").get_data(as_text=True)
    assert "表单「误操作删除复核」" in diff and "mistaken_deletion.county_recheck" in diff

    fresh = flows("mistaken_deletion", student=student_of(registrar.username), by=registrar, reason="新版本")
    fresh.submit("county_review", by=user("nanming-county"), decision="删除")
    assert fresh.state == "待复核"
    task = fresh.open_task("county_confirm")
    county = login_as("nanming-county")
    page = county.get(f"/tasks/{task.id}").get_data(as_text=True)
    for label in ("复核结果", "复核意见", "申请人与学生关系", "祖父母或外祖父母", "已核验材料", "核验日期"):
        assert label in page
    assert 'type="checkbox"' in page and 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page

    refused = county.post(f"/tasks/{task.id}", data={"decision": "驳回", "opinion": "<b>不全</b>"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "驳回时必须填写驳回理由" in text and "请上传复核材料" in text
    assert "&lt;b&gt;不全&lt;/b&gt;" in text  # escaped as every form's value is
    session.expire_all()
    assert session.get(InboxTask, task.id).status == TaskStatus.OPEN

    done = county.post(
        f"/tasks/{task.id}",
        data={
            "decision": "删除",
            "opinion": "材料齐全",
            "relation": "母亲",
            "seen": ["户口簿", "派出所证明"],
            "checked_on": "2026-12-01",
            "evidence_files": (io.BytesIO(b"%PDF-1.4 x"), "复核.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    session.expire_all()
    case = session.get(ProcessInstance, fresh.case.id)
    assert case.state_label == "已删除"
    [proof] = session.scalars(select(Attachment).where(Attachment.instance_id == case.id)).all()
    assert proof.filename == "复核.pdf"
    event = session.scalars(
        select(InstanceEvent).where(InstanceEvent.instance_id == case.id, InstanceEvent.bpmn_id == "county_confirm")
    ).one()
    lines = [tuple(line) for line in event.data["fields"]]
    assert ("复核意见", "材料齐全") in lines and ("已核验材料", "户口簿、派出所证明") in lines
    assert ("申请人与学生关系", "母亲") in lines
    assert running.case.version.version_no == 1 and running.state == "未处理"  # running cases stay on theirs
