"""学前调档 and 数据核对转入 (F-10): a pull list per class waits under 待确认学前学籍, confirm-all opens 调档学生导出;
a staged record with 已通过校验 can be 转入学籍系统 (a 未查重 registration), another cannot."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from handlers import staged_intake as staged
from models.errors import DomainError
from models.org import Cohort, SchoolClass
from models.staged_intake import StagedSource, waiting_confirmation
from models.student import RegistrationState, StudentStatus
from webapp.demo_rows import valid_row

SCHOOL = "nanming-xx-registrar"
NOW = datetime(2026, 9, 10, 2, tzinfo=UTC)


def first_class(session, user) -> SchoolClass:
    return session.scalars(
        select(SchoolClass)
        .join(Cohort, Cohort.id == SchoolClass.cohort_id)
        .where(Cohort.school_id == user(SCHOOL).org_id)
        .order_by(Cohort.cohort_year.desc(), SchoolClass.class_no)
    ).first()


def test_a_pull_list_waits_for_confirmation_before_the_export(session, user):
    actor = user(SCHOOL)
    rows = [valid_row(300), valid_row(301, id_doc_type="其他", id_doc_number="")]
    staged.stage_pull_list(session, actor, first_class(session, user), rows)
    assert waiting_confirmation(session, actor.org_id) == 2
    with pytest.raises(DomainError, match="请先在「待确认学前学籍」中全部确认"):
        staged.pulled_for_export(session, actor)
    assert staged.confirm_all(session, actor) == 2
    exported = staged.pulled_for_export(session, actor)
    assert [r.data["name"] for r in exported] == [rows[0]["name"], rows[1]["name"]]


def test_a_pull_list_refuses_other_id_types(session, user):
    with pytest.raises(DomainError, match="第1行：身份证件类型须为「居民身份证」"):
        staged.stage_pull_list(session, user(SCHOOL), first_class(session, user), [valid_row(302, id_doc_type="护照")])


def test_only_a_record_that_passed_the_checks_moves_into_the_pipeline(session, user):
    actor = user(SCHOOL)
    staged.stage_data_source(session, actor, actor.org_id, [valid_row(303, current_address=""), valid_row(304)])
    incomplete, complete = sorted(
        (r for r in session.scalars(select(staged.StagedRecord).where(staged.StagedRecord.school_id == actor.org_id))),
        key=lambda r: r.id,
    )[-2:]
    assert complete.source == StagedSource.DATA_SOURCE
    assert staged.status(session, actor, incomplete, NOW) == staged.NOT_PASSED
    with pytest.raises(DomainError, match="未通过校验，数据不完整"):
        staged.move_into_registration(session, actor, incomplete.id, NOW)
    assert incomplete.student_id is None
    staged.correct(session, actor, incomplete.id, {"current_address": "贵州省贵阳市南明区花果园2号"})
    assert staged.status(session, actor, incomplete, NOW) == staged.PASSED
    student = staged.move_into_registration(session, actor, incomplete.id, NOW)
    assert student.status == StudentStatus.REGISTERING
    assert student.registration_state in (RegistrationState.DEDUP_PENDING, RegistrationState.DEDUP_OK)
    with pytest.raises(DomainError, match="已转入学籍系统"):
        staged.move_into_registration(session, actor, incomplete.id, NOW)


def _pull_list(rows: list[list[str]]) -> bytes:
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(list(staged.PULL_COLUMNS))
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_school_uploads_confirms_exports_and_moves_on_its_page(session, user, login_as, client):
    from io import BytesIO

    school_class = first_class(session, user)
    row = valid_row(305)
    cells = [row["name"], row["sex"], row["birth_date"], "居民身份证", row["id_doc_number"], school_class.class_no]
    login_as(SCHOOL)
    upload = {"action": "upload", "file": (BytesIO(_pull_list([cells])), "调档名单.xlsx")}
    client.post("/staged-intake/", data=upload, content_type="multipart/form-data")
    page = client.get("/staged-intake/").get_data(as_text=True)
    assert row["name"] in page and "待确认 1" in page and "调档学生导出" not in page
    assert client.get("/staged-intake/export").status_code == 302
    client.post("/staged-intake/", data={"action": "confirm"})
    export = client.get("/staged-intake/export")
    assert export.status_code == 200 and export.mimetype.endswith("spreadsheetml.sheet")
    page = client.get("/staged-intake/").get_data(as_text=True)
    assert staged.NOT_PASSED in page and "转入学籍系统</button>" not in page  # the pull list alone is incomplete
    wrong = {"action": "upload", "file": (BytesIO(b"not a workbook"), "x.xlsx")}
    client.post("/staged-intake/", data=wrong, content_type="multipart/form-data")
    assert "请上传学前调档名单模板" in client.get("/staged-intake/").get_data(as_text=True)


def _template_file(rows: list[dict]) -> bytes:
    """The 学生信息模板 (as another programme would export it), with these records."""
    from io import BytesIO

    from openpyxl import load_workbook

    from handlers import student_import
    from models.template_columns import COLUMNS

    book = load_workbook(BytesIO(student_import.template()))
    sheet = book.worksheets[0]
    for number, row in enumerate(rows, start=2):
        for column, spec in enumerate(COLUMNS, start=1):
            sheet.cell(row=number, column=column, value=row.get(spec.key, ""))
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _staged_names(session, school_id) -> list[str]:
    session.expire_all()
    rows = session.scalars(select(staged.StagedRecord).where(staged.StagedRecord.school_id == school_id))
    return [r.data.get("name") for r in rows]


def test_the_pull_list_template_is_the_b4_columns_with_the_schools_classes(session, user, login_as, client):
    from io import BytesIO

    from openpyxl import load_workbook

    login_as(SCHOOL)
    response = client.get("/staged-intake/template.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(BytesIO(response.data)).worksheets[0]
    assert [c.value for c in sheet[1]] == ["姓名", "性别", "出生日期", "身份证件类型", "身份证件号", "班号"]
    lists = {str(v.sqref)[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists["D"] == '"居民身份证,其他"' and lists["B"] == '"男,女"'
    assert first_class(session, user).class_no in lists["F"]
    # The template, filled in, is what the upload takes.
    school_class = first_class(session, user)
    row = valid_row(306)
    sheet.append([row["name"], row["sex"], row["birth_date"], "其他", "", school_class.class_no])
    buffer = BytesIO()
    sheet.parent.save(buffer)
    upload = {"action": "upload", "file": (BytesIO(buffer.getvalue()), "调档名单.xlsx")}
    client.post("/staged-intake/", data=upload, content_type="multipart/form-data")
    assert row["name"] in _staged_names(session, user(SCHOOL).org_id)


def test_a_data_source_file_is_staged_whole_or_refused_row_by_row(session, user, login_as, client):
    from io import BytesIO

    actor = user(SCHOOL)
    login_as(SCHOOL)
    assert "上传并检查" in client.get("/staged-intake/data-source").get_data(as_text=True)
    good, other_school, twin = valid_row(320), valid_row(321, school_code="5201029999"), valid_row(322)
    twin["id_doc_number"] = good["id_doc_number"]
    nameless = valid_row(323, name="")
    refused = client.post(
        "/staged-intake/data-source",
        data={"file": (BytesIO(_template_file([good, other_school, twin, nameless])), "营养改善计划.xlsx")},
        content_type="multipart/form-data",
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "文件未导入：共3处问题" in page and "本次未保存任何记录" in page
    assert "不是本校的学校标识码" in page and "与第2行的身份证件号相同" in page and "请填写姓名" in page
    assert good["name"] not in _staged_names(session, actor.org_id)  # nothing of a refused file
    for data, message in ((b"not a workbook", "文件不是有效的Excel"), (_template_file([]), "文件中没有学生数据")):
        answer = client.post(
            "/staged-intake/data-source", data={"file": (BytesIO(data), "x.xlsx")}, content_type="multipart/form-data"
        )
        assert answer.status_code == 422 and message in answer.get_data(as_text=True)
    accepted = client.post(
        "/staged-intake/data-source",
        data={"file": (BytesIO(_template_file([good, valid_row(324, current_address="")])), "营养改善计划.xlsx")},
        content_type="multipart/form-data",
    )
    assert accepted.status_code == 302
    assert "已上传2名学生" in client.get("/staged-intake/").get_data(as_text=True)
    assert {good["name"], valid_row(324)["name"]} <= set(_staged_names(session, actor.org_id))


def test_a_too_large_data_source_file_is_refused_unread(app, login_as, client):
    from io import BytesIO

    from werkzeug.datastructures import FileStorage

    from tests.test_security import multipart

    login_as(SCHOOL)
    big = {"file": FileStorage(BytesIO(b"0" * (app.config["MAX_CONTENT_LENGTH"] + 1)), "x.xlsx")}
    answer = client.post("/staged-intake/data-source", **multipart(big))
    assert answer.status_code == 413 and "上传的文件过大" in answer.get_data(as_text=True)


def test_the_teacher_corrects_a_record_on_its_page_until_it_passes_and_moves(session, user, login_as, client):
    actor = user(SCHOOL)
    incomplete = valid_row(330, current_address="")
    staged.stage_data_source(session, actor, actor.org_id, [incomplete])
    session.commit()
    row = max(
        session.scalars(select(staged.StagedRecord).where(staged.StagedRecord.school_id == actor.org_id)),
        key=lambda r: r.id,
    )
    login_as(SCHOOL)
    page = client.get(f"/staged-intake/{row.id}/correct").get_data(as_text=True)
    assert staged.NOT_PASSED in page and "现住址不能为空" in page and incomplete["name"] in page
    form = {key: value for key, value in incomplete.items() if key not in {"school_code", "grade"}}
    born = incomplete["birth_date"]
    form["birth_date"] = f"{born[:4]}-{born[4:6]}-{born[6:]}"
    form["entry_month"] = "2025-09"
    form["current_address"] = "贵州省贵阳市南明区花果园3号"
    saved = client.post(f"/staged-intake/{row.id}/correct", data=form)
    assert saved.status_code == 302
    page = client.get(saved.location).get_data(as_text=True)
    assert f"校验状态：<strong>{staged.PASSED}</strong>" in page
    session.expire_all()
    assert row.data["current_address"] == "贵州省贵阳市南明区花果园3号" and row.data["birth_date"] == born
    client.post("/staged-intake/", data={"action": "move", "staged_id": row.id})
    session.expire_all()
    assert row.student_id is not None
    # Once moved, the record is kept in the registration: a correction is refused and the typed values stay.
    form["current_address"] = "贵州省贵阳市南明区花果园4号"
    refused = client.post(f"/staged-intake/{row.id}/correct", data=form)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "该记录已转入学籍系统" in page and "花果园4号" in page
