"""A large sheet is read in parts on both cores (handlers/sheet_parts.py): what the import reads of it is exactly what
reading it whole gives — cells, Excel row numbers, blank rows, a part whose first column is empty, merged cells,
formulas. The parts are made small here so that a sheet of a few hundred rows is cut."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from handlers import sheet_parts, student_import
from models.template_columns import COLUMNS


def workbook(rows: list[list[Any]], *, merge: str | None = None, formula: str | None = None) -> bytes:
    book = load_workbook(io.BytesIO(student_import.template()))
    sheet = book.worksheets[0]
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    if formula:
        sheet[formula] = "=1+1"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def people(count: int) -> list[list[Any]]:
    """Rows of varied cells: texts, numbers, dates, short rows, blank rows, and a last stretch without column A."""
    rows: list[list[Any]] = []
    for i in range(count):
        if i % 37 == 5:
            rows.append([])  # a blank row: skipped, the numbers of the rows after it stay
            continue
        born = datetime(2015, 1 + i % 12, 1 + i % 28)
        row: list[Any] = [f"21520102{i:02d}", f"学生{i}", "男" if i % 2 else "女", born]
        row += [f"值{i}-{c}" for c in range(4, len(COLUMNS) if i % 5 else 12)]  # every fifth row is short
        row[5] = i * 1.5  # a number
        if i >= count * 3 // 5:
            row[0] = None  # column A empty from here on: the last part's range starts at column B
        rows.append(row)
    return rows


def read_both(data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, int, int]:
    """read_columns of ``data`` whole and in parts, with how many parts and the largest first column seen."""
    monkeypatch.setattr(sheet_parts, "PART_BYTES", 1 << 40)
    whole = student_import.read_columns(data)
    monkeypatch.setattr(sheet_parts, "PART_BYTES", 8 << 10)
    with sheet_parts.open_first_sheet(data) as sheet:
        parts = list(sheet.parts())
    in_parts = student_import.read_columns(data)
    return whole, in_parts, len(parts), max(p.first_column for p in parts)


def test_parts_read_exactly_what_the_whole_sheet_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    data = workbook(people(400))
    whole, in_parts, count, first_column = read_both(data, monkeypatch)
    assert count == sheet_parts.MAX_PARTS
    assert first_column == 1  # a part without column A was placed back in its columns
    numbers, cells, problems = in_parts
    assert problems == []
    assert (numbers, {k: list(v) for k, v in cells.items()}) == (whole[0], {k: list(v) for k, v in whole[1].items()})
    assert len(numbers) == 400 - len([i for i in range(400) if i % 37 == 5])
    top = numbers[0]  # the first row appended below the template's own
    assert numbers[:6] == [top, top + 1, top + 2, top + 3, top + 4, top + 6]  # a blank row skipped, numbers kept
    assert cells["name"][-1] == "学生399" and cells[COLUMNS[0].key][-1] == ""


@pytest.mark.parametrize(("merge", "formula"), [("C300:D300", None), (None, "F350"), ("B20:C20", "E390")])
def test_merged_cells_and_formulas_are_found_in_any_part(
    monkeypatch: pytest.MonkeyPatch, merge: str | None, formula: str | None
) -> None:
    data = workbook(people(400), merge=merge, formula=formula)
    whole, in_parts, count, _ = read_both(data, monkeypatch)
    assert count == sheet_parts.MAX_PARTS
    assert in_parts == whole
    assert in_parts[0] == [] and in_parts[2]
    messages = " ".join(e.message for e in in_parts[2])
    assert ("合并单元格" in messages) == bool(merge) and ("公式" in messages) == bool(formula)


def test_a_wrong_header_is_refused_without_reading_the_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    book = load_workbook(io.BytesIO(workbook(people(400))))
    book.worksheets[0]["B1"] = "不是表头"
    out = io.BytesIO()
    book.save(out)
    whole, in_parts, _, _ = read_both(out.getvalue(), monkeypatch)
    assert in_parts == whole and in_parts[0] == [] and in_parts[2]


def test_not_a_workbook_is_refused_in_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheet_parts, "PART_BYTES", 8 << 10)
    numbers, cells, problems = student_import.read_columns(b"PK\x03\x04 not really a zip" * 1000)
    assert (numbers, cells) == ([], {})
    assert [p.message for p in problems] == ["文件不是有效的Excel（.xlsx）文件，请使用下载的学生信息模板"]
