"""The registration pages: manual entry, import with dry run and error report, review, 上报, 核办, switch."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from handlers import student_import
from models.student import RegistrationState, Student, StudentStatus
from tests.test_student_import import xlsx
from webapp.demo_rows import valid_row

SCHOOL = "nanming-xx-registrar"


def form_data(row):
    return {"business_type": "新生注册", **{k: v for k, v in row.items() if k != "school_code"}}


def test_manual_entry_saves_and_lists_the_registration(login_as, session):
    client = login_as(SCHOOL)
    page = client.get("/registration/new").get_data(as_text=True)
    assert "★姓名" in page and "<select" in page and "汉族" in page
    response = client.post("/registration/new", data=form_data(valid_row(5)))
    assert response.status_code == 302
    listing = client.get("/registration/").get_data(as_text=True)
    assert "测试己5" in listing and "查重无问题" in listing


def test_manual_entry_with_a_bad_checksum_shows_the_v02_message(login_as, session):
    client = login_as(SCHOOL)
    response = client.post("/registration/new", data=form_data(valid_row(5, id_doc_number="110101200001011234")))
    assert response.status_code == 422
    assert "身份证件号校验位错误（最后一位应为2）" in response.get_data(as_text=True)
    assert session.scalar(select(Student).where(Student.name == "测试己5")) is None


def test_import_dry_run_then_commit_then_review_submit_and_county_approval(app, login_as, session):
    client = login_as(SCHOOL)
    template = client.get("/registration/template.xlsx")
    assert template.status_code == 200 and load_workbook(io.BytesIO(template.data))["学生信息"]["A1"].value
    assert template.headers["Content-Disposition"].encode("latin-1")  # a real server sends latin-1 headers only
    upload = {
        "business_type": "新生注册",
        "action": "检查",
        "file": (io.BytesIO(xlsx([valid_row(n) for n in range(3)])), "a.xlsx"),
    }
    page = client.post("/registration/import", data=upload, content_type="multipart/form-data", follow_redirects=True)
    assert page.status_code == 200 and "检查通过" in page.get_data(as_text=True)
    assert page.request.path.startswith("/jobs/")  # the check ran as a job; its page shows the result
    token = page.get_data(as_text=True).split('name="token" value="')[1].split('"')[0]
    folder = Path(app.config["IMPORT_DIR"])
    assert [p.suffix for p in sorted(folder.glob(f"*-{token}.*"))] == [".validated", ".xlsx"]
    confirm = {"token": token, "business_type": "新生注册", "action": "确认导入"}
    done = client.post("/registration/import", data=confirm, follow_redirects=True)
    assert "导入成功：3人" in done.get_data(as_text=True)
    again = client.post("/registration/import", data=confirm, follow_redirects=True)  # a second confirm: same job
    assert again.request.path == done.request.path
    assert list(folder.glob(f"*-{token}.*")) == []  # imported: the upload and its dry run are gone
    students = session.scalars(select(Student).where(Student.name.startswith("测试"))).all()
    ids = [str(s.id) for s in students]
    assert len(ids) == 3
    client.post("/registration/review", data={"student_id": ids, "action": "审核", "comment": "已核对"})
    client.post("/registration/review", data={"student_id": ids, "action": "上报"})
    session.expire_all()
    assert {s.registration_state for s in students} == {RegistrationState.SUBMITTED}
    county = login_as("nanming-county")
    assert "测试甲0" in county.get("/registration/authority").get_data(as_text=True)
    county.post("/registration/authority", data={"student_id": ids, "decision": "通过"})
    session.expire_all()
    assert {s.status for s in students} == {StudentStatus.IN_SCHOOL}
    assert all(s.national_student_id.startswith("L520102") for s in students)


def test_a_bad_import_lists_errors_and_offers_the_failed_rows(login_as, session):
    client = login_as(SCHOOL)
    rows = [valid_row(n) for n in range(3)]
    rows[2]["distance_km"] = "1.25"
    upload = {"business_type": "新生注册", "action": "确认导入", "file": (io.BytesIO(xlsx(rows)), "a.xlsx")}
    page = client.post("/registration/import", data=upload, content_type="multipart/form-data", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "导入失败，未导入任何数据" in text and "上下学距离" in text
    token = text.split("/registration/import/")[1].split("/errors.xlsx")[0]
    report = client.post(f"/registration/import/{token}/errors.xlsx", data={"business_type": "新生注册"})
    lines = list(load_workbook(io.BytesIO(report.data)).active.iter_rows(values_only=True))
    assert lines[1][-4:] == ("4", "上下学距离", "V-08", "上下学距离应为不小于0的数字，最多保留一位小数")
    assert session.scalar(select(Student).where(Student.name.startswith("测试"))) is None


def test_the_failed_rows_keep_their_cells_when_only_the_database_checks_failed(login_as, monkeypatch):
    """A file whose rows pass every rule of their own but repeat each other (V-17) after a kept dry run."""
    client = login_as(SCHOOL)
    twice = valid_row(0)
    upload = {
        "business_type": "新生注册",
        "action": "检查",
        "file": (io.BytesIO(xlsx([twice, valid_row(1), twice])), "a.xlsx"),
    }
    text = client.post(
        "/registration/import", data=upload, content_type="multipart/form-data", follow_redirects=True
    ).get_data(as_text=True)
    token = text.split("/registration/import/")[1].split("/errors.xlsx")[0]

    def no_second_check(*args, **kwargs):
        raise AssertionError("the download checked the file again: the job wrote its workbook")

    monkeypatch.setattr(student_import, "dry_run", no_second_check)
    report = client.post(f"/registration/import/{token}/errors.xlsx", data={"business_type": "新生注册"})
    [header, line] = list(load_workbook(io.BytesIO(report.data)).active.iter_rows(values_only=True))
    assert (line[1], line[-2]) == (twice["name"], "V-17")


def test_another_user_cannot_read_an_upload(login_as):
    client = login_as(SCHOOL)
    bad = xlsx([valid_row(0, sex="")])
    upload = {"business_type": "新生注册", "action": "检查", "file": (io.BytesIO(bad), "a.xlsx")}
    text = client.post(
        "/registration/import", data=upload, content_type="multipart/form-data", follow_redirects=True
    ).get_data(as_text=True)
    assert "检查未通过" in text
    token = text.split("/registration/import/")[1].split("/errors.xlsx")[0]
    other = login_as("yunyan-xx-registrar")
    assert other.post(f"/registration/import/{token}/errors.xlsx", data={}).status_code == 404


def test_uploads_older_than_a_day_are_swept_when_the_next_one_arrives(app, login_as):
    folder = Path(app.config["IMPORT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    stale, fresh = folder / "1-abandoned.xlsx", folder / "1-yesterdays-evening.xlsx"
    for path in (stale, fresh):
        path.write_bytes(b"old upload")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(stale, (two_days_ago, two_days_ago))
    client = login_as(SCHOOL)
    upload = {"business_type": "新生注册", "action": "检查", "file": (io.BytesIO(b"junk"), "a.xlsx")}
    client.post("/registration/import", data=upload, content_type="multipart/form-data", follow_redirects=True)
    assert not stale.exists() and fresh.exists()


def test_pages_need_the_right_role(login_as):
    assert login_as("nanming-county").get("/registration/new").status_code == 403
    assert login_as(SCHOOL).get("/registration/authority").status_code == 403
    assert login_as(SCHOOL).get("/registration/opening").status_code == 403


def test_province_opens_in_school_registration_for_a_school(login_as, session, user):
    client = login_as("guizhou-province")
    school = user(SCHOOL).org
    assert client.post("/registration/opening", data={"org_id": school.id, "until": "2099-12-31"}).status_code == 302
    registrar = login_as(SCHOOL)
    data = {**form_data(valid_row(7)), "business_type": "在校生注册"}
    assert registrar.post("/registration/new", data=data).status_code == 302


def test_a_duplicate_at_entry_opens_a_problem_case_at_once_and_evidence_is_uploaded(login_as, session, student_of):
    from models.attachment import Attachment
    from models.workflow import InboxTask, ProcessInstance

    existing = student_of("yunyan-xx-registrar")
    client = login_as(SCHOOL)
    row = valid_row(
        8, id_doc_number=existing.id_doc_number, birth_date=f"{existing.birth_date:%Y%m%d}", sex=existing.sex_label
    )
    assert client.post("/registration/new", data=form_data(row)).status_code == 302
    new = session.scalars(select(Student).where(Student.name == "测试壬8")).one()
    case = session.scalars(select(ProcessInstance).where(ProcessInstance.student_id == new.id)).one()
    assert (case.process_key, case.state_label, new.problem_type) == ("problem_record", "待处理", "2")
    assert "查重有问题" in client.get("/registration/").get_data(as_text=True)
    task = session.scalars(
        select(InboxTask).where(InboxTask.instance_id == case.id, InboxTask.bpmn_id == "a_action")
    ).one()
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and "evidence_files" in page
    assert "云岩第一小学 · 未处理 · 在校" in page  # the other side's state, read-only
    refused = client.post(
        f"/tasks/{task.id}",
        data={"action": "佐证", "statement": "无误", "evidence_files": (io.BytesIO(b"MZ..exe"), "a.exe")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 302
    assert "附件「a.exe」格式不支持" in client.get(f"/tasks/{task.id}").get_data(as_text=True)
    done = client.post(
        f"/tasks/{task.id}",
        data={"action": "佐证", "statement": "无误", "evidence_files": (io.BytesIO(b"\xff\xd8\xff\xe0jpeg"), "hk.jpg")},
        content_type="multipart/form-data",
    )
    assert done.status_code == 302
    session.expire_all()
    [proof] = session.scalars(select(Attachment).where(Attachment.instance_id == case.id)).all()
    assert (proof.filename, proof.student_id, proof.content_type) == ("hk.jpg", new.id, "image/jpeg")
    assert session.get(Student, new.id).problem_state == "佐证待核办"
    listing = login_as("nanming-county").get("/registration/problems").get_data(as_text=True)
    assert "佐证待核办" in listing and new.name in listing


def test_key_data_change_is_started_with_proof_from_the_student_page(login_as, session, student_of):
    from models.workflow import ProcessInstance
    from webapp.demo_rows import id_number

    student = student_of(SCHOOL)
    client = login_as(SCHOOL)
    page = client.get(f"/students/{student.id}").get_data(as_text=True)
    assert "申请关键数据变更" in page
    form_page = client.get(f"/students/{student.id}/start/key_data_change").get_data(as_text=True)
    assert "evidence_files" in form_page
    without_proof = client.post(
        f"/students/{student.id}/start/key_data_change", data={"new_name": "新名字", "reason": "改名"}
    )
    assert without_proof.status_code == 422 and "须上传证明材料" in without_proof.get_data(as_text=True)
    number = id_number(student.birth_date, male=student.sex == "1", seq=490)
    done = client.post(
        f"/students/{student.id}/start/key_data_change",
        data={"new_id_doc_number": number, "reason": "更正", "evidence_files": (io.BytesIO(b"%PDF-1.4"), "p.pdf")},
        content_type="multipart/form-data",
    )
    assert done.status_code == 302
    case = session.scalars(select(ProcessInstance).where(ProcessInstance.process_key == "key_data_change")).one()
    assert case.state_label == "待学校审核"


def test_province_wide_lookup_tells_registered_or_not_and_nothing_more(login_as, student_of):
    other = student_of("meitan-gz-registrar")  # another city of the same province
    client = login_as(SCHOOL)
    found = client.post("/registration/lookup", data={"name": other.name, "id_doc_number": other.id_doc_number})
    text = found.get_data(as_text=True)
    assert f"已注册：{other.school.name}，学籍状态：在校" in text and other.guardians[0].name not in text
    missing = client.post("/registration/lookup", data={"name": "不存在", "id_doc_number": other.id_doc_number})
    assert "未注册" in missing.get_data(as_text=True)


def test_national_officer_issues_g_numbers_from_the_page(login_as):
    client = login_as("national")
    assert "批量发放" in client.get("/registration/g-numbers").get_data(as_text=True)
    assert client.post("/registration/g-numbers").status_code == 302


def test_proof_is_listed_on_the_case_and_readable_only_within_jurisdiction(login_as, session, student_of):
    from models.attachment import Attachment
    from models.workflow import ProcessInstance
    from webapp.demo_rows import id_number

    student = student_of(SCHOOL)
    client = login_as(SCHOOL)
    number = id_number(student.birth_date, male=student.sex == "1", seq=491)
    client.post(
        f"/students/{student.id}/start/key_data_change",
        data={"new_id_doc_number": number, "reason": "更正", "evidence_files": (io.BytesIO(b"%PDF-1.4 x"), "p.pdf")},
        content_type="multipart/form-data",
    )
    case = session.scalars(select(ProcessInstance).where(ProcessInstance.process_key == "key_data_change")).one()
    proof = session.scalars(select(Attachment).where(Attachment.instance_id == case.id)).one()
    county = login_as("nanming-county")
    assert "p.pdf" in county.get(f"/cases/{case.id}").get_data(as_text=True)
    got = county.get(f"/cases/{case.id}/attachments/{proof.id}")
    assert got.status_code == 200 and got.data == b"%PDF-1.4 x" and got.mimetype == "application/pdf"
    assert login_as("yunyan-county").get(f"/cases/{case.id}/attachments/{proof.id}").status_code == 404


def test_the_commit_request_reuses_the_dry_run_of_the_same_upload(login_as, session, monkeypatch):
    from handlers import student_import

    client = login_as(SCHOOL)
    upload = {
        "business_type": "新生注册",
        "action": "检查",
        "file": (io.BytesIO(xlsx([valid_row(n) for n in range(2)])), "a.xlsx"),
    }
    page = client.post("/registration/import", data=upload, content_type="multipart/form-data", follow_redirects=True)
    assert page.status_code == 200
    token = page.get_data(as_text=True).split('name="token" value="')[1].split('"')[0]

    def no_second_validation(*args, **kwargs):
        raise AssertionError("the commit validated the rows again")

    monkeypatch.setattr(student_import, "validate_columns", no_second_validation)
    done = client.post("/registration/import", data={"token": token, "business_type": "新生注册", "action": "确认导入"})
    assert done.status_code == 302
    assert len(session.scalars(select(Student).where(Student.name.startswith("测试"))).all()) == 2


def test_an_import_may_be_larger_than_other_uploads(app, login_as):
    """100,000 rows are some 20 MB: the import takes files beyond the 4 MB every other upload is held to."""
    client = login_as(SCHOOL)
    big = b"PK" + b"\0" * (app.config["MAX_CONTENT_LENGTH"] + 1024)
    upload = {"business_type": "新生注册", "action": "检查", "file": (io.BytesIO(big), "a.xlsx")}
    page = client.post("/registration/import", data=upload, content_type="multipart/form-data", follow_redirects=True)
    assert page.status_code == 200 and "不是有效的Excel" in page.get_data(as_text=True)
