"""Every read of personal data is logged (issue 22 item 2), the audit trail and the access log are chained so that
a changed or removed row is found (item 3), and exports carry who and when (item 6)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from models import seals
from models.access_log import AccessLog
from models.audit import AuditEvent, AuditRowImmutable
from models.student import Student

SCHOOL = "nanming-xx-registrar"
COUNTY = "nanming-county"


def logs(session, student_id=None, page=None):
    session.expire_all()
    query = select(AccessLog)
    if student_id is not None:
        query = query.where(AccessLog.student_id == student_id)
    if page is not None:
        query = query.where(AccessLog.page == page)
    return session.scalars(query.order_by(AccessLog.id)).all()


def test_the_student_page_search_and_case_page_log_who_saw_whom(login_as, session, student_of, user):
    student = student_of(SCHOOL)
    client = login_as(COUNTY)
    assert client.get(f"/students/{student.id}").status_code == 200
    [row] = logs(session, student.id, "学生信息")
    assert (row.user_id, row.org_id, row.address) == (user(COUNTY).id, user(COUNTY).org_id, "127.0.0.1")
    client.get("/students/", query_string={"q": student.name})
    assert logs(session, student.id, "学生查询")
    # A refused page shows nothing, and logs nothing.
    outsider = login_as("dongcheng-county")
    assert outsider.get(f"/students/{student.id}").status_code == 404
    assert all(r.user_id != user("dongcheng-county").id for r in logs(session, student.id))


def test_who_looked_at_this_student_for_the_authority(login_as, session, student_of):
    student = student_of(SCHOOL)
    login_as(SCHOOL).get(f"/students/{student.id}")
    page = login_as(COUNTY).get(f"/access-log/students/{student.id}").get_data(as_text=True)
    assert "南明第一小学学籍管理员" in page and "学生信息" in page
    assert login_as(SCHOOL).get(f"/access-log/students/{student.id}").status_code == 403
    assert login_as("dongcheng-county").get(f"/access-log/students/{student.id}").status_code == 404


def test_access_log_rows_cannot_be_changed_through_the_application(login_as, session, student_of):
    student = student_of(SCHOOL)
    login_as(COUNTY).get(f"/students/{student.id}")
    row = logs(session, student.id)[0]
    row.page = "改写"
    with pytest.raises(AuditRowImmutable):
        session.flush()
    session.rollback()


def test_an_export_carries_its_watermark_and_a_log_row(login_as, session):
    client = login_as(COUNTY)
    response = client.get("/lifecycle/graduates", query_string={"format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert "南明区学籍主管" in sheet.oddHeader.center.text and "导出" in sheet.oddFooter.center.text
    [row] = logs(session, page="导出：毕业生查询")
    assert row.student_id is None and row.rows >= 0


def _tamper(session, sql: str, table: str) -> None:
    """What someone with database rights could do behind the application: switch the guard off, change a row."""
    if session.bind.dialect.name == "postgresql":
        session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))
        session.execute(text(sql))
        session.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only"))
    else:
        for verb in ("update", "delete"):
            session.execute(text(f"DROP TRIGGER {table}_no_{verb}"))
        session.execute(text(sql))


@pytest.mark.parametrize(
    ("sql", "what"),
    [
        ('UPDATE audit_event SET after = \'{"status": "in_school"}\' WHERE id = :id', "被修改"),
        ("DELETE FROM audit_event WHERE id = :id", "被删除"),
    ],
)
def test_the_chain_names_the_first_changed_or_removed_audit_row(session, flows, user, student_of, sql, what):
    case = flows("mistaken_deletion", student=student_of(SCHOOL), by=user(SCHOOL), reason="重复")
    case.submit("county_review", by=user(COUNTY), decision="删除")
    assert seals.seal(session, "audit_event") > 0
    assert seals.verify(session, "audit_event") is None
    target = session.scalars(select(AuditEvent.id).where(AuditEvent.action == "误操作删除")).one()
    _tamper(session, sql.replace(":id", str(target)), "audit_event")
    session.expire_all()
    broken = seals.verify(session, "audit_event")
    assert broken is not None and (broken.row_id, broken.what) == (target, what)
    assert f"第 {target} 条记录{what}" in broken.message


def test_the_verify_page_and_command(login_as, session, app):
    page = login_as("guizhou-province").get("/access-log/verify").get_data(as_text=True)
    assert "操作日志：完整" in page and "访问日志：完整" in page
    result = app.test_cli_runner().invoke(args=["xueji", "audit-verify"])
    assert result.exit_code == 0 and "完整" in result.output
    assert session.scalar(select(Student.id)) is not None


def test_exports_mask_id_numbers_unless_a_role_that_may_gives_a_reason(login_as, session, graduates):
    """Issue 22 item 6: the 学籍号 (G + the ID number) of an export is masked; a county officer who asks for full
    values and says why gets them, and the reason is in the log; a school user asking gets masked values."""
    number = graduates[0].national_student_id

    def column(client, **args):
        response = client.get("/lifecycle/graduates", query_string={"format": "xlsx", **args})
        sheet = load_workbook(io.BytesIO(response.data)).active
        assert "导出" in sheet.oddFooter.center.text
        return {row[2] for row in sheet.iter_rows(min_row=2, values_only=True)}

    county = login_as("nanming-county")
    plain = column(county)
    assert number not in plain and f"{number[:6]}*********{number[-4:]}" in plain
    assert number not in column(county, full="1")  # no reason given: masked still
    assert number in column(county, full="1", purpose="核对毕业证书")
    rows = logs(session, page="导出：毕业生查询")
    assert [r.purpose for r in rows] == ["", "", "完整证件号：核对毕业证书"] and rows[-1].rows == len(plain)
    school = login_as("nanming-cz-registrar")
    assert number not in column(school, full="1", purpose="想看")  # the role may not
