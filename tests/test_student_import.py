"""F-08 学籍导入: the template, the dry run, the all-or-nothing commit and the corpus of bad files."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import xlsxwriter
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from handlers import student_import as imp
from models.base import utcnow
from models.org import School
from models.student import DedupStatus, RegistrationState, Student
from models.template_columns import COLUMNS
from webapp.demo_rows import valid_row

SCHOOL = "nanming-xx-registrar"


def xlsx(rows, headers=None, edit=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers or [("★" if c.required else "") + c.header for c in COLUMNS])
    for row in rows:
        ws.append([row.get(c.key, "") for c in COLUMNS])
    if edit:
        edit(ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def count(session):
    return lambda: session.scalar(select(func.count()).select_from(Student))


@pytest.fixture
def run(session, user):
    def do(data, *, commit=True, by=SCHOOL, business_type="新生注册"):
        call = imp.commit if commit else imp.dry_run
        result = call(session, actor=user(by), data=data, business_type=business_type, now=utcnow())
        return result if not commit else result[0]

    return do


def test_template_has_every_column_required_marks_and_dropdowns(session, user):
    school = session.get(School, user(SCHOOL).org_id)
    wb = load_workbook(io.BytesIO(imp.template(school)))
    ws = wb["学生信息"]
    headers = [c.value for c in ws[1]]
    assert len(headers) == 72
    assert headers[:3] == ["★学校标识码", "★姓名", "★性别"]
    assert "身份证件号" in headers and "★身份证件号" not in headers
    assert ws["A2"].value == school.school_code
    sources = {str(dv.sqref).split(":")[0][:-1]: dv.formula1 for dv in ws.data_validations.dataValidation}
    assert "'代码表'!$" in sources["C"]  # 性别
    assert wb["代码表"].sheet_state == "hidden"


def test_the_empty_template_reads_back_as_having_no_rows():
    rows, [problem] = imp.read(imp.template())
    assert rows == [] and problem.message == "文件中没有学生数据（从第2行开始填写）"


def test_a_clean_file_creates_one_registration_per_row(run, count, session):
    before = count()
    report = run(xlsx([valid_row(n) for n in range(30)]))
    assert report.ok and count() == before + 30
    students = session.scalars(select(Student).where(Student.name.startswith("测试"))).all()
    assert {s.registration_type for s in students} == {"新生注册"}
    assert {(s.registration_state, s.dedup_status) for s in students} == {(RegistrationState.DEDUP_OK, DedupStatus.OK)}


def test_a_workbook_saved_the_way_excel_saves_it_imports_too(run, count):
    """Excel and WPS write a shared-strings table and leave empty cells out; openpyxl (above) writes inline."""
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet("学生信息")
    ws.write_row(0, 0, [("★" if c.required else "") + c.header for c in COLUMNS])
    for n in range(3):
        row = valid_row(n)
        for col, column in enumerate(COLUMNS):
            if value := row.get(column.key):
                ws.write_string(n + 1, col, str(value))
    ws.write_number(3, COLUMNS.index(next(c for c in COLUMNS if c.key == "distance_km")), 2.5)
    wb.close()
    before = count()
    report = run(out.getvalue())
    assert report.ok, report.errors
    assert count() == before + 3
    assert report.records[2]["distance_km"] == "2.5"


def test_dry_run_writes_nothing(run, count):
    before = count()
    report = run(xlsx([valid_row(n) for n in range(3)]), commit=False)
    assert report.ok and count() == before


def test_reimporting_the_same_class_is_refused(run, count):
    data = xlsx([valid_row(n) for n in range(3)])
    assert run(data).ok
    before = count()
    report = run(data)
    assert not report.ok and count() == before
    assert {(e.row, e.rule) for e in report.errors} == {(2, "F-11"), (3, "F-11"), (4, "F-11")}


def messages(report):
    return [(e.row, e.column, e.rule, e.message) for e in report.errors]


BAD_ROWS = [
    ({"id_doc_number": "110101200001011234"}, "身份证件号", "V-02", "校验位错误"),
    ({"birth_date": "20190230"}, "出生日期", "V-01", "有效日期"),
    ({"sex": "男"}, "性别", "V-02", "性别与身份证件号不一致"),
    ({"distance_km": "1.25"}, "上下学距离", "V-08", "一位小数"),
    ({"ethnicity": "汉"}, "民族", "V-09", "不是允许的选项"),
    ({"school_code": "2152010301"}, "学校标识码", "V-21", "本校"),
    ({"class_no": "999"}, "班级号", "V-01", "没有班级号为999"),
]


@pytest.mark.parametrize(("change", "column", "rule", "text"), BAD_ROWS)
def test_one_bad_row_rejects_the_whole_file_with_a_row_level_message(run, count, change, column, rule, text):
    before = count()
    rows = [valid_row(n) for n in range(3)]
    rows[1].update(change)
    report = run(xlsx(rows))
    assert count() == before
    [(row, col, got_rule, message)] = messages(report)
    assert (row, col, got_rule) == (3, column, rule) and text in message


def test_duplicate_rows_in_one_file_are_v17(run, count):
    before = count()
    report = run(xlsx([valid_row(0), valid_row(1), valid_row(0)]))
    assert count() == before
    assert [(e.row, e.rule) for e in report.errors] == [(4, "V-17")]
    assert "第2行" in report.errors[0].message


def test_blank_rows_are_skipped_and_messages_keep_the_excel_row_numbers(run, count):
    before = count()
    bad = valid_row(2, distance_km="1.25")
    report = run(xlsx([valid_row(0), {}, {"name": "   "}, bad]))
    assert count() == before
    assert [(e.row, e.column, e.rule) for e in report.errors] == [(5, "上下学距离", "V-08")]
    failed = load_workbook(io.BytesIO(imp.error_workbook(report))).active
    assert failed.cell(row=2, column=2).value == bad["name"]


def test_missing_and_unknown_columns(run, count):
    headers = [c.header for c in COLUMNS]
    report = run(xlsx([valid_row(0)], headers=[h for h in headers if h != "民族"]))
    assert [e.message for e in report.errors] == ["缺少列：民族"]
    report = run(xlsx([valid_row(0)], headers=[*headers, "备注"]))
    assert [e.message for e in report.errors] == ["不是模板中的列：备注"]


def test_column_order_changed(run, count):
    headers = [c.header for c in COLUMNS]
    headers[1], headers[2] = headers[2], headers[1]
    before = count()
    report = run(xlsx([valid_row(0)], headers=headers))
    assert count() == before
    assert [e.message for e in report.errors] == ["列的顺序与模板不一致：第2列应为「姓名」，实际为「性别」"]


def test_merged_cells(run, count):
    before = count()
    report = run(xlsx([valid_row(0), valid_row(1)], edit=lambda ws: ws.merge_cells("F2:F3")))
    assert count() == before
    [error] = report.errors
    assert (error.row, error.column) == (2, "籍贯") and "合并单元格（F2:F3）" in error.message


def test_formula_cells_are_refused_and_never_exported_as_formulas(run, count):
    def put_formula(ws):
        ws["B2"] = '=HYPERLINK("http://evil.example","点我")'

    before = count()
    report = run(xlsx([valid_row(0)], edit=put_formula))
    assert count() == before
    [error] = report.errors
    assert (error.row, error.column) == (2, "姓名") and "公式" in error.message

    # A formula-looking text value is exported as text, never as a formula.
    def text_that_looks_like_a_formula(ws):
        ws["B2"].value = "=1+2"
        ws["B2"].data_type = "s"

    report = run(xlsx([valid_row(0, id_doc_number="bad")], edit=text_that_looks_like_a_formula), commit=False)
    assert {e.column for e in report.errors} == {"身份证件号"}
    wb = load_workbook(io.BytesIO(imp.error_workbook(report)))
    cell = wb.active["B2"]
    assert cell.value == "=1+2" and cell.data_type == "s"


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"", "不是有效的Excel"),
        (b"name,sex\n\xe5\xbc\xa0\xe4\xb8\x89,1\n", "不是有效的Excel"),
        (b"PK\x03\x04 not really a zip", "不是有效的Excel"),
    ],
)
def test_files_that_are_not_xlsx(run, count, data, text):
    before = count()
    report = run(data)
    assert count() == before
    [error] = report.errors
    assert text in error.message


def test_an_empty_workbook(run):
    wb = Workbook()
    out = io.BytesIO()
    wb.save(out)
    [error] = run(out.getvalue()).errors
    assert "文件是空的" in error.message


def test_ten_thousand_rows_with_one_bad_row(run, count, session):
    rows = [valid_row(n % 400, name=f"批量{n}", id_doc_type="其他", id_doc_number="") for n in range(10_000)]
    rows[7_777]["postal_code"] = "12345"
    before = count()
    report = run(xlsx(rows))
    assert count() == before
    assert messages(report) == [(7_779, "邮政编码", "V-15", "邮政编码应为6位数字")]
    assert report.failed_rows() == {7_779}
    wb = load_workbook(io.BytesIO(imp.error_workbook(report)), read_only=True)
    lines = list(wb.active.iter_rows(values_only=True))
    assert len(lines) == 2 and lines[1][1] == "批量7777" and lines[1][-1] == "邮政编码应为6位数字"


def test_homeroom_teacher_imports_only_own_class(run, count):
    assert run(xlsx([valid_row(0, class_no="101")]), by="nanming-xx-teacher").ok
    report = run(xlsx([valid_row(1, class_no="102")]), by="nanming-xx-teacher")
    assert [e.message for e in report.errors] == ["班主任只能导入本班学生"]


def test_a_row_duplicating_another_schools_record_becomes_a_problem_record(session, user, student_of):
    existing = student_of("yunyan-xx-registrar")
    row = valid_row(5, id_doc_number=existing.id_doc_number, birth_date=f"{existing.birth_date:%Y%m%d}")
    row["sex"] = existing.sex_label
    report, committed = imp.commit(
        session, actor=user(SCHOOL), data=xlsx([valid_row(4), row]), business_type="新生注册", now=utcnow()
    )
    assert report.ok and len(committed.student_ids) == 2
    [(new_id, other_id)] = committed.problems
    assert other_id == existing.id
    session.expire_all()
    new = session.get(Student, new_id)
    assert (new.dedup_status, new.registration_state, new.problem_type) == (
        DedupStatus.PROBLEM,
        RegistrationState.DEDUP_PROBLEM,
        "2",
    )
    assert session.get(Student, existing.id).problem_type == "2"
    ok = session.get(Student, committed.student_ids[0])
    assert (ok.dedup_status, ok.problem_type) == (DedupStatus.OK, None)


def test_commit_reuses_the_dry_runs_row_validation_of_the_same_file(session, user, count, monkeypatch):
    data = xlsx([valid_row(n) for n in range(3)])
    checked = imp.dry_run(session, actor=user(SCHOOL), data=data, business_type="新生注册", now=utcnow())
    assert checked.ok and checked.validated is not None

    def no_second_validation(*args, **kwargs):
        raise AssertionError("the commit validated the rows again")

    monkeypatch.setattr(imp, "validate_columns", no_second_validation)
    before = count()
    report, committed = imp.commit(
        session, actor=user(SCHOOL), data=data, business_type="新生注册", now=utcnow(), validated=checked.validated
    )
    assert report.ok and len(committed.student_ids) == 3 and count() == before + 3


def test_a_reused_dry_run_still_checks_the_database_again(session, user, count):
    data = xlsx([valid_row(n) for n in range(3)])
    checked = imp.dry_run(session, actor=user(SCHOOL), data=data, business_type="新生注册", now=utcnow())
    assert checked.ok
    assert imp.commit(session, actor=user(SCHOOL), data=data, business_type="新生注册", now=utcnow())[0].ok
    before = count()
    report, committed = imp.commit(
        session, actor=user(SCHOOL), data=data, business_type="新生注册", now=utcnow(), validated=checked.validated
    )
    assert not report.ok and committed.student_ids == [] and count() == before
    assert {(e.row, e.rule) for e in report.errors} == {(2, "F-11"), (3, "F-11"), (4, "F-11")}


def test_a_dry_run_of_another_file_is_never_trusted(session, user, count):
    good = xlsx([valid_row(n) for n in range(3)])
    checked = imp.dry_run(session, actor=user(SCHOOL), data=good, business_type="新生注册", now=utcnow())
    assert checked.ok
    changed = xlsx([valid_row(0), valid_row(1, postal_code="12345"), valid_row(2)])
    before = count()
    report, committed = imp.commit(
        session, actor=user(SCHOOL), data=changed, business_type="新生注册", now=utcnow(), validated=checked.validated
    )
    assert not report.ok and committed.student_ids == [] and count() == before
    assert [(e.row, e.rule) for e in report.errors] == [(3, "V-15")]


def test_a_dry_run_of_another_day_is_validated_again(session, user):
    data = xlsx([valid_row(n) for n in range(2)])
    checked = imp.dry_run(session, actor=user(SCHOOL), data=data, business_type="新生注册", now=utcnow())
    assert checked.validated.fits(data, utcnow().date())
    assert not checked.validated.fits(data, utcnow().date() - timedelta(days=1))
    assert not checked.validated.fits(data + b"x", utcnow().date())


def test_already_registered_check_takes_any_number_of_found_records(session, user, student_of):
    """A 100,000-row file found again is more ids than one statement may carry (65,535 parameters)."""
    from models import dedup

    mine, other = student_of(SCHOOL), student_of("yunyan-xx-registrar")
    ids = [*range(10_000_000, 10_070_000), mine.id, other.id]
    assert dedup.at_school(session, ids, mine.school_id) == {mine.id}


def test_a_dry_run_kept_between_requests_comes_back_the_same():
    """jobs/uploads.py pickles the dry run's results; the compact form must give back what the commit reads."""
    import pickle

    clean = imp.validate_file(xlsx([valid_row(n) for n in range(3)]), utcnow().date())
    back = pickle.loads(pickle.dumps(clean))  # noqa: S301 (our own bytes)
    assert [back.record(i) for i in range(3)] == [clean.record(i) for i in range(3)]
    assert back.values == clean.values and back.problems == clean.problems == {}
    assert (back.digest, back.today, back.numbers) == (clean.digest, clean.today, [2, 3, 4])
    assert back.cells is None  # kept between requests, no error workbook needs a clean file's cells
    assert back.row(0) == clean.row(0) and back.row(0)["name"] == valid_row(0)["name"]  # the preview's

    rows = [valid_row(0), valid_row(1, distance_km="1.25")]
    failed = imp.validate_file(xlsx(rows), utcnow().date())
    back = pickle.loads(pickle.dumps(failed))  # noqa: S301 (our own bytes)
    assert [back.row(i) for i in range(2)] == [failed.row(i) for i in range(2)]
    assert back.row(1)["distance_km"] == "1.25" and back.row(1)["_row"] == 3
    assert back.problems == failed.problems and [p.rule for p in back.problems[1]] == ["V-08"]
