"""参数设置 (F-51, F-53): the province edits them in pages, bad values are refused in Chinese and nothing is stored,
every change is audited, and each one changes what the rules do at once (same app, same process, no restart)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from handlers.graduation import deadline_warning
from models.attachment import store_upload
from models.audit import AuditEvent
from models.business_calendar import local_date, province_id_of
from models.errors import DomainError
from models.holidays import working_calendar
from models.settings import controlled_fields
from models.system_settings import SystemSetting, month_day, setting

PROVINCE = "guizhou-province"
SCHOOL = "nanming-xx-registrar"


def absent_since(session, school_days: int) -> str:
    calendar, today = working_calendar(session), local_date(datetime.now(UTC))
    first = today
    while calendar.school_days_between(first, today) < school_days:
        first -= timedelta(days=1)
    return first.isoformat()


def save(client, **values):
    return client.post("/settings/system", data=values)


def test_page_shows_seed_defaults_and_only_the_province_edits(login_as):
    page = login_as(PROVINCE).get("/settings/system").get_data(as_text=True)
    assert "疑似辍学" in page and 'value="3"' in page and 'value="07-30"' in page
    assert login_as("nanming-county").get("/settings/system").status_code == 403
    assert login_as(SCHOOL).post("/settings/system", data={"dropout_days": "9"}).status_code == 403


def test_bad_values_are_refused_and_nothing_is_stored(login_as, session, user):
    client = login_as(PROVINCE)
    response = save(client, dropout_suspect_days="4", dropout_days="abc")
    assert response.status_code == 422 and "「辍学：无故缺课上学日数」须为整数" in response.get_data(as_text=True)
    response = save(client, graduation_deadline="02-30")
    assert "不是有效的日期" in response.get_data(as_text=True)
    assert session.scalars(select(SystemSetting)).all() == []


def test_dropout_thresholds_apply_to_the_next_report(login_as, session, user, student_of, flows):
    student = student_of(SCHOOL)

    def report():
        return flows(
            "dropout",
            student=student,
            by=user(SCHOOL),
            first_absent_on=absent_since(session, 4),
            contact_attempts="电话三次未接通",
            unreachable="y",
        )

    assert save(login_as(PROVINCE), dropout_suspect_days="5").status_code == 302
    [entry] = session.scalars(select(AuditEvent).where(AuditEvent.action == "基本系统设置")).all()
    assert (entry.before, entry.after) == ({"dropout_suspect_days": 3}, {"dropout_suspect_days": 5})
    with pytest.raises(DomainError, match="未满5个上学日（目前4天）"):
        report()
    # (the refused start rolled the test's transaction back, the saved 5 with it: the seed 3 applies again)
    report()
    session.expire_all()
    assert student.suspected_dropout_since is not None


def test_death_deadline_days_change_the_late_entry_warning(login_as, session, user, student_of, flows, clock):
    clock.now = datetime(2026, 9, 30, 2, tzinfo=UTC)

    def report_death():
        student = student_of(SCHOOL)
        upload = store_upload(session, student_id=student.id, user=user(SCHOOL), filename="证明.pdf", data=b"%PDF-1")
        return flows(
            "status_change",
            student=student,
            by=user(SCHOOL),
            change_type="death",
            reason="溺水",
            death_date="2026-09-01",
            evidence="死亡证明",
            attachment_ids=str(upload.id),
        )

    late = report_death()
    assert late.case.summary["warning"] == "已超过死亡后10个工作日的办理期限（应于2026-09-15前办理）"
    assert save(login_as(PROVINCE), death_deadline_days="30").status_code == 302
    assert "warning" not in report_death().case.summary


def test_graduation_deadline_is_read_per_province(login_as, session, user):
    school_id = user(SCHOOL).org_id
    assert deadline_warning(date(2027, 7, 31), month_day(setting(session, school_id, "graduation_deadline")))
    assert save(login_as(PROVINCE), graduation_deadline="07-31").status_code == 302
    assert deadline_warning(date(2027, 7, 31), month_day(setting(session, school_id, "graduation_deadline"))) == ""
    beijing_school = user("dongcheng-xx-registrar").org_id
    assert setting(session, beijing_school, "graduation_deadline") == "07-30"  # another province keeps its own


def test_controlled_fields_decide_what_a_key_data_change_may_change(login_as, session, user, student_of, flows):
    student = student_of(SCHOOL)
    upload = store_upload(session, student_id=student.id, user=user(SCHOOL), filename="户口.pdf", data=b"%PDF-1")
    client = login_as(PROVINCE)
    assert "国籍/地区" in client.get("/settings/controlled-fields").get_data(as_text=True)
    refused = client.post("/settings/controlled-fields", data={})
    assert refused.status_code == 422 and "至少保留一个受控字段" in refused.get_data(as_text=True)
    keep = ["name", "sex", "birth_date", "ethnicity", "id_doc_type", "id_doc_number"]  # 国籍 no longer controlled
    data = {"field": keep, **{f"level_{f}": "county" for f in keep}, "level_name": "city"}
    assert client.post("/settings/controlled-fields", data=data).status_code == 302
    [entry] = session.scalars(select(AuditEvent).where(AuditEvent.action == "受控字段设置")).all()
    assert "nationality" in entry.before and "nationality" not in entry.after and entry.after["name"] == "city"
    case = flows(
        "key_data_change",
        student=student,
        by=user(SCHOOL),
        new_name="王改名",
        reason="改名",
        evidence_ids=str(upload.id),
    )
    case.submit("school_review", by=user("nanming-xx-reviewer"), decision="通过")
    case.submit("county_review", by=user("nanming-county"), decision="通过")
    assert case.state == "待市级审核"  # 姓名 is now approved by the city
    other = student_of(SCHOOL)
    proof = store_upload(session, student_id=other.id, user=user(SCHOOL), filename="户口.pdf", data=b"%PDF-1")
    with pytest.raises(DomainError, match="请至少填写一项"):  # 国籍 is not a key-data change any more
        flows(
            "key_data_change",
            student=other,
            by=user(SCHOOL),
            new_nationality="加拿大",
            reason="入籍",
            evidence_ids=str(proof.id),
        )


def test_change_type_attachments_and_enabling_apply_to_new_requests(login_as, session, user, student_of, flows):
    policy = login_as(PROVINCE)
    page = policy.get("/lifecycle/change-types").get_data(as_text=True)
    assert 'name="attachments"' in page
    data = {"code": "abroad", "enabled": "y", "school_review": "y", "window": "whole_year", "attachments": "护照复印件"}
    assert policy.post("/lifecycle/change-types", data=data).status_code == 302
    abroad = {"reason": "随父母出国", "destination_country": "新加坡", "keep_record": "是"}
    with pytest.raises(DomainError, match="须上传佐证材料：护照复印件"):
        flows("status_change", student=student_of(SCHOOL), by=user(SCHOOL), change_type="abroad", **abroad)
    data = {**data, "enabled": "", "attachments": ""}
    assert login_as(PROVINCE).post("/lifecycle/change-types", data=data).status_code == 302
    with pytest.raises(DomainError, match="未启用"):
        flows("status_change", student=student_of(SCHOOL), by=user(SCHOOL), change_type="abroad", **abroad)


def test_a_province_sets_only_its_own_controlled_fields(login_as, session, user):
    """F-51: the province owns its set; Beijing's choice leaves Guizhou's (and the page Guizhou sees) as it was."""
    guizhou = province_id_of(session, user(SCHOOL).org_id)
    beijing = province_id_of(session, user("dongcheng-xx-registrar").org_id)
    before = controlled_fields(session, guizhou)
    keep = ["name", "sex", "birth_date"]
    data = {"field": keep, **{f"level_{f}": "city" for f in keep}}
    assert login_as("beijing-province").post("/settings/controlled-fields", data=data).status_code == 302
    session.expire_all()
    assert controlled_fields(session, beijing) == {
        "name": ("姓名", "city"),
        "sex": ("性别", "city"),
        "birth_date": ("出生日期", "city"),
    }
    assert controlled_fields(session, guizhou) == before and "nationality" in before
    page = login_as(PROVINCE).get("/settings/controlled-fields").get_data(as_text=True)
    assert 'value="nationality" checked' in page
