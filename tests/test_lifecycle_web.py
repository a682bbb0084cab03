"""The lifecycle pages: pending business and cleanup, graduation, rejection, promotion, queries and xlsx export."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from models.org import Cohort
from models.student import Student, StudentStatus
from models.workflow import CaseStatus, ProcessInstance
from webapp.xlsx import safe_cell

SCHOOL = "nanming-cz-registrar"
COUNTY = "nanming-county"


def final_class(session, user):
    cohort = session.scalars(
        select(Cohort).where(Cohort.school_id == user(SCHOOL).org_id).order_by(Cohort.cohort_year)
    ).first()
    return cohort.classes[0]


def start_case(client, student_id):
    response = client.post(
        f"/students/{student_id}/start/status_change",
        data={"change_type": "other_departure", "reason": "随父母外出"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.location.rsplit("/", 1)[1])


def sheet_rows(response):
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(BytesIO(response.data))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_a_class_with_a_pending_case_is_refused_then_graduates_after_county_cleanup(login_as, session, user):
    school_class = final_class(session, user)
    pupil = session.scalars(select(Student).where(Student.class_id == school_class.id).order_by(Student.id)).first()
    client = login_as(SCHOOL)
    case_id = start_case(client, pupil.id)
    page = client.post("/lifecycle/graduation", data={"class_id": school_class.id}, follow_redirects=True)
    assert f"以下学生有在办业务，须办结或清理后才能毕业：{pupil.name}" in page.get_data(as_text=True)

    county = login_as(COUNTY)
    pending = county.get("/lifecycle/pending").get_data(as_text=True)
    assert pupil.name in pending and "学籍异动（其他离校）" in pending and 'data-testid="cleanup"' in pending
    assert county.post(f"/lifecycle/pending/{case_id}/cleanup", data={"reason": "毕业前清理"}).status_code == 302
    assert session.get(ProcessInstance, case_id).status == CaseStatus.CANCELLED

    client = login_as(SCHOOL)
    page = client.post("/lifecycle/graduation", data={"class_id": school_class.id}, follow_redirects=True)
    assert "2 名学生已毕业" in page.get_data(as_text=True)
    session.expire_all()
    assert session.get(Student, pupil.id).status == StudentStatus.GRADUATED


def test_graduating_with_nothing_ticked_is_confirmed_with_the_class_count_and_said_so(login_as, session, user):
    """毕业 with no student ticked graduates the whole class (the page's design): the button asks first, naming
    the count, and the result says 全班; ticked students graduate alone."""
    school_class = final_class(session, user)
    pupils = session.scalars(select(Student).where(Student.class_id == school_class.id).order_by(Student.id)).all()
    client = login_as(SCHOOL)
    page = client.get("/lifecycle/graduation").get_data(as_text=True)
    confirm = f'data-confirm-none="未勾选学生：{school_class.name}全班 {len(pupils)} 名学生将毕业，确定吗？"'
    assert confirm in page and "select_all.js" in page and 'data-select-all="student_id"' in page
    ticked = {"class_id": school_class.id, "student_id": [str(pupils[0].id)]}
    page = client.post("/lifecycle/graduation", data=ticked, follow_redirects=True).get_data(as_text=True)
    assert f"{school_class.name}：1 名学生已毕业" in page
    page = client.post("/lifecycle/graduation", data={"class_id": school_class.id}, follow_redirects=True)
    assert f"{school_class.name}：全班 {len(pupils) - 1} 名学生已毕业" in page.get_data(as_text=True)


def test_outsiders_cannot_see_or_clean_pending_business(login_as, session, user):
    pupil = session.scalars(select(Student).where(Student.school_id == user(SCHOOL).org_id)).first()
    case_id = start_case(login_as(SCHOOL), pupil.id)
    other = login_as("yunyan-county")
    assert "共 0 条" in other.get("/lifecycle/pending").get_data(as_text=True)
    assert other.post(f"/lifecycle/pending/{case_id}/cleanup", data={"reason": "x"}).status_code == 404
    assert login_as("nanming-xx-registrar").post(f"/lifecycle/pending/{case_id}/cleanup").status_code == 404
    assert session.get(ProcessInstance, case_id).status == CaseStatus.OPEN


def test_county_rejects_a_graduate_and_it_appears_in_the_rejected_query_and_exports(login_as, session, user):
    school_class = final_class(session, user)
    pupils = session.scalars(select(Student).where(Student.class_id == school_class.id).order_by(Student.id)).all()
    pupils[0].name = "=HYPERLINK(1)"
    session.flush()
    login_as(SCHOOL).post("/lifecycle/graduation", data={"class_id": school_class.id})
    county = login_as(COUNTY)
    rows = sheet_rows(county.get("/lifecycle/graduates?format=xlsx"))
    assert rows[0][:3] == ["姓名", "性别", "学籍号"]
    assert ["'=HYPERLINK(1)"] == [r[0] for r in rows if r[0].startswith("'")]
    response = county.post("/lifecycle/graduates/reject", data={"student_id": [pupils[1].id], "reason": "姓名有误"})
    assert response.status_code == 302
    rejected = county.get("/lifecycle/graduates/rejected").get_data(as_text=True)
    assert pupils[1].name in rejected and "姓名有误" in rejected
    assert sheet_rows(county.get("/lifecycle/graduates/rejected?format=xlsx"))[1][0] == pupils[1].name
    assert login_as(SCHOOL).post("/lifecycle/graduates/reject", data={"student_id": [pupils[0].id]}).status_code == 403


def test_status_change_query_filters_by_type_and_exports(login_as, session, user):
    pupil = session.scalars(select(Student).where(Student.school_id == user(SCHOOL).org_id)).first()
    start_case(login_as(SCHOOL), pupil.id)
    county = login_as(COUNTY)
    assert pupil.name in county.get("/lifecycle/status-changes?change_type=other_departure").get_data(as_text=True)
    assert "共 0 条" in county.get("/lifecycle/status-changes?change_type=suspension").get_data(as_text=True)
    rows = sheet_rows(county.get("/lifecycle/status-changes?format=xlsx"))
    assert rows[1][1:3] == ["其他离校", pupil.name]


def test_province_sets_the_promotion_moment_and_others_may_not(login_as):
    province = login_as("guizhou-province")
    response = province.post("/lifecycle/promotion", data={"promote_at": "2027-08-10T23:59"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "升级时间已设为 2027-08-10 23:59" in page and "待升级" in page
    assert login_as(COUNTY).get("/lifecycle/promotion").status_code == 403


def test_dropout_counts_page(login_as):
    assert login_as(COUNTY).get("/lifecycle/dropouts").status_code == 200


def test_formula_cells_are_escaped():
    assert [safe_cell(v) for v in ("=1+1", "+1", "-1", "@x", "张三", 5)] == ["'=1+1", "'+1", "'-1", "'@x", "张三", 5]


def test_a_suspension_request_uploads_its_evidence_file(login_as, session, user):
    from io import BytesIO as Buffer

    from models.attachment import Attachment

    pupil = session.scalars(select(Student).where(Student.school_id == user(SCHOOL).org_id)).first()
    client = login_as(SCHOOL)
    form = client.get(f"/students/{pupil.id}/start/status_change").get_data(as_text=True)
    assert 'data-testid="attachments"' in form and 'enctype="multipart/form-data"' in form
    data = {"change_type": "suspension", "reason": "因病休学", "attachments": (Buffer(b"%PDF-1.4"), "诊断证明.pdf")}
    missing = client.post(f"/students/{pupil.id}/start/status_change", data={**data, "attachments": []})
    assert missing.status_code == 302
    assert session.scalars(select(Attachment).where(Attachment.student_id == pupil.id)).all() == []
    response = client.post(f"/students/{pupil.id}/start/status_change", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    case_id = int(response.location.rsplit("/", 1)[1])
    [row] = session.scalars(select(Attachment).where(Attachment.instance_id == case_id)).all()
    assert (row.filename, row.content_type, row.size) == ("诊断证明.pdf", "application/pdf", 8)
    for name in ("virus.exe", "改了名的.pdf"):  # judged by the content, not by the name
        bad = {**data, "attachments": (Buffer(b"MZ\x90\x00"), name)}
        page = client.post(f"/students/{pupil.id}/start/status_change", data=bad, follow_redirects=True)
        assert f"附件「{name}」格式不支持" in page.get_data(as_text=True)
    assert session.scalars(select(Attachment).where(Attachment.student_id == pupil.id)).all() == [row]


def test_evidence_files_are_downloadable_within_jurisdiction_only(login_as, session, user):
    from io import BytesIO as Buffer

    pupil = session.scalars(select(Student).where(Student.school_id == user(SCHOOL).org_id)).first()
    client = login_as(SCHOOL)
    data = {"change_type": "suspension", "reason": "因病休学", "attachments": (Buffer(b"%PDF-1.4"), "a.pdf")}
    case_id = int(client.post(f"/students/{pupil.id}/start/status_change", data=data).location.rsplit("/", 1)[1])
    detail = login_as(COUNTY).get(f"/cases/{case_id}").get_data(as_text=True)
    [link] = [part.split('"')[0] for part in detail.split('href="')[1:] if "/attachments/" in part]
    assert login_as(COUNTY).get(link).data == b"%PDF-1.4"
    assert login_as("yunyan-county").get(link).status_code == 404


def test_beijing_profile_hides_abroad_and_offers_it_as_a_suspension_reason(login_as, session, user):
    policy = login_as("guizhou-policy")
    assert "异动类型配置" in policy.get("/lifecycle/change-types").get_data(as_text=True)
    policy.post("/lifecycle/change-types", data={"code": "abroad", "school_review": "y", "window": "whole_year"})
    response = policy.post(
        "/lifecycle/change-types",
        data={
            "code": "suspension",
            "enabled": "y",
            "school_review": "y",
            "window": "whole_year",
            "reasons": "因病休学，因事休学,出国",
        },
        follow_redirects=True,
    )
    assert "对新申请生效" in response.get_data(as_text=True)
    pupil = session.scalars(select(Student).where(Student.school_id == user(SCHOOL).org_id)).first()
    form = login_as(SCHOOL).get(f"/students/{pupil.id}/start/status_change").get_data(as_text=True)
    assert '<option value="abroad">' not in form and '<option value="suspension">休学</option>' in form
    assert "是否保留学籍" in form
    from models.lifecycle import ChangeCode, StatusChangeType

    assert session.get(StatusChangeType, ChangeCode.SUSPENSION).reasons == ["因病休学", "因事休学", "出国"]
    assert login_as(COUNTY).get("/lifecycle/change-types").status_code == 403


def test_a_senior_class_applies_and_the_county_approves_in_its_inbox(login_as, session, user):
    senior = "nanming-gz-registrar"
    cohort = session.scalars(
        select(Cohort).where(Cohort.school_id == user(senior).org_id).order_by(Cohort.cohort_year)
    ).first()
    client = login_as(senior)
    assert "申请毕结业" in client.get("/lifecycle/graduation").get_data(as_text=True)
    page = client.post(
        "/lifecycle/graduation/senior",
        data={"class_id": cohort.classes[0].id, "outcome": "毕业"},
        follow_redirects=True,
    )
    assert "已为 2 名学生提交毕业申请" in page.get_data(as_text=True)
    inbox = login_as(COUNTY).get("/").get_data(as_text=True)
    assert inbox.count("高中毕业主管部门核办") >= 2


def test_every_lifecycle_query_is_empty_for_another_county(login_as, session, user):
    school_class = final_class(session, user)
    pupils = session.scalars(select(Student).where(Student.class_id == school_class.id).order_by(Student.id)).all()
    start_case(login_as(SCHOOL), pupils[0].id)
    login_as(SCHOOL).post("/lifecycle/graduation", data={"class_id": school_class.id, "student_id": [pupils[1].id]})
    login_as(COUNTY).post("/lifecycle/graduates/reject", data={"student_id": [pupils[1].id], "reason": "重办"})
    for url in ("/lifecycle/pending", "/lifecycle/status-changes", "/lifecycle/graduates/rejected"):
        assert "共 1 条" in login_as(COUNTY).get(url).get_data(as_text=True), url
        assert "共 0 条" in login_as("yunyan-county").get(url).get_data(as_text=True), url
        assert len(sheet_rows(login_as("yunyan-county").get(url + "?format=xlsx"))) == 1  # the header only


def test_the_tick_command_runs_a_due_promotion(app, session, user):
    from datetime import UTC, datetime

    from handlers import promotion
    from models.business_calendar import grade_year

    province = user("guizhou-province").org_id
    year = grade_year(session, province)
    promotion.schedule(
        session, user("guizhou-province"), province_id=province, promote_at=datetime(2000, 1, 1, tzinfo=UTC)
    )
    session.commit()
    result = app.test_cli_runner().invoke(args=["xueji", "tick"])
    assert "执行了 1 次升级" in result.output
    session.expire_all()
    assert grade_year(session, province) == year + 1


def test_school_edits_the_destination_of_its_graduates(login_as, session, user):
    school_class = final_class(session, user)
    client = login_as(SCHOOL)
    client.post("/lifecycle/graduation", data={"class_id": school_class.id})
    page = client.get("/lifecycle/graduates").get_data(as_text=True)
    assert 'data-testid="graduation-info"' in page
    pupil = session.scalars(select(Student).where(Student.class_id == school_class.id)).first()
    client.post(f"/lifecycle/graduates/{pupil.id}/info", data={"destination": "普通高中", "certificate_no": "G001"})
    session.expire_all()
    assert session.get(Student, pupil.id).graduation_destination == "普通高中"
    page = client.post(f"/lifecycle/graduates/{pupil.id}/info", data={"destination": "火星"}, follow_redirects=True)
    assert "毕业去向须为" in page.get_data(as_text=True)


def test_queries_filter_by_a_school_of_the_jurisdiction(login_as, session, user):
    pupil = session.scalars(select(Student).where(Student.school_id == user(SCHOOL).org_id)).first()
    start_case(login_as(SCHOOL), pupil.id)
    county = login_as(COUNTY)
    page = county.get("/lifecycle/pending").get_data(as_text=True)
    assert "南明第一小学</option>" in page and "云岩第一小学</option>" not in page
    assert "共 1 条" in county.get(f"/lifecycle/pending?school_id={user(SCHOOL).org_id}").get_data(as_text=True)
    other = user("nanming-xx-registrar").org_id
    assert "共 0 条" in county.get(f"/lifecycle/pending?school_id={other}").get_data(as_text=True)
