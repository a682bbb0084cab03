"""学籍导入 (F-08): the template (openpyxl), reading an upload (python-calamine), the dry run that lists every
problem by row and column in Chinese, the error workbook, and the all-or-nothing commit.

Formula cells are never evaluated (the file is refused), and nothing read from a file is written back into an
export as a formula: every exported value is a plain string cell.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
import zlib
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, overload

from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineError
from sqlalchemy import Table
from sqlalchemy.orm import Session

from handlers import sheet_parts
from handlers.registration import check_business_type, context_problems, mark_problem, member_columns, student_columns
from handlers.workbooks import new_workbook
from models import bulk, dedup
from models.audit import AuditEvent
from models.errors import DomainError
from models.job import Progress, no_progress
from models.org import School, SchoolClass
from models.student import DedupStatus, Guardian, RegistrationState, Student, StudentStatus
from models.template_columns import COLUMNS, HEADER_ALIASES, Column
from models.user import User
from models.validation import RECORD_KEYS, Problem, Result, validate_columns

MAX_ROWS = 200_000
HEAD_ROWS = 10  # the first rows' cells, kept for the preview
EVERY = 500  # rows between two progress reports (the listener throttles further)
STUDENT_DEFAULTS = {  # columns a new registration leaves empty (Core inserts need every key in every row)
    "national_student_id": None,
    "open_case_id": None,
    "deleted_at": None,
    "problem_type": None,
    "problem_state": None,
    "school_comment": None,
    "return_reason": None,
    "approved_at": None,
    "approved_by_id": None,
}
REQUIRED_MARK = "★"
_FORMULA = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*?>(?:<v>[^<]*</v>)?<f[ >/]')


@dataclass(frozen=True)
class RowError:
    row: int  # the Excel row number (header = 1)
    column: str  # header of the column, or "" for the whole row / file
    rule: str
    message: str


@dataclass(frozen=True)
class Validated:
    """What the dry run learnt from the file alone (reading and the §3.9 rules, no database), column by column:
    the commit of the very same file (same sha256, same day) reuses it and re-runs only the checks that need the
    database. Row ``i`` is the file's row ``numbers[i]``; ``values`` holds each record key's column, ``problems``
    the §3.9 problems of each row that has any, ``cells`` the uploaded cells (template key → column; their texts
    mostly the very strings of ``values``), ``head`` the first rows' cells (the preview). Kept between the
    requests, the cells stay only while an error workbook may need them (a row breaks a §3.9 rule); without them
    an error workbook of the database checks' errors is made by checking the file again (webapp/registration.py)."""

    digest: str  # sha256 of the file
    today: date  # the rules compare dates with today (入学年月)
    numbers: list[int]
    values: dict[str, list[Any]]
    problems: dict[int, list[Problem]]
    read_errors: list[RowError]
    cells: dict[str, Sequence[Any]] | None
    head: list[dict[str, Any]]

    def fits(self, data: bytes, today: date) -> bool:
        return self.today == today and self.digest == digest(data)

    @property
    def failed(self) -> bool:
        return bool(self.read_errors) or any(p.severity == "error" for ps in self.problems.values() for p in ps)

    def record(self, i: int) -> dict[str, Any]:
        return {key: self.values[key][i] for key in RECORD_KEYS}

    def row(self, i: int) -> dict[str, Any]:
        """The uploaded cells of row ``i`` (only its number when they were not kept)."""
        if self.cells is not None:
            return {key: column[i] for key, column in self.cells.items()} | {"_row": self.numbers[i]}
        return self.head[i] if i < len(self.head) else {"_row": self.numbers[i]}

    def __getstate__(self) -> dict[str, Any]:
        """Kept between the dry run and the commit (jobs/uploads.py) in a compact form: each column of the
        records as codes (an array of ints) into that column's distinct values. Pickle remembers every object it
        writes, 8 M cells at 100,000 rows; a column of a few distinct values (民族, 是/否, codes) pickles as raw
        bytes and loads in a fraction of the time. The uploaded cells are kept only when an error workbook may be
        asked for (a row has an error)."""
        columns = {}
        for key, column in self.values.items():
            distinct = list(dict.fromkeys(column))  # the codes are made by look-ups in C, not a loop in Python
            if any(value.__class__ not in _CODED for value in distinct):
                return dict(vars(self))  # 1 == 1.0 == True would share a code: never seen in a record
            code = {value: i for i, value in enumerate(distinct)}
            columns[key] = (distinct, array("I", map(code.__getitem__, column)))
        return {**vars(self), "values": columns, "numbers": array("I", self.numbers)} | (
            {} if self.failed else {"cells": None}
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        if isinstance(state["numbers"], array):
            state["numbers"] = state["numbers"].tolist()
            state["values"] = {
                key: list(map(distinct.__getitem__, codes)) for key, (distinct, codes) in state["values"].items()
            }
        for name, value in state.items():
            object.__setattr__(self, name, value)


_CODED = frozenset({str, type(None), date})  # the value types of a validated record


class _Rows(Sequence[dict[str, Any]]):
    """Rows of a report as dicts (uploaded cells and "_row"), made only when asked for."""

    def __init__(self, validated: Validated | None, make: Callable[[Validated, int], dict[str, Any]]) -> None:
        self.validated, self.make = validated, make

    def __len__(self) -> int:
        return len(self.validated.numbers) if self.validated is not None else 0

    @overload
    def __getitem__(self, i: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, i: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, i: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(i, slice):
            return [self[j] for j in range(len(self))[i]]
        if self.validated is None or not -len(self) <= i < len(self):
            raise IndexError(i)
        return self.make(self.validated, i % len(self))


@dataclass
class ImportReport:
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    # 查重 of the rows against the database before anything is written: 查重 key → ids of existing records.
    existing: dict[Any, list[int]] = field(default_factory=dict)
    classes: list[SchoolClass | None] = field(default_factory=list)  # the class of each row (None: no class number)
    validated: Validated | None = None  # pass to commit() (validated=…) so that it does not validate again

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rows(self) -> _Rows:
        """The uploaded rows (cells and "_row"), one dict each as it is read."""
        return _Rows(self.validated, Validated.row)

    @property
    def records(self) -> _Rows:
        """The validated records, one dict each as it is read."""
        return _Rows(self.validated, Validated.record)

    def failed_rows(self) -> set[int]:
        return {e.row for e in self.errors}


# -- template -------------------------------------------------------------------------------------------------


def template(school: School | None = None) -> bytes:
    """学生信息模板: row 1 headers, required ones marked ★ in red; option columns with drop-down lists fed from
    a hidden sheet 代码表; the school code pre-filled in the first data rows when a school is given."""
    wb, ws = new_workbook("学生信息")
    lists = wb.create_sheet("代码表")
    lists.sheet_state = "hidden"
    red, plain = Font(bold=True, color="C00000"), Font(bold=True)
    list_col = 0
    for index, column in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=index, value=(REQUIRED_MARK if column.required else "") + column.header)
        cell.font = red if column.required else plain
        cell.fill = PatternFill("solid", fgColor="F2F2F2")
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = max(10, len(column.header) * 2 + 2)
        ws[f"{letter}2"].number_format = "@"
        if column.options:
            list_col += 1
            list_letter = get_column_letter(list_col)
            lists.cell(row=1, column=list_col, value=column.header)
            for i, option in enumerate(column.options, start=2):
                lists.cell(row=i, column=list_col, value=option)
            ref = f"{quote_sheetname(lists.title)}!${list_letter}$2:${list_letter}${len(column.options) + 1}"
            validation = DataValidation(type="list", formula1=ref, allow_blank=not column.required)
            validation.error, validation.errorTitle = f"请从下拉列表中选择{column.header}", "选项无效"
            ws.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}5000")
    ws.freeze_panes = "C2"
    if school is not None:
        ws["A2"] = school.school_code
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# -- reading --------------------------------------------------------------------------------------------------


def _header(value: Any) -> str:
    text = str(value or "").strip().lstrip(REQUIRED_MARK).strip()
    return HEADER_ALIASES.get(text, text)


def _formula_problems(data: bytes) -> list[RowError]:
    """The formula cells of the first sheet (refused, never evaluated), once the reading saw that it may hold some."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = sorted(n for n in archive.namelist() if n.startswith("xl/worksheets/sheet"))
            xml = archive.read(names[0]) if names else b""
    except (zipfile.BadZipFile, KeyError, OSError, zlib.error):
        return []
    headers = {get_column_letter(i): c.header for i, c in enumerate(COLUMNS, start=1)}
    return [
        RowError(int(row), headers.get(col.decode(), col.decode()), "F-08", "单元格是公式，请复制后“粘贴为数值”再导入")
        for col, row in _FORMULA.findall(xml)[:100]
    ]


def read(data: bytes) -> tuple[list[dict[str, Any]], list[RowError]]:
    """Rows of the first sheet keyed by field, or the problems that make the file unreadable."""
    numbers, cells, problems = read_columns(data)
    return [{key: column[i] for key, column in cells.items()} | {"_row": n} for i, n in enumerate(numbers)], problems


def read_columns(data: bytes) -> tuple[list[int], dict[str, Sequence[Any]], list[RowError]]:
    """The first sheet's rows as columns: the Excel row number of each row, and each template field's cells
    (blank rows skipped); or the problems that make the file unreadable (and no rows)."""
    try:
        sheet = _read_sheet(data)
    except (CalamineError, ValueError, OSError, IndexError):
        return [], {}, [RowError(0, "", "F-08", "文件不是有效的Excel（.xlsx）文件，请使用下载的学生信息模板")]
    if not sheet.header or not any(str(v).strip() for v in sheet.header):
        return [], {}, [RowError(1, "", "F-08", "文件是空的：第1行应为学生信息模板的表头")]
    problems = _formula_problems(data) if sheet.formulas else []
    for (r0, c0), (r1, c1) in sheet.merged:
        where = f"{get_column_letter(c0 + 1)}{r0 + 1}:{get_column_letter(c1 + 1)}{r1 + 1}"
        problems.append(RowError(r0 + 1, _column_name(c0), "F-08", f"存在合并单元格（{where}），请取消合并"))
    if problems := problems + sheet.header_problems:
        return [], {}, problems
    if not sheet.numbers:
        return [], {}, [RowError(2, "", "F-08", "文件中没有学生数据（从第2行开始填写）")]
    if len(sheet.numbers) > MAX_ROWS:
        return [], {}, [RowError(0, "", "F-08", f"一次最多导入{MAX_ROWS}行")]
    cells: dict[str, Sequence[Any]] = dict(zip((c.key for c in COLUMNS), sheet.columns.done(), strict=True))
    return sheet.numbers, cells, []


@dataclass
class _Sheet:
    """What reading the first sheet found: its header (None: no row at all), the number and cells of each filled row
    below it, and what makes it unreadable."""

    header: list[Any] | None = None
    header_problems: list[RowError] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)  # blank rows are skipped; each row's Excel number stays
    columns: _SheetColumns = field(default_factory=lambda: _SheetColumns())
    formulas: bool = False
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)

    def add(self, rows: list[list[Any]], first: int) -> None:
        for number, values in enumerate(rows, start=first):
            if _filled(values):
                self.numbers.append(number)
                self.columns.add(values)
        self.columns.flush()  # parts differ in width: a chunk never spans two


def _read_sheet(data: bytes) -> _Sheet:
    """The sheet's rows part by part (handlers/sheet_parts.py); a sheet refused by its header makes no rows."""
    read = _Sheet()
    with sheet_parts.open_first_sheet(data) as sheet:
        for part in sheet.parts():
            rows = part.rows
            if part.first_column:  # the range starts right of column A: cells keep their columns
                rows = [[""] * part.first_column + row for row in rows]
            first = part.first_row + 1  # the Excel number of rows[0]
            if read.header is None:
                read.header = rows[0] if first == 1 else []  # row 1 blank: no header
                read.header_problems = _header_problems([_header(v) for v in read.header])
                if read.header_problems or not any(str(v).strip() for v in read.header):
                    sheet.rest()
                    break
                rows, first = rows[1:], 2
            read.add(rows, first)
        read.formulas, read.merged = sheet.formulas, sheet.merged
    return read


class _SheetColumns:
    """The template's columns of the rows added, made a few thousand rows at a time. Equal texts of a column
    become one string object: a 100,000-row file has some 4 M filled cells, and a column of 民族 or 是/否 then
    holds a handful of strings instead of 100,000 (most of the memory of reading a large file). A column whose
    first rows hardly repeat (names, numbers, addresses) is left as it is: sharing would save nothing there."""

    CHUNK = 5000

    def __init__(self) -> None:
        self.columns: list[list[Any]] = [[] for _ in COLUMNS]
        self.texts: list[dict[str, str] | None] = [{} for _ in COLUMNS]
        self.rows: list[list[Any]] = []

    def add(self, values: list[Any]) -> None:
        self.rows.append(values)
        if len(self.rows) == self.CHUNK:
            self.flush()

    def done(self) -> list[list[Any]]:
        self.flush()
        return self.columns

    def flush(self) -> None:
        if not self.rows:
            return
        for i, (column, cells) in enumerate(zip(self.columns, zip(*self.rows, strict=False), strict=False)):
            texts = self.texts[i]
            if texts is None or set(map(type, cells)) != {str}:  # a number or date never shares (1 == 1.0 == True)
                column.extend(cells)
                continue
            column.extend(map(texts.setdefault, cells, cells))
            if len(texts) > len(column) // 2 > 0:
                self.texts[i] = None
        for column in self.columns[len(self.rows[0]) :]:  # a row narrower than the template: empty cells
            column.extend([""] * len(self.rows))
        self.rows.clear()


def _filled(values: list[Any]) -> bool:
    """Whether a row has a non-blank cell (spaces count as blank). The usual row has its first cell (学校标识码)
    filled; else all cells joined as they are when every cell is text (all in C), str() of each only for a row
    with numbers or dates."""
    first = values[0] if values else ""
    if first.__class__ is str and first.strip():
        return True
    try:
        return bool("".join(values).strip())
    except TypeError:
        return bool("".join(map(str, values)).strip())


def _column_name(index: int) -> str:
    return COLUMNS[index].header if index < len(COLUMNS) else get_column_letter(index + 1)


def _header_problems(headers: list[str]) -> list[RowError]:
    while headers and not headers[-1]:
        headers.pop()
    expected = [c.header for c in COLUMNS]
    if headers == expected:
        return []
    problems = []
    missing = [h for h in expected if h not in headers]
    unknown = [h for h in headers if h not in expected]
    if missing:
        problems.append(RowError(1, "、".join(missing), "F-08", f"缺少列：{'、'.join(missing)}"))
    if unknown:
        problems.append(RowError(1, "、".join(unknown), "F-08", f"不是模板中的列：{'、'.join(unknown)}"))
    if not missing and not unknown:
        first = next(i for i, (a, b) in enumerate(zip(headers, expected, strict=False)) if a != b)
        problems.append(
            RowError(
                1,
                headers[first],
                "F-08",
                f"列的顺序与模板不一致：第{first + 1}列应为「{expected[first]}」，实际为「{headers[first]}」",
            )
        )
    return problems


# -- dry run and commit ---------------------------------------------------------------------------------------


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@bulk.paused_gc()
def validate_file(data: bytes, today: date, progress: Progress = no_progress) -> Validated:
    """Reading and the §3.9 rules: everything that depends on the file alone."""
    progress(0, 1, "读取文件")
    numbers, cells, read_errors = read_columns(data)
    count = len(numbers)
    progress(0, count, "逐行校验")
    values, problems = validate_columns(
        cells, count, today=today, progress=lambda done, steps: progress(count * done // steps, count, "逐行校验")
    )
    progress(len(numbers), len(numbers), "逐行校验")
    found = Validated(digest(data), today, numbers, values, problems, read_errors, cells, [])
    found.head.extend(found.row(i) for i in range(min(HEAD_ROWS, count)))
    return found


@bulk.paused_gc()
def dry_run(
    session: Session,
    *,
    actor: User,
    data: bytes,
    business_type: str,
    now: datetime,
    validated: Validated | None = None,
    progress: Progress = no_progress,
) -> ImportReport:
    """Every §3.9 rule, the school and class rules, V-17 within the file and 查重 against this school's records;
    nothing is written. ``validated`` (an earlier report's) is reused only if it is of this very file and day."""
    school = session.get(School, actor.org_id)
    if school is None:
        raise DomainError("只有学校用户可以导入学籍")
    check_business_type(session, school.org, business_type, now)
    if validated is None or not validated.fits(data, now.date()):
        validated = validate_file(data, now.date(), progress)
    report = ImportReport(errors=list(validated.read_errors), validated=validated)
    classes: dict[Any, Any] = {}
    seen: dict[Any, int] = {}
    total = len(validated.numbers)
    progress(0, total, "班级与文件内查重")
    v = validated.values
    rows = zip(validated.numbers, v["class_no"], v["school_code"], strict=True)
    people = zip(v["id_doc_number"], v["name"], v["sex"], v["birth_date"], strict=True)
    for i, ((number, class_no, code), (id_doc_number, name, sex, born)) in enumerate(zip(rows, people, strict=True)):
        extra, school_class = classes.get((class_no, code)) or _context(
            session, actor, school, class_no, code, business_type=business_type, cache=classes
        )
        problems = validated.problems.get(i)
        if problems or extra:
            result = Result(problems=problems or [])
            for problem in result.errors + extra:
                report.errors.append(_row_error(number, problem))
            report.warnings += [_row_error(number, p) for p in result.warnings]
        report.classes.append(school_class)
        if sex and born:
            key = dedup.key_of(id_doc_number, name, sex, born)
            if key in seen:
                report.errors.append(RowError(number, "姓名", "V-17", f"与第{seen[key]}行是同一学生（文件内重复）"))
            seen.setdefault(key, number)
    progress(total, total, "与学籍库查重")
    _already_here(session, school, report, seen)
    report.errors.sort(key=lambda e: e.row)
    return report


def _context(
    session: Session,
    actor: User,
    school: School,
    class_no: str,
    code: str,
    *,
    business_type: str,
    cache: dict[Any, Any],
) -> Any:
    """context_problems of a class number and school code, kept in ``cache`` under both (a class of 50 rows
    costs one class lookup)."""
    own_code = code == school.school_code
    if class_no not in cache:
        result = Result({"school_code": school.school_code, "class_no": class_no})
        cache[class_no] = context_problems(session, actor, school, result, business_type)
    problems, school_class = cache[class_no]
    if not own_code:
        problems = [*problems, Problem("school_code", "V-21", f"学校标识码应为本校的{school.school_code}")]
    cache[class_no, code] = problems, school_class
    return cache[class_no, code]


def _already_here(session: Session, school: School, report: ImportReport, seen: dict[Any, int]) -> None:
    """A row already registered at this school: each class imports only once (seed 001 a)."""
    found = dedup.find(session, seen.keys())
    report.existing = found
    if not found:
        return
    here = dedup.at_school(session, [i for ids in found.values() for i in ids], school.org_id)
    for key, ids in found.items():
        if here.intersection(ids):
            report.errors.append(RowError(seen[key], "姓名", "F-11", "该生已在本校注册（每个班级只能导入一次）"))


def _row_error(number: int, problem: Problem) -> RowError:
    header = next((c.header for c in COLUMNS if c.key == problem.field), problem.field)
    return RowError(number, header, problem.rule, problem.message)


@dataclass
class Committed:
    student_ids: list[int] = field(default_factory=list)
    problems: list[tuple[int, int]] = field(default_factory=list)  # (new record, record it duplicates)


def commit(
    session: Session,
    *,
    actor: User,
    data: bytes,
    business_type: str,
    now: datetime,
    validated: Validated | None = None,
    progress: Progress = no_progress,
) -> tuple[ImportReport, Committed]:
    """All or nothing: with any error nothing is written and the report is returned; otherwise one registration
    per row (set-based inserts: students, family members, audit), then 查重 of the whole batch. ``validated``
    (the dry run's ``report.validated``) spares the per-row rules when it is of this very file; the checks that
    need the database (school, class, already registered, 查重) always run again."""
    report = dry_run(
        session, actor=actor, data=data, business_type=business_type, now=now, validated=validated, progress=progress
    )
    if not report.ok:
        return report, Committed()
    progress(0, len(report.classes), "写入学籍库")
    school = session.get_one(School, actor.org_id)
    ids = _insert(
        session,
        report.validated,
        report.classes,
        report.existing,
        school=school,
        actor=actor,
        business_type=business_type,
        now=now,
        progress=progress,
    )
    problems = _mark_others(session, report, ids, actor=actor)
    session.flush()
    progress(len(ids), len(ids), "写入学籍库")
    return report, Committed(ids, problems)


def _insert(
    session: Session,
    validated: Validated | None,
    classes: list[SchoolClass | None],
    existing: dict[Any, list[int]],
    *,
    school: School,
    actor: User,
    business_type: str,
    now: datetime,
    progress: Progress = no_progress,
) -> list[int]:
    """Set-based inserts of the students (their new ids, in order), their two family members each and an audit row
    each, column by column from the validated records; the rows are generated as they are written."""
    count = len(classes)
    if validated is None or not count:
        return []
    values = validated.values
    class_ids = [school_class.id if school_class else None for school_class in classes]
    columns = student_columns(
        values, count, school=school, class_ids=class_ids, actor=actor, business_type=business_type
    )
    columns |= {key: [value] * count for key, value in STUDENT_DEFAULTS.items()}
    columns |= _dedup_columns(values, count, existing) | {"created_at": [now] * count}

    def families_and_audit(ids: list[int]) -> list[tuple[Table, bulk.Columns, int]]:
        first, second = (member_columns(values, count, seq) | {"student_id": ids} for seq in (1, 2))
        audit: bulk.Columns = {
            "at": [now] * count,
            "actor_id": [actor.id] * count,
            "actor_org_id": [actor.org_id] * count,
            "action": ["学籍注册"] * count,
            "entity": ["student"] * count,
            "entity_id": ids,
            "before": [{}] * count,  # one object for every row: encoded once
            "after": [{"status": StudentStatus.REGISTERING.value, "registration_type": business_type}] * count,
        }
        return [
            (Guardian.__table__, bulk.concat(first, second), 2 * count),  # every first member, then every second
            (AuditEvent.__table__, audit, count),
        ]

    return bulk.insert_family(
        session,
        Student.__table__,
        columns,
        count,
        families_and_audit,
        progress=lambda done: progress(done, count, "写入学籍库"),
    )


def _dedup_columns(values: dict[str, list[Any]], count: int, existing: dict[Any, list[int]]) -> bulk.Columns:
    """F-11 decided before the insert: the dry run's 查重 of each row against the whole database (rows of one file
    cannot collide with each other: V-17)."""
    if not existing:
        return {
            "dedup_status": [DedupStatus.OK] * count,
            "registration_state": [RegistrationState.DEDUP_OK] * count,
        }
    people = zip(values["id_doc_number"], values["name"], values["sex"], values["birth_date"], strict=True)
    found = [dedup.key_of(*person) in existing for person in people]
    return {
        "dedup_status": [DedupStatus.PROBLEM if f else DedupStatus.OK for f in found],
        "registration_state": [RegistrationState.DEDUP_PROBLEM if f else RegistrationState.DEDUP_OK for f in found],
        "problem_type": [
            ("2" if number else "3") if f else None for f, number in zip(found, values["id_doc_number"], strict=True)
        ],
    }


def _records(validated: Validated | None) -> Iterator[dict[str, Any]]:
    """The validated records, one dict each, made as they are consumed."""
    if validated is None:
        return
    for values in zip(*(validated.values[key] for key in RECORD_KEYS), strict=True):
        yield dict(zip(RECORD_KEYS, values, strict=True))


def _mark_others(session: Session, report: ImportReport, ids: list[int], *, actor: User) -> list[tuple[int, int]]:
    """The existing records a row duplicates become problem records too; returns (new record, existing record)."""
    problems: list[tuple[int, int]] = []
    if not report.existing:
        return problems
    for student_id, record in zip(ids, _records(report.validated), strict=True):
        key = dedup.key_of(record["id_doc_number"], record["name"], record["sex"], record["birth_date"])
        others = report.existing.get(key, [])
        for other_id in others:
            mark_problem(session, session.get_one(Student, other_id), "2" if record["id_doc_number"] else "3", actor)
        if others:
            problems.append((student_id, others[0]))
    return problems


# -- error workbook -------------------------------------------------------------------------------------------


def _plain(sheet: Worksheet, row: int, column: int, value: Any) -> None:
    """A string cell whatever the text: "=…" read from an upload never becomes a formula in our export."""
    sheet.cell(row=row, column=column, value="" if value is None else str(value)).data_type = "s"


def error_workbook(report: ImportReport) -> bytes:
    """B.6: the failed rows with their original values, then 行号, 列名, 规则编号, 错误说明 (one line per error)."""
    wb, ws = new_workbook("导入失败的行")
    headers: list[Column | str] = [*COLUMNS, "行号", "列名", "规则编号", "错误说明"]
    for index, header in enumerate(headers, start=1):
        _plain(ws, 1, index, header.header if isinstance(header, Column) else header)
    by_row: dict[int, list[RowError]] = {}
    for error in report.errors:
        by_row.setdefault(error.row, []).append(error)
    out_row = 2
    where = {number: i for i, number in enumerate(report.validated.numbers)} if report.validated else {}
    for number in sorted(by_row):
        source = report.rows[where[number]] if number in where else {}
        for error in by_row[number]:
            for index, column in enumerate(COLUMNS, start=1):
                _plain(ws, out_row, index, source.get(column.key))
            extra = (number or "", error.column, error.rule, error.message)
            for offset, value in enumerate(extra):
                _plain(ws, out_row, len(COLUMNS) + 1 + offset, value)
            out_row += 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
