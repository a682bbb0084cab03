"""Prints (F-56, R17): the 学籍卡片 of one student and the 学生花名册 of a class, as A4 PDF.

The Chinese text is set in STSong-Light, one of the Adobe standard CID fonts that reportlab knows without a font
file: the server needs no font installed, and every PDF reader (Acrobat, WPS, Foxit, the browsers' viewers,
poppler with fontconfig's CJK fonts) supplies the glyphs, so no machine prints boxes. Each page carries the
printing user and time (who printed it, like the Excel exports' watermark).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Image, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.clock import local_text
from models.org import Cohort, OrgUnit, SchoolClass
from models.photo import StudentPhoto
from models.student import ID_DOC_TYPES, Guardian, Student, StudentStatus
from models.workflow import CaseStatus, ProcessInstance, ProcessVersion

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

TITLE = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22, alignment=1, spaceAfter=4 * mm)
SUBTITLE = ParagraphStyle("subtitle", fontName=FONT, fontSize=10, leading=14, alignment=1, spaceAfter=3 * mm)
HEADING = ParagraphStyle("heading", fontName=FONT, fontSize=11, leading=16, spaceBefore=4 * mm, spaceAfter=2 * mm)
CELL = ParagraphStyle("cell", fontName=FONT, fontSize=9, leading=12)
GRID = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
)
# Who is on a class's roster: the students the class still has, also while suspended or abroad.
ON_ROSTER = (StudentStatus.IN_SCHOOL, StudentStatus.SUSPENDED, StudentStatus.ABROAD)


@dataclass(frozen=True)
class Card:
    """学籍卡片: (label, value) pairs in the order printed, family members, and the record's changes."""

    school: str
    name: str
    fields: Sequence[tuple[str, str]]
    members: Sequence[Sequence[str]]  # 姓名, 关系, 联系电话, 是否监护人
    history: Sequence[Sequence[str]]  # 业务, 结果, 办结日期
    photo: bytes | None = None


@dataclass(frozen=True)
class Roster:
    """学生花名册 of one class: the heading and one row per student."""

    school: str
    class_name: str
    rows: Sequence[Sequence[Any]]


ROSTER_HEADERS = ("序号", "姓名", "性别", "出生日期", "民族", "全国学籍号", "身份证件号", "学籍状态")
ROSTER_WIDTHS = (10, 24, 10, 22, 18, 40, 40, 16)  # mm, the 180 between the margins


def _document(buffer: BytesIO, title: str, mark: str) -> tuple[SimpleDocTemplate, Any]:
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=mark,
    )

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawString(15 * mm, 9 * mm, mark)
        canvas.drawRightString(A4[0] - 15 * mm, 9 * mm, f"第 {doc.page} 页")
        canvas.restoreState()

    return document, footer


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _pairs_table(fields: Sequence[tuple[str, str]]) -> Table:
    """Two (label, value) pairs a line: 标签 | 值 | 标签 | 值."""
    lines = []
    for index in range(0, len(fields), 2):
        pair = list(fields[index : index + 2])
        while len(pair) < 2:
            pair.append(("", ""))
        lines.append([cell for label, value in pair for cell in (label, Paragraph(_text(value), CELL))])
    table = Table(lines, colWidths=[28 * mm, 62 * mm, 28 * mm, 62 * mm])
    table.setStyle(GRID)
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke)]))
    table.setStyle(TableStyle([("BACKGROUND", (2, 0), (2, -1), colors.whitesmoke)]))
    return table


def _list_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float]) -> Table:
    body = [list(headers)] + [[Paragraph(_text(v), CELL) for v in row] for row in rows]
    table = Table(body, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(GRID)
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))
    return table


def card_story(card: Card) -> list[Flowable]:
    story: list[Flowable] = [
        Paragraph("学籍卡片", TITLE),
        Paragraph(_text(card.school), SUBTITLE),
    ]
    if card.photo:
        try:
            image = Image(ImageReader(BytesIO(card.photo)), width=26 * mm, height=32 * mm)
            image.hAlign = "RIGHT"
            story.append(image)
        except OSError:  # a stored photo that no longer reads as an image: the card without it
            pass
    story.append(_pairs_table(card.fields))
    story.append(Paragraph("家庭成员或监护人", HEADING))
    story.append(
        _list_table(("姓名", "关系", "联系电话", "是否监护人"), card.members or [("", "", "", "")], (45, 35, 60, 40))
    )
    story.append(Paragraph("学籍变动记录", HEADING))
    story.append(_list_table(("业务", "结果", "办结日期"), card.history or [("无", "", "")], (80, 60, 40)))
    return story


ROSTER_CHUNK = 40  # rows per table: reportlab splits a long table across pages in time growing with its length


def roster_story(roster: Roster) -> list[Flowable]:
    """Plain-text cells (a Paragraph per cell costs ten times as much on a school of thousands), in tables of
    ROSTER_CHUNK rows, each with the header."""
    rows = [[_text(value) for value in row] for row in roster.rows] or [["", "无学生"]]
    story: list[Flowable] = [
        Paragraph("学生花名册", TITLE),
        Paragraph(f"{_text(roster.school)}　{_text(roster.class_name)}　共 {len(roster.rows)} 人", SUBTITLE),
    ]
    for start in range(0, len(rows), ROSTER_CHUNK):
        table = Table(
            [list(ROSTER_HEADERS), *rows[start : start + ROSTER_CHUNK]],
            colWidths=[w * mm for w in ROSTER_WIDTHS],
            repeatRows=1,
        )
        table.setStyle(GRID)
        table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))
        story.append(table)
    story += [
        Spacer(1, 6 * mm),
        Paragraph("班主任（签字）：　　　　　　　　学籍管理员（签字）：　　　　　　　　日期：", CELL),
    ]
    return story


# Where the seal sits on the first page (F-61 位置锁定): bottom right, above the footer; centre and radius in points.
SEAL_CENTRE = (A4[0] - 45 * mm, 40 * mm)
SEAL_RADIUS = 21 * mm


def draw_seal(canvas: Any, org_name: str) -> None:
    """A red round seal: a double ring, the five-pointed star, the organisation's name along the upper arc."""
    x, y = SEAL_CENTRE
    canvas.saveState()
    red = colors.Color(0.85, 0.05, 0.05, alpha=0.85)
    canvas.setStrokeColor(red)
    canvas.setFillColor(red)
    canvas.setLineWidth(2.2)
    canvas.circle(x, y, SEAL_RADIUS)
    canvas.setLineWidth(0.6)
    canvas.circle(x, y, SEAL_RADIUS - 2.2 * mm)
    star, outer, inner = canvas.beginPath(), SEAL_RADIUS * 0.32, SEAL_RADIUS * 0.13
    for point in range(10):
        radius = outer if point % 2 == 0 else inner
        angle = math.pi / 2 + point * math.pi / 5
        px, py = x + radius * math.cos(angle), y + radius * math.sin(angle)
        star.moveTo(px, py) if point == 0 else star.lineTo(px, py)
    star.close()
    canvas.drawPath(star, stroke=0, fill=1)
    name = org_name[:16]
    size = 9 if len(name) <= 10 else 7
    canvas.setFont(FONT, size)
    sweep = math.radians(min(220, 22 * len(name)))
    for index, char in enumerate(name):
        angle = math.pi / 2 + sweep / 2 - (sweep * (index + 0.5) / len(name))
        ring = SEAL_RADIUS - 2.2 * mm - size - 1
        canvas.saveState()
        canvas.translate(x + ring * math.cos(angle), y + ring * math.sin(angle))
        canvas.rotate(math.degrees(angle) - 90)
        canvas.drawCentredString(0, 0, char)
        canvas.restoreState()
    canvas.setFont(FONT, 7)
    canvas.drawCentredString(x, y - SEAL_RADIUS * 0.62, "电子印章")
    canvas.restoreState()


def pdf(stories: Iterable[list[Flowable]], *, title: str, mark: str, seal: str = "") -> bytes:
    """One PDF of the stories, each starting on a new page; ``seal``: the organisation whose seal image the first
    page carries (the signature is added afterwards, handlers.sealing)."""
    buffer = BytesIO()
    document, footer = _document(buffer, title, mark)
    story: list[Flowable] = []
    for part in stories:
        if story:
            story.append(PageBreak())
        story.extend(part)
    if not story:
        story.append(Paragraph("没有可打印的内容", TITLE))

    def first_page(canvas: Any, doc: Any) -> None:
        footer(canvas, doc)
        if seal:
            draw_seal(canvas, seal)

    document.build(story, onFirstPage=first_page, onLaterPages=footer)
    return buffer.getvalue()


# -- the data of the prints ------------------------------------------------------------------------------------------


def card_of(session: Session, student: Student) -> Card:
    profile = student.profile or {}
    klass = student.school_class
    fields = [
        ("姓名", student.name),
        ("性别", student.sex_label),
        ("出生日期", student.birth_date.isoformat()),
        ("民族", student.ethnicity),
        ("国籍/地区", student.nationality),
        ("身份证件类型", ID_DOC_TYPES.get(student.id_doc_type, student.id_doc_type)),
        ("身份证件号", student.id_doc_number or ""),
        ("全国学籍号", student.national_student_id or ""),
        ("年级", klass.cohort.name if klass else ""),
        ("班级", klass.name if klass else ""),
        ("学籍状态", student.status_label),
        ("入学年月", student.entry_month or ""),
        ("籍贯", profile.get("native_place", "")),
        ("户口性质", profile.get("hukou_type", "")),
        ("户口所在地", student.hukou_code or ""),
        ("健康状况", profile.get("health_status", "")),
        ("现住址", profile.get("current_address", "")),
        ("家庭地址", profile.get("home_address", "")),
    ]
    members = [
        (m.name, m.relation, m.phone, "是" if m.is_guardian else "否")
        for m in session.scalars(select(Guardian).where(Guardian.student_id == student.id).order_by(Guardian.seq))
    ]
    history = [
        (name, state, local_text(ended, "%Y-%m-%d"))
        for name, state, ended in session.execute(
            select(ProcessVersion.name, ProcessInstance.state_label, ProcessInstance.ended_at)
            .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
            .where(ProcessInstance.student_id == student.id, ProcessInstance.status == CaseStatus.COMPLETED)
            .order_by(ProcessInstance.ended_at)
        )
    ]
    photo = session.scalar(select(StudentPhoto.data).where(StudentPhoto.student_id == student.id))
    return Card(student.school.name, student.name, fields, members, history, photo)


def roster_of(session: Session, klass: SchoolClass, students: Sequence[Student] | None = None) -> Roster:
    """The class's students in the order of the roster (在校 and 休学 etc., not those gone: 转出, 毕业, 删除…)."""
    if students is None:
        students = session.scalars(
            select(Student)
            .where(Student.class_id == klass.id, Student.status.in_(ON_ROSTER))
            .order_by(Student.name, Student.id)
        ).all()
    rows = [
        (n, s.name, s.sex_label, s.birth_date.isoformat(), s.ethnicity, s.national_student_id or "",
         s.masked_id_number, s.status_label)
        for n, s in enumerate(students, start=1)
    ]  # fmt: skip
    school = session.scalar(select(OrgUnit.name).where(OrgUnit.id == klass.cohort.school_id)) or ""
    return Roster(school, f"{klass.cohort.name}{klass.name}", rows)


def school_rosters(session: Session, school_id: int) -> list[Roster]:
    """Every class of the school, by stage, cohort (newest first) and class number, with its students (one
    query for all of them)."""
    classes = session.scalars(
        select(SchoolClass)
        .join(Cohort, Cohort.id == SchoolClass.cohort_id)
        .where(Cohort.school_id == school_id)
        .order_by(Cohort.stage, Cohort.cohort_year.desc(), SchoolClass.class_no)
    ).all()
    by_class: dict[int, list[Student]] = {}
    for student in session.scalars(
        select(Student)
        .where(Student.school_id == school_id, Student.status.in_(ON_ROSTER), Student.class_id.is_not(None))
        .order_by(Student.name, Student.id)
    ):
        by_class.setdefault(student.class_id or 0, []).append(student)
    return [roster_of(session, klass, by_class.get(klass.id, [])) for klass in classes if by_class.get(klass.id)]


# -- 学生学籍信息确认表 (F-59) ----------------------------------------------------------------------------------------


def confirmation_story(card: Card, upload_code: str) -> list[Flowable]:
    """The form a parent checks and signs: the record as it stands, an empty 变更 column beside each line, the
    family members, and the 上传号 by which the photo of the signed form is uploaded."""
    rows: list[list[Any]] = [["项目", "当前信息", "变更（如有错误，请填写正确信息）"]]
    rows += [[label, Paragraph(_text(value), CELL), ""] for label, value in card.fields]
    table = Table(rows, colWidths=[30 * mm, 75 * mm, 75 * mm], repeatRows=1)
    table.setStyle(GRID)
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))
    return [
        Paragraph("学生学籍信息确认表", TITLE),
        Paragraph(f"{_text(card.school)}　基础信息表拍照上传号：{upload_code}", SUBTITLE),
        table,
        Paragraph("家庭成员或监护人", HEADING),
        _list_table(("姓名", "关系", "联系电话", "是否监护人"), card.members or [("", "", "", "")], (45, 35, 60, 40)),
        Spacer(1, 5 * mm),
        Paragraph(
            "请家长核对以上信息，在“变更”栏填写需更正的内容并签字；姓名、性别、出生日期、民族、身份证件类型、身份证件号"
            "的更正须提供户口簿等证明材料。签字后请在家长服务平台上传本表照片（或交班主任代传）。",
            CELL,
        ),
        Spacer(1, 8 * mm),
        Paragraph("家长（监护人）签字：　　　　　　　　　　　联系电话：　　　　　　　　　　日期：", CELL),
    ]
