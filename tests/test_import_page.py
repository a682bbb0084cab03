"""The import as a registrar meets it (issue 20 item 10): one upload that is checked, a preview of a clean file,
an error table that names each student, one confirm button that needs no second upload, and one clear message
for a file that is not a workbook."""

from __future__ import annotations

import io

from tests.test_registration_web import SCHOOL
from tests.test_student_import import xlsx
from webapp.demo_rows import valid_row


def check(client, data: bytes, name: str = "a.xlsx") -> str:
    upload = {"business_type": "新生注册", "action": "检查", "file": (io.BytesIO(data), name)}
    page = client.post("/registration/import", data=upload, content_type="multipart/form-data", follow_redirects=True)
    return page.get_data(as_text=True)


def test_one_upload_button_and_a_clean_check_shows_a_preview_and_one_confirm(login_as):
    client = login_as(SCHOOL)
    form = client.get("/registration/import").get_data(as_text=True)
    assert form.count('name="action"') == 1  # 上传并检查; the confirm comes with the result
    page = check(client, xlsx([valid_row(n) for n in range(12)]))
    assert "检查通过：共 12 行" in page and 'data-testid="import-preview"' in page
    assert "前 10 行预览" in page and valid_row(0)["name"] in page and valid_row(11)["name"] not in page
    assert page.count('data-testid="confirm-import"') == 1 and 'name="token"' in page
    assert 'type="file"' not in page.split('data-testid="import-ok"')[1]  # the confirm needs no second upload


def test_the_error_table_names_each_student(login_as):
    bad = valid_row(3, sex="")
    page = check(login_as(SCHOOL), xlsx([valid_row(0), bad]))
    assert "检查未通过" in page and 'data-testid="import-errors"' in page
    row = page.split('data-testid="import-errors"')[1].split("</tr>")[1]
    assert bad["name"] in row and "请选择性别" in row


def test_a_file_that_is_not_a_workbook_gets_one_message_and_nothing_else(login_as):
    page = check(login_as(SCHOOL), "姓名,性别\n张三,男\n".encode(), "a.xlsx")
    assert "不是有效的Excel" in page
    assert 'data-testid="download-errors"' not in page and 'data-testid="import-errors"' not in page
