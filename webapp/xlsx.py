"""Excel export of query pages (F-56, Rec.: every query exportable). Cells that a spreadsheet would read as a formula
(starting with = + - @, or a tab / carriage return) are written as text with a leading apostrophe."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO
from typing import Any
from unicodedata import east_asian_width
from urllib.parse import quote

from flask import Response, request
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from models.clock import display_zone
from models.job import Progress, no_progress
from models.user import Role, User

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Columns holding an ID number (the 学籍号 is G + the ID number): masked in exports (issue 22 item 6) unless a role
# of FULL_VALUE_ROLES asks for full values and says why (logged with the export).
ID_HEADERS = frozenset({"学籍号", "身份证件号", "身份证号", "个人标识码(学籍号)"})
FULL_VALUE_ROLES = (Role.COUNTY_OFFICER, Role.CITY_OFFICER, Role.PROVINCE_OFFICER, Role.NATIONAL_OFFICER)
WIDTH_SAMPLE = 1000  # rows measured for column widths: enough to see the data's shape, cheap on big exports
MAX_WIDTH = 60
PROGRESS_EVERY = 500  # rows between two progress reports of an export job


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def mask(value: Any) -> Any:
    """First 6 and last 4 characters only (Q-40, as on the pages)."""
    if not isinstance(value, str) or len(value) < 11:  # noqa: PLR2004
        return value
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def masked(headers: list[str], rows: list[list[Any]]) -> list[list[Any]]:
    columns = [index for index, header in enumerate(headers) if header in ID_HEADERS]
    if not columns:
        return rows
    return [[mask(value) if index in columns else value for index, value in enumerate(row)] for row in rows]


def full_values(user: User) -> tuple[bool, str]:
    """Whether this export may carry full ID numbers: asked (``full=1``), by a role that may, with a reason
    (``purpose``); and the reason given, for the log."""
    purpose = (request.args.get("purpose") or "").strip()[:150]
    return request.args.get("full") == "1" and user.has_role(*FULL_VALUE_ROLES) and bool(purpose), purpose


def may_ask_full_values(user: User) -> bool:
    return user.has_role(*FULL_VALUE_ROLES)


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


def workbook_bytes(
    title: str, headers: list[str], rows: list[list[Any]], *, mark: str = "", progress: Progress = no_progress
) -> bytes:
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
    for done, row in enumerate(rows):
        if done % PROGRESS_EVERY == 0:
            progress(done, len(rows), "写入Excel")
        sheet.append([safe_cell(value) for value in row])
    progress(len(rows), len(rows), "写入Excel")
    fit_columns(sheet, headers, rows)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def watermark(user: User) -> str:
    now = datetime.now(UTC).astimezone(display_zone()).strftime("%Y-%m-%d %H:%M")
    return f"导出：{user.org.name} {user.full_name} {now}，仅供工作使用，不得外传"


def download(
    title: str, headers: list[str], rows: list[list[Any]], *, by: User | None = None, full: bool = False
) -> Response:
    """An export; ID numbers masked unless ``full`` (see ``full_values``)."""
    shown = rows if full else masked(headers, rows)
    return Response(
        workbook_bytes(title, headers, shown, mark=watermark(by) if by is not None else ""),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(title)}.xlsx"},
    )
