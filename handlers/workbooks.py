"""Workbooks the handlers write (templates, files of failed rows) start here."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet


def new_workbook(title: str) -> tuple[Workbook, Worksheet]:
    """A new workbook and its one sheet, named ``title``."""
    book = Workbook()
    sheet = book.active
    if not isinstance(sheet, Worksheet):  # never: a new workbook has one worksheet (openpyxl types it optional)
        raise TypeError(f"a new workbook's first sheet is {type(sheet).__name__}")
    sheet.title = title
    return book, sheet
