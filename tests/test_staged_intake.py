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
