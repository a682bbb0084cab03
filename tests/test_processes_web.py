"""流程管理 through the web layer: versions, drafts, checks, scenarios, publishing, diff and bulk migration."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from models.org import SchoolClass
from models.workflow import ProcessDraft, ProcessInstance, ProcessVersion

POLICY = "guizhou-policy"
SOURCE = (Path(__file__).resolve().parents[1] / "processes" / "mistaken_deletion.bpmn").read_text(encoding="utf-8")

# One extra review step after the county decides 删除: 复核 by the county before the record is deleted.
EXTRA_STEP = (
    SOURCE.replace(
        '<bpmn:sequenceFlow id="f_delete" name="删除" sourceRef="gw_county" targetRef="delete_record">',
        '<bpmn:sequenceFlow id="f_delete" name="删除" sourceRef="gw_county" targetRef="county_confirm">',
    )
    .replace(
        "<bpmn:incoming>f_delete</bpmn:incoming>",
        "<bpmn:incoming>f_confirmed</bpmn:incoming>",
    )
    .replace(
        '    <bpmn:sequenceFlow id="f_deleted"',
        """    <bpmn:userTask id="county_confirm" name="误操作删除复核">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formKey" value="mistaken_deletion.county_review" />
          <spiffworkflow:property name="caseState" value="待复核" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f_delete</bpmn:incoming>
      <bpmn:outgoing>f_confirmed</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f_confirmed" sourceRef="county_confirm" targetRef="delete_record" />
    <bpmn:sequenceFlow id="f_deleted\"""",
    )
    .replace(
        "<bpmn:flowNodeRef>gw_county</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>gw_county</bpmn:flowNodeRef>\n        <bpmn:flowNodeRef>county_confirm</bpmn:flowNodeRef>",
    )
)


def draft_id(response) -> int:
    return int(re.search(r"/drafts/(\d+)$", response.location).group(1))


@pytest.fixture
def policy(login_as):
    return login_as(POLICY)


def new_draft(client, xml: str | None = None) -> int:
    data = {"version_no": "1"}
    if xml is not None:
        data["file"] = (io.BytesIO(xml.encode()), "mistaken_deletion.bpmn")
    response = client.post("/processes/mistaken_deletion/drafts", data=data, content_type="multipart/form-data")
    assert response.status_code == 302 and "/drafts/" in response.location, response.location
    return draft_id(response)


def test_only_policy_officers_manage_diagrams(login_as):
    assert login_as("nanming-county").get("/processes/").status_code == 403
    assert login_as("nanming-xx-registrar").get("/processes/mistaken_deletion").status_code == 403


def test_versions_are_listed_viewable_and_downloadable(policy):
    page = policy.get("/processes/").get_data(as_text=True)
    assert "误操作删除" in page and 'href="/processes/mistaken_deletion"' in page
    flow = policy.get("/processes/mistaken_deletion").get_data(as_text=True)
    assert "第1版" in flow and "当前" in flow
    viewer = policy.get("/processes/mistaken_deletion/v1").get_data(as_text=True)
    assert 'data-xml-url="/processes/mistaken_deletion/v1.bpmn"' in viewer
    download = policy.get("/processes/mistaken_deletion/v1.bpmn")
    assert download.headers["Content-Disposition"] == 'attachment; filename="mistaken_deletion_v1.bpmn"'
    assert download.get_data(as_text=True) == SOURCE


def test_saving_a_draft_checks_it_and_names_the_element(policy):
    draft = new_draft(policy)
    broken = SOURCE.replace('id="records.mark_deleted"', 'id="records.shred"')
    response = policy.post(
        f"/processes/mistaken_deletion/drafts/{draft}", data=broken.encode(), content_type="application/xml"
    )
    assert response.json["saved"] is True
    assert response.json["problems"] == [
        {
            "text": "服务任务 「删除学籍」（delete_record） 的处理程序「records.shred」未注册",
            "elements": ["delete_record"],
        }
    ]
    orphan = SOURCE.replace("</bpmn:process>", '<bpmn:task id="orphan" name="孤立步骤" /></bpmn:process>')
    response = policy.post(
        f"/processes/mistaken_deletion/drafts/{draft}", data=orphan.encode(), content_type="application/xml"
    )
    assert {"text": "元素 「孤立步骤」（orphan） 无法从开始事件到达", "elements": ["orphan"]} in response.json[
        "problems"
    ]
    page = policy.get(f"/processes/mistaken_deletion/drafts/{draft}").get_data(as_text=True)
    assert "孤立步骤" in page and "无法从开始事件到达" in page


def test_the_editor_checks_unsaved_xml_as_publishing_would_and_stores_nothing(policy, login_as, session):
    draft = new_draft(policy)
    broken = SOURCE.replace('id="records.mark_deleted"', 'id="records.shred"').replace(
        'name="formKey" value="mistaken_deletion.county_review"', 'name="formKey" value="no.such_form"'
    )
    response = policy.post(f"/processes/mistaken_deletion/drafts/{draft}/check", data=broken.encode())
    problems = response.json["problems"]
    assert {
        "text": "服务任务 「删除学籍」（delete_record） 的处理程序「records.shred」未注册",
        "elements": ["delete_record"],
    } in problems
    assert ["county_review"] in [p["elements"] for p in problems if "no.such_form" in p["text"]]
    assert policy.get(f"/processes/mistaken_deletion/drafts/{draft}.bpmn").get_data(as_text=True) == SOURCE
    fine = policy.post(f"/processes/mistaken_deletion/drafts/{draft}/check", data=SOURCE.encode())
    assert fine.json["problems"] == []
    not_xml = policy.post(f"/processes/mistaken_deletion/drafts/{draft}/check", data=b"x").json["problems"]
    assert not_xml[0]["elements"] == [] and "不是 XML 文件" in not_xml[0]["text"]
    county = login_as("nanming-county")
    assert county.post(f"/processes/mistaken_deletion/drafts/{draft}/check", data=SOURCE.encode()).status_code == 403


@pytest.mark.parametrize(
    "payload",
    [
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>',
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aa"><!ENTITY b "&a;&a;&a;&a;">]><l>&b;</l>',
    ],
)
def test_hostile_uploads_are_refused_and_nothing_is_stored(policy, session, payload):
    before = session.scalar(select(func.count()).select_from(ProcessDraft))
    response = policy.post(
        "/processes/mistaken_deletion/drafts",
        data={"file": (io.BytesIO(payload.encode()), "evil.bpmn")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "不接受包含 DOCTYPE 或实体声明的文件" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(ProcessDraft)) == before


NOT_EXECUTABLE = SOURCE.replace('isExecutable="true"', 'isExecutable="false"')
NO_PROCESS = (
    '<?xml version="1.0"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
    'targetNamespace="x"><bpmn:message id="m" name="只有一条消息" /></bpmn:definitions>'
)


@pytest.mark.parametrize(
    ("filename", "payload", "message"),
    [
        (
            "说明.txt",
            "请把区县核办改为两个工作日。",
            "上传的文件「说明.txt」不是 BPMN 流程图：它不是 XML 文件（第 1 行无法解析）",
        ),
        (
            "page.xml",
            '<?xml version="1.0"?><html><body>不是流程图</body></html>',
            "上传的文件「page.xml」不是 BPMN 流程图：它的根元素是 <html>（无命名空间），BPMN 2.0 文件的根元素应为 "
            "bpmn:definitions",
        ),
        ("gbk.bpmn", "流程".encode("gbk"), "上传的文件「gbk.bpmn」不是 UTF-8 编码的文本文件"),
        ("empty.bpmn", NO_PROCESS, "上传的文件「empty.bpmn」中没有流程（bpmn:process）"),
        (
            "mistaken_deletion.bpmn",
            NOT_EXECUTABLE,
            '上传的文件「mistaken_deletion.bpmn」中的流程「误操作删除」都标记为不可执行（isExecutable="false"）',
        ),
    ],
)
def test_an_upload_that_is_no_runnable_diagram_is_refused_in_chinese_and_leaves_no_draft(
    policy, session, filename, payload, message
):
    before = session.scalar(select(func.count()).select_from(ProcessDraft))
    data = payload if isinstance(payload, bytes) else payload.encode()
    response = policy.post(
        "/processes/mistaken_deletion/drafts",
        data={"version_no": "1", "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.request.path == "/processes/mistaken_deletion"
    assert str(escape(message)) in page
    assert "Start tag" not in page and "targetNamespace" not in page  # none of the parser's English
    assert session.scalar(select(func.count()).select_from(ProcessDraft)) == before


def test_saving_something_that_is_no_diagram_keeps_the_draft_as_it_was(policy):
    draft = new_draft(policy)
    response = policy.post(
        f"/processes/mistaken_deletion/drafts/{draft}", data=b"<svg/>", content_type="application/xml"
    )
    assert response.status_code == 422 and response.json["saved"] is False
    assert "保存的流程图不是 BPMN 流程图" in response.json["problems"][0]["text"]
    assert policy.get(f"/processes/mistaken_deletion/drafts/{draft}.bpmn").get_data(as_text=True) == SOURCE


def test_a_draft_that_breaks_a_scenario_needs_an_override_reason(policy, session):
    broken = SOURCE.replace('decision == "删除"', 'decision == "同意删除"')
    draft = new_draft(policy, broken)
    refused = policy.post(
        f"/processes/mistaken_deletion/drafts/{draft}/publish", data={"note": "x"}, follow_redirects=True
    )
    assert "请先对当前保存的草稿运行测试场景" in refused.get_data(as_text=True)
    page = policy.post(f"/processes/mistaken_deletion/drafts/{draft}/scenarios", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "区县删除" in text and "未通过" in text
    refused = policy.post(
        f"/processes/mistaken_deletion/drafts/{draft}/publish", data={"note": "试行"}, follow_redirects=True
    )
    assert "测试场景未通过" in refused.get_data(as_text=True)
    assert (
        session.scalar(
            select(func.count()).select_from(ProcessVersion).where(ProcessVersion.process_key == "mistaken_deletion")
        )
        == 1
    )
    done = policy.post(
        f"/processes/mistaken_deletion/drafts/{draft}/publish",
        data={"note": "试行", "override_reason": "区县删除改为同意删除，场景另行更新"},
        follow_redirects=True,
    )
    assert "已发布第2版" in done.get_data(as_text=True)
    v2 = session.scalars(
        select(ProcessVersion).where(ProcessVersion.process_key == "mistaken_deletion", ProcessVersion.version_no == 2)
    ).one()
    assert "强制发布：区县删除改为同意删除" in v2.note and v2.is_current


def test_a_layout_only_draft_publishes_no_new_version(policy, session):
    moved = SOURCE.replace('<dc:Bounds x="400" y="310"', '<dc:Bounds x="410" y="320"')
    draft = new_draft(policy, moved)
    policy.post(f"/processes/mistaken_deletion/drafts/{draft}/scenarios")
    response = policy.post(
        f"/processes/mistaken_deletion/drafts/{draft}/publish", data={"note": "调整布局"}, follow_redirects=True
    )
    assert "未产生新版本" in response.get_data(as_text=True)
    assert (
        session.scalar(
            select(func.count()).select_from(ProcessVersion).where(ProcessVersion.process_key == "mistaken_deletion")
        )
        == 1
    )


def test_an_extra_step_published_through_the_web_new_cases_follow_it_old_cases_migrate(
    policy, login_as, flows, user, student_of, session
):
    registrar = user("nanming-xx-registrar")
    waiting = flows("mistaken_deletion", student=student_of(registrar.username), by=registrar, reason="旧版本")
    rejected = flows("mistaken_deletion", student=student_of(registrar.username), by=registrar, reason="旧版本")
    rejected.submit("county_review", by=user("nanming-county"), decision="驳回", review_comment="不同意")

    client = login_as(POLICY)
    draft = new_draft(client, EXTRA_STEP)
    client.post(f"/processes/mistaken_deletion/drafts/{draft}/scenarios")
    published = client.post(
        f"/processes/mistaken_deletion/drafts/{draft}/publish",
        data={"note": "删除前增加复核", "override_reason": "新增复核步骤，删除场景多一步"},
        follow_redirects=True,
    )
    assert "已发布第2版" in published.get_data(as_text=True)
    diff = client.get("/processes/mistaken_deletion/diff?a=1&b=2").get_data(as_text=True)
    assert "误操作删除复核" in diff and "新增" in diff

    fresh = flows("mistaken_deletion", student=student_of(registrar.username), by=registrar, reason="新版本")
    fresh.submit("county_review", by=user("nanming-county"), decision="删除")
    assert fresh.state == "待复核"
    assert waiting.case.version.version_no == 1 and waiting.state == "未处理"

    result = client.post(
        "/processes/mistaken_deletion/migrate", data={"from_version": "1"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "已迁移到第2版" in result
    assert "不能迁移：已办理的步骤在新版本中被修改或删除" in result
    session.expire_all()
    assert session.get(ProcessInstance, waiting.case.id).version.version_no == 2
    assert session.get(ProcessInstance, rejected.case.id).version.version_no == 1
    waiting.submit("county_review", by=user("nanming-county"), decision="删除")
    assert waiting.state == "待复核"
    waiting.submit("county_confirm", by=user("nanming-county"), decision="删除")
    assert waiting.state == "已删除"
    rejected.submit("school_decision", by=registrar, action="取消申请")
    assert rejected.state == "已取消"


def test_case_page_shows_its_diagram_with_the_current_step(flows, user, student_of, login_as):
    registrar = user("nanming-xx-registrar")
    case = flows("mistaken_deletion", student=student_of(registrar.username), by=registrar, reason="看图")
    page = login_as("nanming-county").get(f"/cases/{case.case.id}").get_data(as_text=True)
    assert f'data-xml-url="/cases/{case.case.id}/diagram.bpmn"' in page
    assert 'data-current="county_review"' in page and "check_request" in page
    assert login_as("nanming-county").get(f"/cases/{case.case.id}/diagram.bpmn").get_data(as_text=True) == SOURCE
    assert login_as("yunyan-county").get(f"/cases/{case.case.id}/diagram.bpmn").status_code == 404


TRANSFER = (Path(__file__).resolve().parents[1] / "processes" / "transfer_in_province.bpmn").read_text(encoding="utf-8")
# One extra review step: after the sending county passes, its leader reviews (转出区县复核) before the record moves.
TRANSFER_EXTRA_STEP = (
    TRANSFER.replace(
        'sourceRef="gw_from_county" targetRef="gw_city_needed"', 'sourceRef="gw_from_county" targetRef="leader_review"'
    )
    .replace(
        "<bpmn:incoming>f_fc_pass</bpmn:incoming><bpmn:outgoing>f_city_yes</bpmn:outgoing>",
        "<bpmn:incoming>f_leader_pass</bpmn:incoming><bpmn:outgoing>f_city_yes</bpmn:outgoing>",
    )
    .replace(
        "<bpmn:incoming>f_fc_fail</bpmn:incoming></bpmn:endEvent>",
        "<bpmn:incoming>f_fc_fail</bpmn:incoming><bpmn:incoming>f_leader_fail</bpmn:incoming></bpmn:endEvent>",
    )
    .replace(
        "<bpmn:flowNodeRef>gw_city_needed</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>gw_city_needed</bpmn:flowNodeRef><bpmn:flowNodeRef>leader_review</bpmn:flowNodeRef>"
        "<bpmn:flowNodeRef>gw_leader</bpmn:flowNodeRef>",
    )
    .replace(
        '    <bpmn:sequenceFlow id="f_start"',
        """    <bpmn:userTask id="leader_review" name="转出区县复核"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formKey" value="transfer_in_province.from_county_review" />
      <spiffworkflow:property name="caseState" value="待转出区县复核" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f_fc_pass</bpmn:incoming><bpmn:outgoing>f_leader</bpmn:outgoing></bpmn:userTask>
    <bpmn:exclusiveGateway id="gw_leader" default="f_leader_fail"><bpmn:incoming>f_leader</bpmn:incoming>
      <bpmn:outgoing>f_leader_pass</bpmn:outgoing><bpmn:outgoing>f_leader_fail</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f_leader" sourceRef="leader_review" targetRef="gw_leader" />
    <bpmn:sequenceFlow id="f_leader_pass" sourceRef="gw_leader" targetRef="gw_city_needed">
      <bpmn:conditionExpression>decision == "通过"</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_leader_fail" sourceRef="gw_leader" targetRef="end_from_county_rejected" />
    <bpmn:sequenceFlow id="f_start\"""",
    )
)


def test_a_transfer_diagram_with_an_extra_review_step_published_through_the_web(
    login_as, flows, user, student_of, session, clock
):
    """Issue acceptance: publish a changed transfer diagram through the web layer; a new case follows it, a case
    started before stays on the old version until it is bulk-migrated, and then follows the new step too."""
    receiving = user("nanming-xx-registrar")
    to_class = session.scalars(
        select(SchoolClass).join(SchoolClass.cohort).where(SchoolClass.cohort.has(school_id=receiving.org_id))
    ).first()

    def start_transfer():
        return flows(
            "transfer_in_province",
            student=student_of("nanming-cz-registrar"),
            by=receiving,
            to_school_id=receiving.org_id,
            to_class_id=str(to_class.id),
            cause="房产变更",
            reason="家庭搬迁",
        )

    old_case = start_transfer()
    assert old_case.state == "待转出学校审核"

    client = login_as(POLICY)
    response = client.post(
        "/processes/transfer_in_province/drafts",
        data={"version_no": "1", "file": (io.BytesIO(TRANSFER_EXTRA_STEP.encode()), "transfer_in_province.bpmn")},
        content_type="multipart/form-data",
    )
    draft = draft_id(response)
    page = client.get(f"/processes/transfer_in_province/drafts/{draft}").get_data(as_text=True)
    assert "校验通过" in page
    client.post(f"/processes/transfer_in_province/drafts/{draft}/scenarios")
    published = client.post(
        f"/processes/transfer_in_province/drafts/{draft}/publish",
        data={"note": "转出区县增加复核"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "已发布第2版" in published

    new_case = start_transfer()
    assert new_case.case.version.version_no == 2
    new_case.submit("from_school_review", by=user("nanming-cz-registrar"), decision="通过")
    new_case.submit("from_county_review", by=user("nanming-county"), decision="通过")
    assert new_case.state == "待转出区县复核"
    new_case.submit("leader_review", by=user("nanming-county"), decision="通过")
    assert new_case.state == "转出区县审核通过"

    assert old_case.case.version.version_no == 1
    result = client.post(
        "/processes/transfer_in_province/migrate", data={"from_version": "1"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "已迁移到第2版" in result
    session.expire_all()
    assert session.get(ProcessInstance, old_case.case.id).version.version_no == 2
    old_case.submit("from_school_review", by=user("nanming-cz-registrar"), decision="通过")
    old_case.submit("from_county_review", by=user("nanming-county"), decision="通过")
    assert old_case.state == "待转出区县复核"
