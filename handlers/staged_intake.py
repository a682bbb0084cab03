"""学前调档 and 数据核对转入 (F-10): staging, confirmation, the 校验状态 and 转入学籍系统. A staged record passes when
the registration's own checks (handlers/registration.py) find nothing; moving it registers it as F-07 does."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from io import BytesIO
from typing import Any

from openpyxl import load_workbook
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers import registration
from handlers.student_import import RowError
from handlers.student_import import read as read_template
from handlers.workbooks import new_workbook
from models import audit, codes
from models.errors import DomainError
from models.jurisdiction import staged_record_or_404
from models.org import Cohort, School, SchoolClass
from models.staged_intake import StagedRecord, StagedSource, waiting_confirmation
from models.student import Student
from models.user import User
from models.validation import Problem, parse_date, text, validate

# seed 001 b: the pull list carries 居民身份证; children without a household registration (黑户口) use 其他.
PULL_ID_TYPES = ("居民身份证", "其他")
BUSINESS_TYPE = "新生注册"
PASSED, NOT_PASSED = "已通过校验", "未通过校验"


# A school's data-source file is its pupils; a bigger one is another programme's whole export, refused as such.
MAX_DATA_SOURCE_ROWS = 5000


class StagingRefused(DomainError):
    """A data-source file refused as a whole, with the reasons row by row (nothing was staged)."""

    def __init__(self, problems: list[RowError]) -> None:
        super().__init__(f"文件未导入：共{len(problems)}处问题，请修改后重新上传（本次未保存任何记录）")
        self.problems = problems


def _own(session: Session, actor: User, staged_id: int) -> StagedRecord:
    return staged_record_or_404(session, actor, staged_id)


def stage_pull_list(
    session: Session, actor: User, school_class: SchoolClass, rows: Iterable[dict[str, Any]]
) -> list[StagedRecord]:
    """One class's 学前调档名单 (all rows or none): they wait under 待确认学前学籍."""
    if school_class.cohort.school_id != actor.org_id:
        raise DomainError("只能上传本校班级的调档名单")
    staged = []
    for number, row in enumerate(rows, start=1):
        if row.get("id_doc_type") not in PULL_ID_TYPES:
            raise DomainError(f"第{number}行：身份证件类型须为「居民身份证」，无户口的儿童填「其他」")
        if not (row.get("name") or "").strip():
            raise DomainError(f"第{number}行：请填写姓名")
        data = {**row, "class_no": school_class.class_no}
        staged.append(
            StagedRecord(
                school_id=actor.org_id,
                class_id=school_class.id,
                source=StagedSource.PRESCHOOL,
                data=data,
                created_by_id=actor.id,
            )
        )
    session.add_all(staged)
    session.flush()
    return staged


def stage_data_source(session: Session, actor: User, school_id: int, records: Iterable[dict[str, Any]]) -> int:
    """Records pre-loaded from another programme (营养改善计划), to be checked by the homeroom teachers."""
    rows = [
        StagedRecord(
            school_id=school_id, source=StagedSource.DATA_SOURCE, data=dict(r), confirmed=True, created_by_id=actor.id
        )
        for r in records
    ]
    session.add_all(rows)
    session.flush()
    return len(rows)


def stage_data_source_file(session: Session, actor: User, data: bytes) -> int:
    """A data-source file in the 学生信息模板's columns, all rows or none. Its rows need not pass the registration
    checks yet (that is the teachers' 核对), but they must be this school's pupils and each one once."""
    rows, problems = read_template(data)
    if not problems and len(rows) > MAX_DATA_SOURCE_ROWS:
        problems = [RowError(0, "", "F-10", f"一次最多上传{MAX_DATA_SOURCE_ROWS}名学生，请按年级拆分后分批上传")]
    if problems:
        raise StagingRefused(problems)
    school = session.get_one(School, actor.org_id)
    seen: dict[str, int] = {}
    records = []
    for row in rows:
        number = row.pop("_row")
        record = {key: _cell_text(value) for key, value in row.items()}
        if not record.get("name"):
            problems.append(RowError(number, "姓名", "F-10", "请填写姓名"))
        if record.get("school_code") != school.school_code:
            problems.append(
                RowError(number, "学校标识码", "F-10", f"不是本校的学校标识码（本校为{school.school_code}）")
            )
        id_number = record.get("id_doc_number", "").upper()
        if id_number and id_number in seen:
            problems.append(RowError(number, "身份证件号", "F-10", f"与第{seen[id_number]}行的身份证件号相同"))
        if id_number:
            seen.setdefault(id_number, number)
        records.append(record)
    if problems:
        raise StagingRefused(problems)
    return stage_data_source(session, actor, actor.org_id, records)


def _cell_text(value: Any) -> str:
    """A cell as the registration form would have it (a date cell as YYYYMMDD, the format the checks read)."""
    found = parse_date(value) if isinstance(value, date) else None
    return f"{found:%Y%m%d}" if found else text(value)


def confirm_all(session: Session, actor: User) -> int:
    """待确认学前学籍 → 全部确认 for the actor's school."""
    rows = session.scalars(
        select(StagedRecord).where(
            StagedRecord.school_id == actor.org_id,
            StagedRecord.source == StagedSource.PRESCHOOL,
            StagedRecord.confirmed.is_(False),
        )
    ).all()
    for row in rows:
        row.confirmed = True
    session.flush()
    return len(rows)


def pulled_for_export(session: Session, actor: User) -> list[StagedRecord]:
    """调档学生导出: only once every pulled record of the school is confirmed; rows by class."""
    if waiting_confirmation(session, actor.org_id):
        raise DomainError("还有待确认的学前学籍，请先在「待确认学前学籍」中全部确认，再导出调档学生")
    return list(
        session.scalars(
            select(StagedRecord)
            .where(StagedRecord.school_id == actor.org_id, StagedRecord.source == StagedSource.PRESCHOOL)
            .order_by(StagedRecord.class_id, StagedRecord.id)
        )
    )


def problems(session: Session, actor: User, row: StagedRecord, now: datetime) -> list[Problem]:
    """The 校验状态: the registration's problems of this record, by field (empty = 已通过校验)."""
    school = session.get_one(School, row.school_id)
    result = validate({**row.data, "school_code": school.school_code}, today=now.date())
    extra, _class = registration.context_problems(session, actor, school, result, BUSINESS_TYPE)
    return result.errors + extra


def check(session: Session, actor: User, row: StagedRecord, now: datetime) -> list[str]:
    return [problem.message for problem in problems(session, actor, row, now)]


def status(session: Session, actor: User, row: StagedRecord, now: datetime) -> str:
    return PASSED if not check(session, actor, row, now) else NOT_PASSED


def correct(session: Session, actor: User, staged_id: int, changes: dict[str, Any]) -> StagedRecord:
    """The homeroom teacher's corrections against the paper form (basic data and family members)."""
    row = _own(session, actor, staged_id)
    if row.student_id is not None:
        raise DomainError("该记录已转入学籍系统，请在学籍中维护")
    row.data = {**row.data, **changes}
    session.flush()
    return row


def move_into_registration(session: Session, actor: User, staged_id: int, now: datetime) -> Student:
    """转入学籍系统: only a confirmed record that has passed the checks; it becomes a 未查重 registration (F-07)."""
    row = _own(session, actor, staged_id)
    if row.student_id is not None:
        raise DomainError("该记录已转入学籍系统")
    if not row.confirmed:
        raise DomainError("请先确认学前学籍")
    problems = check(session, actor, row, now)
    if problems:
        raise DomainError("未通过校验，数据不完整，请重新核对：" + "；".join(problems[:5]))
    student = registration.register(session, actor=actor, raw=dict(row.data), business_type=BUSINESS_TYPE, now=now)
    row.student_id, row.moved_at = student.id, now
    audit.record(
        session,
        actor=actor,
        action="转入学籍系统",
        entity="student",
        entity_id=student.id,
        before={"来源": row.source.label},
        after={"注册": student.registration_label},
    )
    return student


# B.4 学前调档名单模板 (Rec. columns): header → registration field.
PULL_COLUMNS = {
    "姓名": "name",
    "性别": "sex",
    "出生日期": "birth_date",
    "身份证件类型": "id_doc_type",
    "身份证件号": "id_doc_number",
    "班号": "class_no",
}


def read_pull_list(data: bytes) -> list[dict[str, Any]]:
    """The rows of an uploaded 学前调档名单 (first sheet, header row first); a clear refusal for anything else."""
    try:
        sheet = load_workbook(BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as err:
        raise DomainError("请上传学前调档名单模板（.xlsx）") from err
    rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    if not rows or [h for h in rows[0] if h] != list(PULL_COLUMNS):
        raise DomainError("表头应为：" + "、".join(PULL_COLUMNS))
    return [dict(zip(PULL_COLUMNS.values(), row, strict=False)) for row in rows[1:] if any(row)]


def pull_list_template(class_numbers: list[str]) -> bytes:
    """B.4 学前调档名单模板: the six columns, all kept as text (a leading 0 or an 18-digit number survives Excel),
    with drop-down lists for 性别, 身份证件类型 and the school's 班号."""
    book, sheet = new_workbook("学前调档名单")
    sheet.append(list(PULL_COLUMNS))
    lists = {"性别": list(codes.SEXES.values()), "身份证件类型": list(PULL_ID_TYPES), "班号": class_numbers}
    for index, header in enumerate(PULL_COLUMNS):
        letter = chr(ord("A") + index)
        sheet.column_dimensions[letter].width = 22 if header == "身份证件号" else 14
        for row in range(2, 1001):
            sheet[f"{letter}{row}"].number_format = "@"
        options = lists.get(header)
        if options and len(",".join(options)) < 250:  # noqa: PLR2004 - Excel's limit for a list typed in the rule
            rule = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True)
            rule.error, rule.errorTitle = f"请从下拉列表中选择{header}", "选项无效"
            sheet.add_data_validation(rule)
            rule.add(f"{letter}2:{letter}1000")
    sheet.freeze_panes = "A2"
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def class_numbers(session: Session, actor: User) -> list[str]:
    """The school's 班号 of its newest cohorts first, each once (the pull list names a class by it)."""
    numbers = session.scalars(
        select(SchoolClass.class_no)
        .join(Cohort, Cohort.id == SchoolClass.cohort_id)
        .where(Cohort.school_id == actor.org_id)
        .order_by(Cohort.cohort_year.desc(), SchoolClass.class_no)
    )
    return list(dict.fromkeys(numbers))


def stage_upload(session: Session, actor: User, data: bytes) -> int:
    """Upload one class at a time (seed 001 b): every row names the same class of the school."""
    rows = read_pull_list(data)
    numbers = {row.get("class_no") for row in rows}
    if len(numbers) != 1:
        raise DomainError("请一次上传一个班的调档名单（班号须相同）")
    school_class = session.scalars(
        select(SchoolClass)
        .join(Cohort, Cohort.id == SchoolClass.cohort_id)
        .where(Cohort.school_id == actor.org_id, SchoolClass.class_no == numbers.pop())
        .order_by(Cohort.cohort_year.desc())
    ).first()
    if school_class is None:
        raise DomainError("本校没有该班号的班级")
    return len(stage_pull_list(session, actor, school_class, rows))


def staged_of(session: Session, actor: User) -> list[StagedRecord]:
    return list(
        session.scalars(
            select(StagedRecord)
            .where(StagedRecord.school_id == actor.org_id, StagedRecord.student_id.is_(None))
            .order_by(StagedRecord.source, StagedRecord.class_id, StagedRecord.id)
        )
    )
