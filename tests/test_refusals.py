"""Diagrams exported by other modelers (Signavio, Camunda, ADONIS, ... as in the BPMN MIWG test suite) are refused in
Chinese that names the element and says what to change: never SpiffWorkflow's English, a parser TypeError, or
"no process with this id" for a process that is there but marked not executable."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from engine import refusals, versions
from models.workflow import ProcessDraft

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' exporter="Other Modeler" id="defs" targetNamespace="http://example.org/bpmn">'
)


def diagram(body: str, *, executable: str = "true", process_id: str = "exported", name: str = "外部流程") -> bytes:
    process = f'<bpmn:process id="{process_id}" name="{name}" isExecutable="{executable}">{body}</bpmn:process>'
    return f"{HEAD}{process}</bpmn:definitions>".encode()


def flow(flow_id: str, source: str, target: str, name: str = "") -> str:
    return f'<bpmn:sequenceFlow id="{flow_id}" name="{name}" sourceRef="{source}" targetRef="{target}"/>'


START = '<bpmn:startEvent id="start" name="开始"/>'
END = '<bpmn:endEvent id="end" name="结束"/>'
# What SpiffWorkflow said in English (or raised) for each, as the page showed it before.
ENGLISH = ("must have", "without condition", "TypeError", "not executable", "not found", "Element '", "{http")


def refusal(xml: bytes, filename: str = "exported.bpmn") -> str:
    """The one problem the draft check (as on the draft page) finds in ``xml``."""
    [problem] = versions.validate(xml, filename)
    assert not any(word in problem for word in ENGLISH), problem
    return problem


def test_a_process_marked_not_executable_is_reported_as_such():
    xml = diagram(START + END + flow("f", "start", "end"), executable="false")
    assert refusal(xml) == (
        'exported.bpmn：流程「外部流程」（exported）标记为不可执行（isExecutable="false"）：'
        "请在建模工具中把它设为可执行后重新导出"
    )


def test_a_file_without_the_process_names_the_ones_it_has():
    xml = diagram(START + END + flow("f", "start", "end"), process_id="Process_1", name="Pool")
    assert refusal(xml) == (
        "exported.bpmn：文件中没有 id 为「exported」的流程；文件中的流程：「Pool」（Process_1），"
        "请把要发布的流程的 id 改为「exported」"
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            START + '<bpmn:serviceTask id="notify" name="发送通知"/>' + flow("f", "start", "notify"),
            "exported.bpmn 服务任务「发送通知」（notify）：服务任务没有指定处理程序："
            "请在属性面板中为它选择本系统已注册的处理程序（spiffworkflow:serviceTaskOperator）",
        ),
        (
            START
            + '<bpmn:exclusiveGateway id="gw" name="是否通过"/><bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>'
            + flow("f0", "start", "gw")
            + flow("yes", "gw", "e1", "通过")
            + flow("no", "gw", "e2", "不通过"),
            "exported.bpmn 连线「通过」（yes）：排他网关的这条出口连线没有条件："
            "请为它填写条件表达式，或在网关上把它设为默认连线",
        ),
        (
            START
            + '<bpmn:endEvent id="fail" name="失败"><bpmn:errorEventDefinition errorRef="Error_9"/></bpmn:endEvent>'
            + flow("f", "start", "fail"),
            "exported.bpmn 结束事件「失败」（fail）：事件引用的信号、错误、升级或消息定义不存在："
            "请在文件中定义它，或删除这个引用",
        ),
        (END, "exported.bpmn 流程「外部流程」（exported）：流程没有开始事件：请加一个开始事件，并用连线接到第一个环节"),
        (
            START + '<bpmn:complexGateway id="cx" name="复杂条件"/>' + flow("f", "start", "cx"),
            "exported.bpmn 复杂网关「复杂条件」（cx）：本系统不支持这种元素",
        ),
        (
            START + '<bpmn:callActivity id="call" calledElement="Other_Process"/>' + flow("f", "start", "call"),
            "exported.bpmn：调用活动引用的流程「Other_Process」不在这个文件中",
        ),
        (
            START + flow("f", "start", "nowhere"),
            "exported.bpmn 开始事件「开始」（start）：连线指向的元素「nowhere」不存在",
        ),
        (
            START + '<bpmn:task id="t"><bpmn:standardLoopCharacteristics loopMaximum="many"/></bpmn:task>',
            "exported.bpmn 第2行：不符合 BPMN 2.0 标准：元素 bpmn:standardLoopCharacteristics 的属性 loopMaximum"
            "的值「many」无效（应为 xs:integer）",
        ),
        (
            START + '<bpmn:dataStoreReference id="x"/><bpmn:signavioThing id="y"/>',
            "exported.bpmn 第2行：不符合 BPMN 2.0 标准：元素 bpmn:signavioThing 不应出现在此处",
        ),
        (
            START
            + '<bpmn:task id="task1" name="Task 1"/>'
            + END
            + flow("f", "start", "task1")
            + flow("g", "task1", "end"),
            "任务 「Task 1」（task1） 没有类型：请在建模工具中把它改为用户任务（由人办理，指定泳道和表单）"
            "或服务任务（由系统办理，指定处理程序）",
        ),
    ],
    ids=[
        "service-task",
        "gateway",
        "undefined-error",
        "no-start",
        "complex-gateway",
        "call-activity",
        "dangling-flow",
        "schema-value",
        "schema-element",
        "plain-task",
    ],
)
def test_other_modelers_constructs_are_refused_in_chinese(body, expected):
    assert refusal(diagram(body)).startswith(expected.replace("属性 loopMaximum的", "属性 loopMaximum 的"))


def test_a_parser_crash_becomes_a_chinese_reason():
    problem = refusals.of_crash(TypeError("'NoneType' object is not iterable"), "exported.bpmn")
    assert problem == (
        "exported.bpmn：流程引擎无法解析此元素（本系统不支持其结构，或它不完整；技术信息：TypeError: "
        "'NoneType' object is not iterable）"
    )


def test_a_message_nobody_translated_keeps_its_english_after_a_chinese_lead():
    assert refusals.translate("Something new went wrong.") == "流程引擎拒绝了此流程图（Something new went wrong）"


def test_an_uploaded_export_with_no_executable_process_is_refused_without_a_draft(login_as, session):
    policy = login_as("guizhou-policy")
    xml = diagram(START + END + flow("f", "start", "end"), executable="false", process_id="mistaken_deletion")
    page = policy.post(
        "/processes/mistaken_deletion/drafts",
        data={"file": (io.BytesIO(xml), "export.bpmn")},
        content_type="multipart/form-data",
        follow_redirects=True,
    ).get_data(as_text=True)
    # Issue 21: such an upload is refused in Chinese and creates nothing (engine/drafts.require_diagram).
    assert re.search(r"都标记为不可执行（isExecutable=(&#34;|&quot;|\")false", page)
    assert session.scalar(select(func.count()).select_from(ProcessDraft)) == 0
