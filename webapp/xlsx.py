"""Excel export of query pages (F-56, Rec.: every query exportable). Cells that a spreadsheet would read as a formula
(starting with = + - @, or a tab / carriage return) are written as text with a leading apostrophe."""

from __future__ import annotations

from io import BytesIO
from typing import Any
from urllib.parse import quote

from flask import Response
from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def workbook_bytes(title: str, headers: list[str], rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([safe_cell(h) for h in headers])
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def download(title: str, headers: list[str], rows: list[list[Any]]) -> Response:
    return Response(
        workbook_bytes(title, headers, rows),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(title)}.xlsx"},
    )
