"""The demo's 5,000-row 学籍导入 file: a filled-in import template for one school of the demo world, with a few
rows deliberately wrong, so that a newcomer sees the whole path (upload, the check job's progress bar, the
failed-rows workbook) on ``make run`` without a file of their own. ``flask xueji demo-import-file`` writes it."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import ric

from models.errors import DomainError
from models.org import Cohort, School, SchoolClass
from models.template_columns import COLUMNS
from models.user import User
from webapp.demo_rows import valid_row

ROWS = 5000
WRONG_EVERY = 250  # every 250th row has an impossible birth date: 20 failed rows in the failed-rows workbook
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "子涵欣怡梓涵晨曦浩然宇轩思远雨桐可馨一诺"


def _id_number(division: str, born: str, seq: int) -> str:
    body = f"{division}{born}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


PARENT_ID = _id_number("520102", "19880505", 25)  # a father's 居民身份证 (a child without one needs a parent's)


def rows(school_code: str, class_no: str, count: int = ROWS) -> list[dict[str, Any]]:
    """``count`` new pupils of one class (新生注册), with no identity document number (其他) but a parent's, as
    a school registering children without an ID card fills the template in."""
    made = []
    for n in range(count):
        month, day = 1 + n % 12, 1 + n // 12 % 28
        made.append(
            valid_row(
                school_code=school_code,
                name=SURNAMES[n % len(SURNAMES)] + GIVEN[n % 7 * 2 : n % 7 * 2 + 2] + str(n),
                sex="男" if n % 2 == 0 else "女",
                birth_date="20190231" if (n + 1) % WRONG_EVERY == 0 else f"2019{month:02d}{day:02d}",
                id_doc_type="其他",
                id_doc_number="",
                class_no=class_no,
                m1_name="家长" + str(n),
                m1_id_doc_number=PARENT_ID,
                m2_name="母亲" + str(n),
            )
        )
    return made


def workbook(session: Session, registrar: User, count: int = ROWS) -> bytes:
    """The file for the registrar's school, its pupils in the school's newest class."""
    school = session.get(School, registrar.org_id)
    if school is None:
        raise DomainError(f"{registrar.username} 不是学校的用户")
    newest = session.scalars(
        select(SchoolClass)
        .join(Cohort, Cohort.id == SchoolClass.cohort_id)
        .where(Cohort.school_id == school.org_id)
        .order_by(Cohort.cohort_year.desc(), SchoolClass.class_no)
        .limit(1)
    ).first()
    if newest is None:
        raise DomainError(f"{school.org.name}还没有班级")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("学生信息")
    sheet.append([("★" if c.required else "") + c.header for c in COLUMNS])
    for row in rows(school.school_code, newest.class_no, count):
        sheet.append([row.get(c.key, "") for c in COLUMNS])
    out = BytesIO()
    book.save(out)
    return out.getvalue()
