"""The first sheet of an uploaded .xlsx read on both cores: a large sheet in parts, each parsed while the rows of the
one before are made.

python-calamine parses a sheet in Rust without the GIL (about 4.5 s for 100,000 rows × 40 columns) and then makes its
cells as Python objects with the GIL (about 3 s): done one after the other, one core waits. A sheet whose XML is
large is therefore cut, in one streaming pass, at row boundaries into parts written as stored (uncompressed) copies
of the workbook, each with the whole of the workbook's other parts (shared strings, styles) and the sheet's head;
calamine parses them two at a time while the caller takes the rows of the parts already parsed. Rows keep their
sheet positions (each part's rows carry the row and column its range starts at). The same pass looks for formula
cells. A small sheet, or one this cutting does not understand (a strict package, a namespace prefix, rows without
their number), is parsed whole, as before, with the formula scan beside it.
"""

from __future__ import annotations

import io
import posixpath
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from lxml import etree
from python_calamine import CalamineSheet, CalamineWorkbook

PART_BYTES = 40 << 20  # of sheet XML per part: a 100,000-row sheet of the template (162 MB) makes 4
MAX_PARTS = 4
CHUNK = 1 << 22
ROW = b'<row r="'  # a cut is made only before a row that names its number
SHEET_DATA = b"<sheetData>"
CLOSE = b"</sheetData></worksheet>"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
RELATION = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


@dataclass
class Part:
    first_row: int  # 0-based sheet row of rows[0]
    first_column: int  # 0-based sheet column of each row's first cell
    rows: list[list[Any]]


@dataclass
class FirstSheet:
    """The parts of the first sheet, parsed in the background from the moment it is made; use as a context manager.
    ``formulas`` says whether the sheet may hold a formula (``<f`` occurs); ``merged`` fills as parts are read."""

    formulas: bool = False
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    _futures: list[Future[CalamineSheet]] = field(default_factory=list)
    _pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(max_workers=2))
    _folder: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> FirstSheet:
        return self

    def __exit__(self, *_exc: object) -> None:
        for future in self._futures:
            future.cancel()
        self._pool.shutdown(wait=True)
        if self._folder is not None:
            self._folder.cleanup()

    def parts(self) -> Iterator[Part]:
        """Each part's rows in sheet order (raising calamine's error of a part that does not parse); a part's
        parsed sheet is let go once its rows are made."""
        while self._futures:
            sheet = self._futures.pop(0).result()
            self.merged += sheet.merged_cell_ranges or []
            start = sheet.start
            if start is not None:
                yield Part(start[0], start[1], sheet.to_python())

    def rest(self) -> None:
        """The merged cells of the parts not read (the rows of a sheet refused by its header are never made)."""
        while self._futures:
            self.merged += self._futures.pop(0).result().merged_cell_ranges or []


def open_first_sheet(data: bytes) -> FirstSheet:
    """Start reading the first sheet of ``data``. Calamine's errors of a file that is not a workbook come from
    ``parts()``."""
    sheet = FirstSheet()
    try:
        if not _cut(sheet, data):
            sheet._futures.append(sheet._pool.submit(_parse, io.BytesIO(data)))
            sheet.formulas = _scan_formulas(data)
    except BaseException:
        sheet.__exit__()
        raise
    return sheet


def _parse(source: str | IO[bytes]) -> CalamineSheet:
    book = CalamineWorkbook.from_path(source) if isinstance(source, str) else CalamineWorkbook.from_filelike(source)
    return book.get_sheet_by_index(0)


def _first_sheet(archive: zipfile.ZipFile) -> zipfile.ZipInfo | None:
    """The part of the workbook's first sheet (calamine's sheet 0), or None where the package is not the usual
    transitional one."""
    book = etree.fromstring(archive.read("xl/workbook.xml"), parser=SAFE_XML)
    first = book.find(f"{MAIN}sheets/{MAIN}sheet")
    if first is None:
        return None
    relations = etree.fromstring(archive.read("xl/_rels/workbook.xml.rels"), parser=SAFE_XML)
    target = next((r.get("Target", "") for r in relations if r.get("Id") == first.get(f"{RELATION}id")), "")
    name = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
    return archive.getinfo(name) if target else None


def _scan_formulas(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = sorted(n for n in archive.namelist() if n.startswith("xl/worksheets/sheet"))
            if not names:
                return False
            with archive.open(names[0]) as xml:
                return _has_formula(xml)
    except (zipfile.BadZipFile, KeyError, OSError, zlib.error):
        return False  # calamine then says what is wrong with the file


def _has_formula(xml: IO[bytes]) -> bool:
    """Whether ``<f`` occurs, read in chunks (a 100,000-row sheet is hundreds of MB unpacked)."""
    tail = b""
    while chunk := xml.read(CHUNK):
        if b"<f" in tail + chunk[:1] or b"<f" in chunk:
            return True
        tail = chunk[-1:]
    return False


def _cut(sheet: FirstSheet, data: bytes) -> bool:
    """Write the parts and submit each to be parsed as soon as it is whole; False (nothing submitted) for a sheet
    to parse whole."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        info = _first_sheet(archive)
        if info is None or info.file_size < 2 * PART_BYTES:
            return False
        xml = archive.open(info)
        first = xml.read(CHUNK)
    except (zipfile.BadZipFile, KeyError, OSError, zlib.error, RuntimeError, etree.XMLSyntaxError):
        return False
    body = first.find(SHEET_DATA)
    start = first.find(ROW, body)
    if body < 0 or start < 0 or b"<worksheet" not in first[:body]:
        return False
    others = {i.filename: archive.read(i) for i in archive.infolist() if i.filename != info.filename}
    count = min(MAX_PARTS, info.file_size // PART_BYTES)
    sheet._folder = tempfile.TemporaryDirectory(prefix="xueji-sheet-")
    writer = _PartWriter(Path(sheet._folder.name), info.filename, first[:start], others)
    chunk, done, last = first[start:], start, b""
    with xml:
        while chunk:
            sheet.formulas = sheet.formulas or b"<f" in last + chunk[:1] or b"<f" in chunk
            while writer.count < count and done + len(chunk) > (target := info.file_size * writer.count // count):
                at = chunk.find(ROW, max(0, target - done))
                if at < 0:
                    break
                writer.write(chunk[:at])
                sheet._futures.append(sheet._pool.submit(_parse, writer.close(CLOSE)))
                chunk, done = chunk[at:], done + at
                writer.begin()
            writer.write(chunk)
            done += len(chunk)
            last = chunk[-1:]
            chunk = xml.read(CHUNK)
    sheet._futures.append(sheet._pool.submit(_parse, writer.close(b"")))
    return True


class _PartWriter:
    """Stored copies of the workbook, each with one part of the sheet's rows."""

    def __init__(self, folder: Path, name: str, head: bytes, others: dict[str, bytes]) -> None:
        self.folder, self.name, self.head, self.others = folder, name, head, others
        self.count = 0
        self.begin()

    def begin(self) -> None:
        self.path = str(self.folder / f"part{self.count}.xlsx")
        self.book = zipfile.ZipFile(self.path, "w", zipfile.ZIP_STORED)
        for name, content in self.others.items():
            self.book.writestr(name, content)
        self.sheet = self.book.open(self.name, "w", force_zip64=True)
        self.sheet.write(self.head)
        self.count += 1

    def write(self, rows: bytes) -> None:
        self.sheet.write(rows)

    def close(self, tail: bytes) -> str:
        self.sheet.write(tail)
        self.sheet.close()
        self.book.close()
        return self.path
