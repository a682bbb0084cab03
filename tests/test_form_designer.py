"""Issue 16: a new step with a new form published by a policy officer, without a programmer (items 2–5): the publish
check on variables and service operations, the catalogue the editor reads, the designer's preview, the pickers,
and the acceptance path through the web routes on the cross-county transfer (省内跨区县转学)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from engine import publish
from engine.api import PublishRefused, compile_diagram
from forms import designed
from models.attachment import Attachment
from models.audit import AuditEvent
from models.org import OrgUnit, SchoolClass
from models.student import Student
from models.workflow import InboxTask, InstanceEvent, ProcessInstance, TaskStatus
from tests.test_designed_forms import EXTRA_STEP, with_form

FLOW = "transfer_in_province"
SOURCE = (Path(__file__).resolve().parents[1] / "processes" / f"{FLOW}.bpmn").read_text(encoding="utf-8")
POLICY = "guizhou-policy"
PASS = {"decision": "通过"}

RECHECK = {
    "key": "transfer_in_province.city_recheck",
    "title": "市级复核",
    "fields": [
        {"name": "recheck", "label": "复核结论", "type": "choice", "choices": ["同意转学", "驳回"], "required": True},
        {"name": "city_opinion", "label": "市级复核意见", "type": "longtext", "required": True, "max_length": 200},
        {
            "name": "attendance",
            "label": "转入后就读方式",
            "type": "choice",
            "code_table": "attendance",
            "required": True,
        },
        {
            "name": "reject_reason",
            "label": "驳回理由",
            "type": "text",
            "required_when": {"field": "recheck", "equals": "驳回"},
        },
        {"name": "evidence_ids", "label": "复核材料", "type": "attachment", "required": True},
    ],
}

# After the city's 通过: 市级复核 with its own form, then its verdict decides whether the student moves.
CITY_RECHECK = """    <bpmn:userTask id="city_recheck" name="市级复核">
      <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formKey" value="transfer_in_province.city_recheck" />
      <spiffworkflow:property name="caseState" value="待市级复核" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f_cr_pass</bpmn:incoming><bpmn:outgoing>f_rc</bpmn:outgoing></bpmn:userTask>
    <bpmn:exclusiveGateway id="gw_recheck" name="市级复核结论" default="f_rc_no"><bpmn:incoming>f_rc</bpmn:incoming>
      <bpmn:outgoing>f_rc_yes</bpmn:outgoing><bpmn:outgoing>f_rc_no</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="end_recheck_rejected" name="市级复核驳回">
      <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="caseState" value="市级复核驳回" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f_rc_no</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f_rc" sourceRef="city_recheck" targetRef="gw_recheck" />
    <bpmn:sequenceFlow id="f_rc_yes" name="同意" sourceRef="gw_recheck" targetRef="move_student_after_city">
      <bpmn:conditionExpression>CONDITION</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_rc_no" name="驳回" sourceRef="gw_recheck" targetRef="end_recheck_rejected" />
"""


def with_recheck(definition: dict[str, Any] | None = RECHECK, condition: str = 'recheck == "同意转学"') -> str:
    forms = (
        f'<bpmn:extensionElements><xueji:form xmlns:xueji="{designed.NS}">'
        f"{escape(json.dumps(definition, ensure_ascii=False))}</xueji:form></bpmn:extensionElements>"
        if definition
        else ""
    )
    return (
        SOURCE.replace(
            '<bpmn:process id="transfer_in_province" name="省内转学" isExecutable="true">',
            f'<bpmn:process id="transfer_in_province" name="省内转学" isExecutable="true">{forms}',
        )
        .replace(
            'sourceRef="gw_city" targetRef="move_student_after_city"', 'sourceRef="gw_city" targetRef="city_recheck"'
        )
        .replace(
            "<bpmn:incoming>f_cr_pass</bpmn:incoming><bpmn:outgoing>f_moved_city",
            "<bpmn:incoming>f_rc_yes</bpmn:incoming><bpmn:outgoing>f_moved_city",
        )
        .replace(
            "<bpmn:flowNodeRef>end_city_passed</bpmn:flowNodeRef>",
            "<bpmn:flowNodeRef>end_city_passed</bpmn:flowNodeRef><bpmn:flowNodeRef>city_recheck</bpmn:flowNodeRef>"
            "<bpmn:flowNodeRef>gw_recheck</bpmn:flowNodeRef><bpmn:flowNodeRef>end_recheck_rejected</bpmn:flowNodeRef>",
        )
        .replace("  </bpmn:process>", CITY_RECHECK.replace("CONDITION", escape(condition)) + "  </bpmn:process>")
    )


def refusal(xml: str) -> list[str]:
    with pytest.raises(PublishRefused) as refused:
        compile_diagram(xml.encode(), f"{FLOW}.bpmn")
    return refused.value.problems


def test_the_new_version_compiles():
    compile_diagram(with_recheck().encode(), f"{FLOW}.bpmn")


# -- the publish check: variables and service operations -----------------------------------------------------


def test_a_condition_reading_a_variable_nobody_writes_is_refused_naming_it():
    problems = refusal(with_recheck(condition='recheck_result == "同意转学"'))
    assert problems == [
        '网关 「市级复核结论」（gw_recheck） 通往「move_student_after_city」的条件「recheck_result == "同意转学"」'
        "读取的变量「recheck_result」没有任何表单或服务任务写入"
    ]
    # a variable written by a hand-written form, a service task's result or the start is fine
    for condition in ('decision == "通过"', 'check["city_review"]', "student_id > 0", "len(recheck) > 0"):
        compile_diagram(with_recheck(condition=condition).encode(), f"{FLOW}.bpmn")


def test_a_designed_field_that_would_overwrite_what_a_handler_reads_is_refused():
    clash = {**RECHECK, "fields": [*RECHECK["fields"], {"name": "to_class_id", "label": "转入班级", "type": "integer"}]}
    assert refusal(with_recheck(clash)) == [
        "表单「transfer_in_province.city_recheck」的字段「to_class_id」与服务任务 「检查转学条件」（check_request） "
        "需要的变量「to_class_id」同名，提交时会覆盖它：请给该字段换一个字段名"
    ]


def test_a_service_task_must_name_a_catalogued_operation_with_its_parameters():
    missing = with_recheck().replace(
        '<spiffworkflow:parameter id="to_class_id" type="int" value="to_class_id" /></spiffworkflow:parameters>'
        "</spiffworkflow:serviceTaskOperator></bpmn:extensionElements><bpmn:incoming>f_rc_yes",
        "</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements>"
        "<bpmn:incoming>f_rc_yes",
    )
    assert refusal(missing) == [
        "服务任务 「学籍转至转入学校」（move_student_after_city） "
        "缺少处理程序「transfer.move_student」的参数「to_class_id」（int）"
    ]
    extra = with_recheck().replace(
        '<spiffworkflow:parameter id="to_class_id" type="int" value="to_class_id" /></spiffworkflow:parameters>'
        "</spiffworkflow:serviceTaskOperator></bpmn:extensionElements><bpmn:incoming>f_rc_yes",
        '<spiffworkflow:parameter id="to_class_id" type="int" value="to_class_id" />'
        '<spiffworkflow:parameter id="reason" type="str" value="city_opinion" /></spiffworkflow:parameters>'
        "</spiffworkflow:serviceTaskOperator></bpmn:extensionElements><bpmn:incoming>f_rc_yes",
    )
    [problem] = refusal(extra)
    assert (
        "的参数「reason」不是处理程序「transfer.move_student」的参数（可用：student_id、to_class_id、to_school_id）"
        in problem
    )
    unknown = with_recheck().replace(
        '<spiffworkflow:serviceTaskOperator id="transfer.move_student" resultVariable="moved">',
        '<spiffworkflow:serviceTaskOperator id="transfer.move_pupil" resultVariable="moved">',
    )
    assert (
        "服务任务 「学籍转至转入学校」（move_student_after_city） 的处理程序「transfer.move_pupil」未注册"
        in refusal(unknown)
    )


def test_every_shipped_diagram_passes_the_new_checks():
    for path in sorted((Path(__file__).resolve().parents[1] / "processes").glob("*.bpmn")):
        compile_diagram(path.read_bytes(), path.name)


# -- what the editor reads: the catalogue, the field types, the preview ---------------------------------------


def test_the_catalogue_gives_each_operation_its_typed_parameters_and_results(login_as):
    policy = login_as(POLICY)
    catalogue = {op["name"]: op for op in policy.get("/processes/choices/handlers.json").get_json()}
    move = catalogue["transfer.move_student"]
    assert move["parameters"] == [
        {"name": "student_id", "type": "int", "required": True},
        {"name": "to_school_id", "type": "int", "required": True},
        {"name": "to_class_id", "type": "int", "required": True},
    ]
    assert move["results"] == [{"name": "moved", "type": "bool"}, {"name": "moved_on", "type": "date"}]
    assert move["description"] and not move["repeatable"]
    assert all(op["results"] for op in catalogue.values()), [n for n, op in catalogue.items() if not op["results"]]
    types = policy.get("/processes/choices/field_types.json").get_json()
    assert types["types"]["student"] == "学生（管辖范围内）" and types["types"]["org"] == "机构（管辖范围内）"
    forms = {f["key"]: f for f in policy.get("/processes/choices/forms.json").get_json()}
    assert "kind" in forms["transfer_cross_province_in.request"]["variables"]  # written beyond its fields


def test_the_preview_renders_the_form_as_the_reviewer_sees_it_and_tries_its_validation(login_as):
    policy = login_as(POLICY)
    shown = policy.post("/processes/forms/preview", json={"definition": RECHECK})
    assert shown.status_code == 200
    html = shown.get_json()["html"]
    for text in (
        "市级复核意见",
        "转入后就读方式",
        "住校",
        "驳回理由",
        'name="csrf_token"',
        'enctype="multipart/form-data"',
    ):
        assert text in html
    tried = policy.post(
        "/processes/forms/preview",
        json={"definition": RECHECK, "values": {"recheck": "驳回", "city_opinion": "<i>x</i>"}},
    ).get_json()["html"]
    assert "驳回时必须填写驳回理由" in tried and "请选择转入后就读方式" in tried and "请上传复核材料" in tried
    assert "&lt;i&gt;x&lt;/i&gt;" in tried and "<i>x</i>" not in tried
    broken = policy.post("/processes/forms/preview", json={"definition": {**RECHECK, "fields": []}})
    assert broken.status_code == 422 and broken.get_json()["problems"] == ["表单至少要有一个字段（fields）"]
    assert login_as("nanming-county").post("/processes/forms/preview", json={"definition": RECHECK}).status_code == 403


# -- the pickers: within the reviewer's jurisdiction ----------------------------------------------------------

PICKERS = {
    "key": "x.pick",
    "title": "选择",
    "fields": [
        {"name": "other_student", "label": "相关学生", "type": "student", "required": True},
        {"name": "target_school", "label": "接收学校", "type": "org", "level": "school", "required": True},
    ],
}


def test_the_pickers_offer_and_accept_only_the_reviewers_jurisdiction(session, user):
    county = user("nanming-county")
    own = session.scalars(
        select(Student)
        .join(OrgUnit, OrgUnit.id == Student.school_id)
        .where(OrgUnit.path.startswith(county.org.path), Student.national_student_id.is_not(None))
    ).first()
    other = session.scalars(
        select(Student)
        .join(OrgUnit, OrgUnit.id == Student.school_id)
        .where(~OrgUnit.path.startswith(county.org.path), Student.national_student_id.is_not(None))
    ).first()
    form_cls = designed.build(PICKERS)
    offered = form_cls()
    offered.scope(session, county)
    schools = [c.label for c in offered.target_school.iter_choices()][1:]
    assert schools and all(
        session.get(OrgUnit, c.value).path.startswith(county.org.path)
        for c in list(offered.target_school.iter_choices())[1:]
    )
    school = session.get(OrgUnit, own.school_id)

    outside = form_cls(MultiDict({"other_student": other.national_student_id, "target_school": str(other.school_id)}))
    outside.scope(session, county)
    assert not outside.validate()
    assert outside.errors == {
        "other_student": [f"您的管辖范围内没有全国学籍号为 {other.national_student_id} 的学生"],
        "target_school": ["请在您的管辖范围内选择机构"],
    }
    inside = form_cls(MultiDict({"other_student": own.national_student_id, "target_school": str(school.id)}))
    inside.scope(session, county)
    assert inside.validate(), inside.errors
    assert inside.to_task_data() == {"other_student": own.id, "target_school": school.id}
    assert inside.display_lines() == [
        ("相关学生", f"{own.name}（{own.national_student_id}）"),
        ("接收学校", school.name),
    ]
    unscoped = form_cls(MultiDict({"other_student": own.national_student_id, "target_school": str(school.id)}))
    assert not unscoped.validate()  # no user, no jurisdiction: nothing is accepted


# -- acceptance: published through the web, filled in by the city, carried into the history ------------------


def class_of(session, user) -> Any:
    return session.scalars(
        select(SchoolClass).join(SchoolClass.cohort).where(SchoolClass.cohort.has(school_id=user.org_id))
    ).first()


def senior_transfer(flows, user, student_of, session):
    receiving = user("nanming-gz-registrar")
    return flows(
        FLOW,
        student=student_of("yunyan-gz-registrar"),
        by=receiving,
        to_school_id=receiving.org_id,
        to_class_id=str(class_of(session, receiving).id),
        cause="房产变更",
        reason="家庭搬迁至南明区",
    )


def to_city(case, user) -> None:
    case.submit("to_county_review", by=user("nanming-county"), **PASS)
    case.submit("from_school_review", by=user("yunyan-gz-registrar"), **PASS)
    case.submit("from_county_review", by=user("yunyan-county"), **PASS)


def publish_through_the_web(policy, xml: str) -> None:
    response = policy.post(
        f"/processes/{FLOW}/drafts",
        data={"version_no": "1", "file": (io.BytesIO(xml.encode()), f"{FLOW}.bpmn")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    draft = int(re.search(r"/drafts/(\d+)", response.location).group(1))
    page = policy.get(f"/processes/{FLOW}/drafts/{draft}").get_data(as_text=True)
    assert "校验通过" in page, page
    policy.post(f"/processes/{FLOW}/drafts/{draft}/scenarios")
    published = policy.post(
        f"/processes/{FLOW}/drafts/{draft}/publish",
        data={"note": "市级审核通过后增加市级复核（新表单）", "override_reason": "新增市级复核步骤，旧场景不含此步"},
        follow_redirects=True,
    )
    assert "已发布第2版" in published.get_data(as_text=True)


def test_a_new_city_step_with_a_designed_form_is_published_and_filled_in(login_as, flows, user, student_of, session):
    running = senior_transfer(flows, user, student_of, session)
    to_city(running, user)
    policy = login_as(POLICY)
    publish_through_the_web(policy, with_recheck())
    diff = policy.get(f"/processes/{FLOW}/diff?a=1&b=2").get_data(as_text=True)
    assert "表单「市级复核」" in diff and "市级复核" in diff
    published = session.scalars(select(AuditEvent).where(AuditEvent.action == "publish_process")).all()[-1]
    assert published.actor.username == POLICY and published.before["version_no"] == 1
    assert published.after["version_no"] == 2 and published.after["forms"] == {RECHECK["key"]: RECHECK}
    assert "forms" in published.before and published.before["forms"] == {}

    # the running case stays on version 1: the city's 通过 moves the student at once
    running.submit("city_review", by=user("guiyang-city"), **PASS)
    assert running.case.version.version_no == 1 and running.state == "市级审核通过"

    fresh = senior_transfer(flows, user, student_of, session)
    assert fresh.case.version.version_no == 2
    to_city(fresh, user)
    fresh.submit("city_review", by=user("guiyang-city"), **PASS)
    assert fresh.state == "待市级复核"
    task = fresh.open_task("city_recheck")
    city = login_as("guiyang-city")
    page = city.get(f"/tasks/{task.id}").get_data(as_text=True)
    for text in ("市级复核意见", "转入后就读方式", "走读", "住校", "驳回理由", 'name="csrf_token"', "evidence_files"):
        assert text in page

    refused = city.post(f"/tasks/{task.id}", data={"recheck": "驳回", "city_opinion": "字" * 201})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    for message in ("驳回时必须填写驳回理由", "市级复核意见不能超过200个字", "请选择转入后就读方式", "请上传复核材料"):
        assert message in text
    session.expire_all()
    assert session.get(InboxTask, task.id).status == TaskStatus.OPEN and fresh.state == "待市级复核"

    done = city.post(
        f"/tasks/{task.id}",
        data={
            "recheck": "同意转学",
            "city_opinion": "材料齐全，同意",
            "attendance": "住校",
            "evidence_files": (io.BytesIO(b"%PDF-1.4 x"), "复核意见.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    session.expire_all()
    case = session.get(ProcessInstance, fresh.case.id)
    assert case.state_label == "市级审核通过"
    assert session.get(Student, case.student_id).school.name == "南明高级中学"
    [proof] = session.scalars(select(Attachment).where(Attachment.instance_id == case.id)).all()
    assert proof.filename == "复核意见.pdf"
    event = session.scalars(
        select(InstanceEvent).where(InstanceEvent.instance_id == case.id, InstanceEvent.bpmn_id == "city_recheck")
    ).one()
    lines = [tuple(line) for line in event.data["fields"]]
    assert ("复核结论", "同意转学") in lines and ("市级复核意见", "材料齐全，同意") in lines
    assert ("转入后就读方式", "住校") in lines
    history = city.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "市级复核意见" in history and "材料齐全，同意" in history


def test_the_task_page_limits_the_pickers_to_the_reviewers_county(login_as, flows, user, student_of, session):
    """Through the inbox: the county's reviewer is offered its own schools and may name only its own pupils."""
    picking = {
        "key": "mistaken_deletion.county_recheck",
        "title": "误操作删除复核",
        "fields": [
            {"name": "decision", "label": "复核结果", "type": "choice", "choices": ["删除", "驳回"], "required": True},
            *PICKERS["fields"],
        ],
    }
    publish(session, with_form(EXTRA_STEP, picking).encode(), filename="mistaken_deletion.bpmn")
    registrar = user("nanming-xx-registrar")
    case = flows("mistaken_deletion", student=student_of(registrar.username), by=registrar, reason="重复录入")
    case.submit("county_review", by=user("nanming-county"), decision="删除")
    task = case.open_task("county_confirm")
    county = login_as("nanming-county")
    page = county.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "南明第一小学" in page and "云岩高级中学" not in page and "填写全国学籍号" in page
    elsewhere = session.scalars(
        select(Student).where(Student.school.has(name="云岩高级中学"), Student.national_student_id.is_not(None))
    ).first()
    refused = county.post(
        f"/tasks/{task.id}",
        data={
            "decision": "删除",
            "other_student": elsewhere.national_student_id,
            "target_school": str(elsewhere.school_id),
        },
    )
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert f"您的管辖范围内没有全国学籍号为 {elsewhere.national_student_id} 的学生" in text
    assert "请在您的管辖范围内选择机构" in text
    own = session.scalars(
        select(Student).where(Student.school_id == registrar.org_id, Student.national_student_id.is_not(None))
    ).first()
    done = county.post(
        f"/tasks/{task.id}",
        data={"decision": "删除", "other_student": own.national_student_id, "target_school": str(registrar.org_id)},
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    session.expire_all()
    event = session.scalars(
        select(InstanceEvent).where(
            InstanceEvent.instance_id == case.case.id, InstanceEvent.bpmn_id == "county_confirm"
        )
    ).one()
    assert ("相关学生", f"{own.name}（{own.national_student_id}）") in [tuple(line) for line in event.data["fields"]]
