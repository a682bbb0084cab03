"""Excel export of query pages (F-56, Rec.: every query exportable). Cells that a spreadsheet would read as a formula
(starting with = + - @, or a tab / carriage return) are written as text with a leading apostrophe."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO
from typing import Any
from unicodedata import east_asian_width
from urllib.parse import quote

from flask import Response
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from models.clock import display_zone
from models.user import User

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
WIDTH_SAMPLE = 1000  # rows measured for column widths: enough to see the data's shape, cheap on big exports
MAX_WIDTH = 60


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def display_width(value: Any) -> int:
    """Characters a cell shows, a Chinese character counting two."""
    text = "" if value is None else str(value)
    return sum(2 if east_asian_width(char) in "WF" else 1 for char in text)


def fit_columns(sheet: Worksheet, headers: list[str], rows: list[list[Any]]) -> None:
    """Columns wide enough for their header and values: a 19-character 学籍号 is read whole, not cut off."""
    for index, header in enumerate(headers):
        values = (row[index] for row in rows[:WIDTH_SAMPLE] if index < len(row))
        widest = max(display_width(value) for value in (header, *values))
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(widest + 2, MAX_WIDTH)


def workbook_bytes(title: str, headers: list[str], rows: list[list[Any]], *, mark: str = "") -> bytes:
    """``mark`` (who exported, when) goes into the page header and footer of every printed page and into the
    workbook's properties: an export that leaves the office still says whose it was."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    if mark:
        sheet.oddHeader.center.text = mark
        sheet.oddFooter.center.text = mark
        book.properties.creator = mark[:255]
        book.properties.description = mark
    sheet.append([safe_cell(h) for h in headers])
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
    fit_columns(sheet, headers, rows)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def watermark(user: User) -> str:
    now = datetime.now(UTC).astimezone(display_zone()).strftime("%Y-%m-%d %H:%M")
    return f"导出：{user.org.name} {user.full_name} {now}，仅供工作使用，不得外传"


def download(title: str, headers: list[str], rows: list[list[Any]], *, by: User | None = None) -> Response:
    return Response(
        workbook_bytes(title, headers, rows, mark=watermark(by) if by is not None else ""),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(title)}.xlsx"},
    )
