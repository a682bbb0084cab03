"""The manual registration form helps (issue 20 item 7): sections with an index, date and month pickers, classes
and 行政区划 chosen rather than typed, "请选择…", errors that name their family member, and a summary at the top
that links to the first error."""

from __future__ import annotations

import re

from sqlalchemy import select

from models.student import Student
from tests.test_registration_web import SCHOOL, form_data
from webapp.demo_rows import valid_row


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_form_has_sections_pickers_and_the_schools_classes(login_as):
    page = text(login_as(SCHOOL).get("/registration/new"))
    for title in ("基本信息", "身份证件与户籍", "学籍信息", "联系方式", "家庭成员1", "家庭成员2", "其他信息"):
        assert title in page
    assert 'href="#section-basic"' in page and 'id="section-basic"' in page
    assert re.search(r'<input[^>]*name="birth_date"[^>]*type="date"', page)
    assert re.search(r'<input[^>]*name="entry_month"[^>]*type="month"', page)
    assert 'name="grade"' not in page  # 年级 follows the class
    assert '<option value="101">小学' in page  # classes of 南明第一小学 by name
    assert page.count("data-division") == 4  # birthplace, hukou and both members' hukou
    assert "请选择…" in page and "请选择</option>" not in page


def test_an_empty_submit_gives_a_short_summary_linking_to_the_first_error(login_as, session):
    response = login_as(SCHOOL).post("/registration/new", data={"business_type": "新生注册"})
    page = text(response)
    assert response.status_code == 422
    assert 'data-testid="error-summary"' in page and 'href="#name"' in page
    assert "从「姓名」开始：姓名不能为空" in page
    assert "请选择性别" in page and "性别应为" not in page
    assert "成员1关系" in page and "请选择成员1关系" in page
    assert page.count('class="alert alert-danger"') == 1  # one summary, not forty lines


def test_dates_from_the_pickers_and_the_class_from_the_list_are_saved(login_as, session):
    row = valid_row(9)
    data = {
        **form_data(row),
        "birth_date": f"{row['birth_date'][:4]}-{row['birth_date'][4:6]}-{row['birth_date'][6:]}",
        "entry_month": "2025-09",
    }
    data.pop("grade", None)
    assert login_as(SCHOOL).post("/registration/new", data=data).status_code == 302
    student = session.scalars(select(Student).where(Student.name == row["name"])).one()
    assert student.birth_date.strftime("%Y%m%d") == row["birth_date"]
    assert student.school_class is not None and student.school_class.class_no == "101"


def test_the_division_table_cascades_province_city_county(login_as):
    tree = login_as(SCHOOL).get("/registration/divisions.json").get_json()
    guizhou = next(p for p in tree if p["code"] == "520000")
    guiyang = next(c for c in guizhou["children"] if c["name"] == "贵阳市")
    assert {"code": "520102", "name": "南明区"} in guiyang["children"]
    beijing = next(p for p in tree if p["name"] == "北京市")
    districts = [d["name"] for city in beijing["children"] for d in city["children"]]
    assert "东城区" in districts and "崇文区" not in districts  # merged into 东城区 in 2010


def test_key_data_change_shows_current_and_new_side_by_side_with_the_code_list(login_as, student_of):
    student = student_of(SCHOOL)
    page = text(login_as(SCHOOL).get(f"/students/{student.id}/start/key_data_change"))
    assert 'data-testid="key-data-compare"' in page
    assert f'data-testid="current-new_name">{student.name}<' in page
    assert f'data-testid="current-new_id_doc_number">{student.masked_id_number}<' in page
    assert re.search(r'<select[^>]*name="new_ethnicity"', page) and '<option value="汉族">汉族</option>' in page
    assert re.search(r'<input[^>]*name="new_birth_date"[^>]*type="date"', page)


def test_status_change_shows_each_types_own_fields_only(login_as, student_of):
    student = student_of(SCHOOL)
    page = text(login_as(SCHOOL).get(f"/students/{student.id}/start/status_change"))
    assert 'data-show-when-field="change_type" data-show-when-value="death"' in page
    assert 'data-show-when-value="grade_repeat|grade_skip|resumption"' in page
    assert "task_form.js" in page
