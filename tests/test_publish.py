"""Publishing diagrams: validation with messages that name the element, hostile XML, versions."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

import engine as wf
from models.workflow import ProcessVersion

SOURCE = (Path(__file__).resolve().parents[1] / "processes" / "mistaken_deletion.bpmn").read_text(encoding="utf-8")
FILENAME = "mistaken_deletion.bpmn"


def variant(*replacements: tuple[str, str]) -> bytes:
    xml = SOURCE
    for old, new in replacements:
        assert old in xml, old
        xml = xml.replace(old, new)
    return xml.encode("utf-8")


def refusal(session, xml: bytes, filename: str = FILENAME) -> str:
    with pytest.raises(wf.PublishRefused) as caught:
        wf.publish(session, xml, filename=filename)
    return caught.value.message


@pytest.mark.parametrize(
    ("replacement", "expected"),
    [
        (('name="区县"', 'name="乡镇"'), "泳道「乡镇」没有对应的机构解析规则"),
        (
            ('value="mistaken_deletion.county_review"', 'value="no_such.form"'),
            "元素 「误操作删除核办」（county_review） 指定的表单「no_such.form」不存在",
        ),
        (
            ('<spiffworkflow:property name="formKey" value="mistaken_deletion.school_decision" />', ""),
            "用户任务 「处理驳回的删除申请」（school_decision） 没有指定表单（属性 formKey）",
        ),
        (
            ('id="records.mark_deleted"', 'id="records.shred"'),
            "服务任务 「删除学籍」（delete_record） 的处理程序「records.shred」未注册",
        ),
        (('value="mistaken_deletion.request"', 'value="nope"'), "「申请误操作删除」（start） 指定的表单「nope」不存在"),
    ],
)
def test_publish_refuses_what_the_code_does_not_know(session, replacement, expected):
    assert expected in refusal(session, variant(replacement))


def test_user_task_outside_every_lane_is_refused(session):
    xml = variant(("<bpmn:flowNodeRef>county_review</bpmn:flowNodeRef>", ""))
    assert "用户任务 「误操作删除核办」（county_review） 不在任何泳道中" in refusal(session, xml)


def test_schema_errors_name_the_line(session):
    xml = variant(('<bpmn:userTask id="county_review"', '<bpmn:userTask id="county_review" bogus="1"'))
    assert "第" in refusal(session, xml) and "行" in refusal(session, xml)


def test_file_without_the_named_process_is_refused(session):
    assert "没有 id 为「other」的流程" in refusal(session, SOURCE.encode(), filename="other.bpmn")


def test_not_xml_is_refused(session):
    assert "不是有效的 XML" in refusal(session, b"PK\x03\x04 this is a zip, not a diagram")


@pytest.mark.parametrize(
    "payload",
    [
        # external entity: would read a local file into the diagram
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&xxe;</bpmn:definitions>',
        # billion laughs
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>',
    ],
)
def test_hostile_xml_is_refused_before_parsing(session, payload):
    assert "不接受包含 DOCTYPE 或实体声明的文件" in refusal(session, payload)


def test_formatting_only_change_is_not_a_new_version(session):
    before = wf.current_version(session, "mistaken_deletion")
    reformatted = variant(('<dc:Bounds x="400" y="310"', '<dc:Bounds x="420" y="300"'), ("    <bpmn:", "  <bpmn:"))
    again = wf.publish(session, reformatted, filename=FILENAME)
    assert (again.id, again.version_no) == (before.id, before.version_no)


def test_a_changed_diagram_is_a_new_current_version_and_running_cases_keep_theirs(session, flows, user, student_of):
    old = wf.current_version(session, "mistaken_deletion")
    running = flows(
        "mistaken_deletion", student=student_of("nanming-xx-registrar"), by=user("nanming-xx-registrar"), reason="重复"
    )
    new = wf.publish(session, variant(('value="未处理"', 'value="待区县处理"')), filename=FILENAME)
    assert new.version_no == old.version_no + 1
    versions = session.scalars(select(ProcessVersion).where(ProcessVersion.process_key == "mistaken_deletion")).all()
    assert [v.version_no for v in versions if v.is_current] == [new.version_no]
    assert running.case.version_id == old.id and running.state == "未处理"
    fresh = flows(
        "mistaken_deletion", student=student_of("nanming-cz-registrar"), by=user("nanming-cz-registrar"), reason="重复"
    )
    assert fresh.case.version_id == new.id and fresh.state == "待区县处理"
    running.submit("county_review", by=user("nanming-county"), decision="删除")
    assert running.state == "已删除"
