"""The pages of the Beijing pack: 公文流转 drafting with several attachments (F-60) and 北京条件's quota, school
conditions and 特批 (F-65)."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from models.audit import AuditEvent
from models.document_flow import DocumentAttachment, DocumentRequest
from models.org import Cohort, School
from models.regional import GradeQuota, RegionalOverride, SchoolAdmissionProfile

COUNTY = "dongcheng-county"


def _files(*names: str, data: bytes = b"%PDF-1.4 x") -> list[tuple[io.BytesIO, str]]:
    return [(io.BytesIO(data), name) for name in names]


def _draft(client, files, **fields):
    data = {"category": "red_header", "doc_type": "新建学校", "student_name": "新建东城实验小学", "content": "附批文"}
    return client.post("/documents/new", data={**data, **fields, "files": files}, content_type="multipart/form-data")


def test_a_county_drafts_a_request_with_several_attachments_and_submits_it_from_the_inbox(
    login_as, client, session, user, clock
):
    clock.set(2027, 3, 10)
    login_as(COUNTY)
    assert "起草公文" in client.get("/documents/").get_data(as_text=True)
    response = _draft(client, _files("批文.pdf", "规划.pdf"))
    assert response.status_code == 302 and "/cases/" in response.location
    row = session.scalars(select(DocumentRequest).order_by(DocumentRequest.id.desc())).first()
    assert (row.status_label, len(row.attachments)) == ("草稿", 2)
    inbox = client.get("/").get_data(as_text=True)
    assert "区县申报" in inbox
    page = client.get(f"/documents/{row.id}").get_data(as_text=True)
    assert "批文.pdf" in page and "规划.pdf" in page
    download = client.get(f"/documents/{row.id}/attachments/{row.attachments[0].id}")
    assert download.data.startswith(b"%PDF")


def test_a_refused_draft_keeps_nothing(login_as, client, session, clock):
    login_as(COUNTY)
    before = session.scalar(select(func.count(DocumentAttachment.id)))
    clock.set(2027, 2, 10)
    response = _draft(client, _files("批文.pdf"))
    assert response.status_code == 422
    assert "红头文件申请只能在1月、3月、7月、9月提交" in response.get_data(as_text=True)
    clock.set(2027, 3, 10)
    response = _draft(client, _files("病毒.exe", data=b"MZ..."))
    assert response.status_code == 422 and "格式不支持" in response.get_data(as_text=True)
    assert session.scalar(select(func.count(DocumentAttachment.id))) == before
    assert session.scalar(select(func.count(DocumentRequest.id))) == 0


def test_the_county_sets_quota_and_conditions_and_grants_an_override(login_as, client, session, user, student_of):
    school = session.get(School, user("dongcheng-xx-registrar").org_id)
    cohort = session.scalars(select(Cohort).where(Cohort.school_id == school.org_id)).first()
    login_as(COUNTY)
    quota = {"school_code": school.school_code, "stage": cohort.stage.value, "cohort_year": str(cohort.cohort_year)}
    client.post("/regional/quota", data={**quota, "quota": "40"})
    assert session.get(GradeQuota, cohort.id).quota == 40
    client.post("/regional/profile", data={"school_code": school.school_code, "is_model_school": "1"})
    assert session.get(SchoolAdmissionProfile, school.org_id).is_model_school
    pupil = student_of("xicheng-xx-registrar")
    override = {"rule": "quota", "school_code": school.school_code, "national_student_id": pupil.national_student_id}
    refused = client.post("/regional/override", data={**override, "reason": ""}, follow_redirects=True)
    assert "特批须填写理由" in refused.get_data(as_text=True)
    client.post("/regional/override", data={**override, "reason": "随迁子女"})
    granted = session.scalars(select(RegionalOverride)).one()
    assert (granted.student_id, granted.reason) == (pupil.id, "随迁子女")
    page = client.get("/regional/").get_data(as_text=True)
    assert "随迁子女" in page and pupil.name not in page
    actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == user(COUNTY).id)))
    assert {"学籍总量设置", "学校接收条件设置", "地区限制特批"} <= actions
    other = client.post(
        "/regional/quota", data={**quota, "school_code": "1111111111", "quota": "1"}, follow_redirects=True
    )
    assert "本辖区没有学校标识码" in other.get_data(as_text=True)


def test_the_province_switches_the_pack_on_in_the_basic_settings(login_as, client, session, user):
    login_as("beijing-province")
    assert "地区限制规则包「北京条件」" in client.get("/settings/system").get_data(as_text=True)
    client.post("/settings/system", data={"beijing_rules": "是"})
    assert 'data-testid="pack-state">' in client.get("/regional/").get_data(as_text=True)
    assert "本省已启用" in client.get("/regional/").get_data(as_text=True)
    login_as("nanming-county")  # 贵州 keeps it off
    assert "本省未启用" in client.get("/regional/").get_data(as_text=True)
    login_as("beijing-province")
    refused = client.post("/settings/system", data={"beijing_rules": "也许"})
    assert refused.status_code == 422 and "须为“是”或“否”" in refused.get_data(as_text=True)
