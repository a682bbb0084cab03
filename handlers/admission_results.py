"""招生结果管理 (F-40), 统一招生录取 (F-41) and 录取新生核办 (F-44).

The county imports a five-column result file (Appendix B.2): all or nothing, every refused row named (Q-11).
A school admits students from the results naming it (one ``Admission`` each, through
``webapp.admissions.admit_graduate``'s rule in ``models.admission``); the admitting county passes or fails each
pending admission.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from python_calamine import CalamineError, CalamineWorkbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import admission as adm
from models.admission import Admission, AdmissionResult, AdmissionStatus
from models.errors import DomainError
from models.org import School, Stage
from models.student import Student, StudentStatus
from models.user import User

HEADERS = ("个人标识码(学籍号)", "学生姓名", "毕业学校标识码", "录取学校标识码", "教育阶段")
HEADER_ALIASES = {"个人标识码": HEADERS[0], "个人标识码（学籍号）": HEADERS[0]}
STAGES = {
    "小学": Stage.PRIMARY,
    "初中": Stage.JUNIOR,
    "高中": Stage.SENIOR,
    "普通高中": Stage.SENIOR,
    "1": Stage.PRIMARY,
    "2": Stage.JUNIOR,
    "3": Stage.SENIOR,
}


@dataclass(frozen=True)
class ResultRow:
    student_id: int
    school_id: int
    stage: Stage


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value if value is not None else "").strip()


def read(data: bytes) -> list[list[str]]:
    """The sheet's rows as text (header first); a file that is not a workbook is refused."""
    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    except (CalamineError, ValueError, OSError, IndexError) as err:
        raise DomainError("文件不是有效的Excel（.xlsx）文件，请使用下载的招生结果模板") from err
    rows = [[_text(v) for v in row] for row in sheet.to_python(skip_empty_area=False)]
    return [row for row in rows if any(row)]


def check(session: Session, county_id: int, rows: list[list[str]]) -> tuple[list[ResultRow], list[str]]:
    """Validate the header and every row; the errors name the row ("第3行：…")."""
    if not rows:
        return [], ["文件是空的：第1行应为招生结果模板的表头"]
    header = tuple(HEADER_ALIASES.get(h, h) for h in rows[0])
    if header != HEADERS:
        return [], [f"第1行：表头须恰为五列：{'、'.join(HEADERS)}"]
    good: list[ResultRow] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        problem, result = ("多于五列", None) if len(row) > 5 else _check_row(session, county_id, (row + [""] * 5)[:5])
        if problem is None and row[0] in seen:
            problem = f"与第{seen[row[0]]}行重复"
        seen.setdefault(row[0], number)
        if problem is not None:
            errors.append(f"第{number}行：{problem}")
        elif result is not None:
            good.append(result)
    return good, errors


def _check_row(session: Session, county_id: int, row: list[str]) -> tuple[str | None, ResultRow | None]:
    number, name, from_code, to_code, stage_text = row
    student = session.scalars(select(Student).where(Student.national_student_id == number)).first() if number else None
    from_school = session.get(School, student.school_id) if student else None
    school = session.scalars(select(School).where(School.school_code == to_code)).first()
    stage = STAGES.get(stage_text)
    problem = None
    if student is None:
        problem = f"学籍号{number or '（空）'}不存在"
    elif student.name != name:
        problem = f"学籍号{number}与姓名{name}不匹配"
    elif student.status != StudentStatus.GRADUATED:
        problem = f"{name}的学籍状态是非毕业生"
    elif from_school is None or from_school.school_code != from_code:
        problem = f"毕业学校标识码{from_code}不是{name}的毕业学校"
    elif school is None:
        problem = f"录取学校标识码{to_code}不存在"
    elif school.record_authority_id != county_id:
        problem = f"录取学校{school.name}不属本区县管理，跨区县请走自主招生"
    elif stage is None:
        problem = f"教育阶段{stage_text}无效（小学/初中/高中）"
    elif stage.value not in school.stages.split(","):
        problem = f"录取学校{school.name}没有{stage.label}阶段"
    if problem is not None or student is None or school is None or stage is None:
        return problem, None
    return None, ResultRow(student.id, school.org_id, stage)


def add_manually(
    session: Session, actor: User, *, number: str, name: str, school_code: str, stage: str, now: datetime
) -> AdmissionResult:
    """招生结果 手工增加: one row, checked like an imported one (the graduating school is the student's)."""
    student = session.scalars(select(Student).where(Student.national_student_id == number)).first()
    from_school = session.get(School, student.school_id) if student else None
    row = [number, name, from_school.school_code if from_school else "", school_code, stage]
    rows, errors = check(session, actor.org_id, [list(HEADERS), row])
    if errors:
        raise DomainError(errors[0].removeprefix("第2行："))
    return add_result(session, actor, rows[0], now=now)


def results_of_county(session: Session, county_id: int) -> list[AdmissionResult]:
    return list(
        session.scalars(
            select(AdmissionResult).where(AdmissionResult.county_id == county_id).order_by(AdmissionResult.id)
        )
    )


def import_results(session: Session, actor: User, data: bytes, *, now: datetime) -> int:
    """招生结果 excel导入 by the county: everything or nothing."""
    rows, errors = check(session, actor.org_id, read(data))
    if errors:
        raise ImportRefused(errors)
    for row in rows:
        add_result(session, actor, row, now=now)
    session.flush()
    return len(rows)


class ImportRefused(DomainError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"导入失败，共{len(errors)}行有误，未导入任何数据")
        self.errors = errors


def add_result(session: Session, actor: User, row: ResultRow, *, now: datetime) -> AdmissionResult:
    result = AdmissionResult(
        student_id=row.student_id,
        school_id=row.school_id,
        stage=row.stage,
        county_id=actor.org_id,
        created_by_id=actor.id,
        created_at=now,
    )
    session.add(result)
    return result


def results_for_school(session: Session, school_id: int, stage: Stage | None = None) -> list[AdmissionResult]:
    """F-41: the results naming this school and not yet admitted."""
    query = select(AdmissionResult).where(
        AdmissionResult.school_id == school_id, AdmissionResult.admission_id.is_(None)
    )
    if stage is not None:
        query = query.where(AdmissionResult.stage == stage)
    return list(session.scalars(query.order_by(AdmissionResult.id)))


def pending_for_county(session: Session, county_id: int, stage: Stage | None = None) -> list[Admission]:
    """F-44: admissions of the county's schools awaiting its review."""
    query = (
        select(Admission)
        .join(School, School.org_id == Admission.school_id)
        .where(School.record_authority_id == county_id, Admission.status == AdmissionStatus.PENDING)
    )
    if stage is not None:
        query = query.where(Admission.stage == stage)
    return list(session.scalars(query.order_by(Admission.id)))


def review(session: Session, actor: User, admission_ids: Sequence[int], *, passed: bool, now: datetime) -> int:
    """录取新生核办: pass ⇒ 录取; fail ⇒ 不录取 (the student stays a graduate of the old school)."""
    pending = {a.id: a for a in pending_for_county(session, actor.org_id)}
    if not admission_ids or any(i not in pending for i in admission_ids):
        raise DomainError("只能核办本区县学校待核办的录取")
    chosen = [pending[i] for i in admission_ids]
    for admission in chosen:
        if passed:
            adm.admit(session, admission, actor, now=now, instance_id=None)
        else:
            adm.reject(session, admission, actor, now=now, instance_id=None)
    session.flush()
    return len(chosen)


# -- 外地就读学生核办 (F-45) and 调取新生档案 (F-48) ---------------------------------------------------------------


def origin_pending(session: Session, county_id: int) -> list[Admission]:
    """Out-of-area admissions of the county's graduates awaiting its review (the origin county = the record
    authority of the graduating school)."""
    return list(
        session.scalars(
            select(Admission)
            .join(Student, Student.id == Admission.student_id)
            .join(School, School.org_id == Student.school_id)
            .where(
                School.record_authority_id == county_id,
                Admission.status == AdmissionStatus.ADMITTED,
                Admission.origin_review == adm.ORIGIN_PENDING,
            )
            .order_by(Admission.id)
        )
    )


def origin_review(session: Session, actor: User, admission_ids: Sequence[int], *, passed: bool, now: datetime) -> int:
    """外地就读学生核办: pass ⇒ the admitting school may pull the archive; fail ⇒ 不录取, still a graduate here."""
    pending = {a.id: a for a in origin_pending(session, actor.org_id)}
    if not admission_ids or any(i not in pending for i in admission_ids):
        raise DomainError("只能核办本区县毕业生的外地就读录取")
    for admission_id in admission_ids:
        admission = pending[admission_id]
        admission.origin_review = "通过" if passed else "不通过"
        if not passed:
            adm.reject(session, admission, actor, now=now, instance_id=None)
    session.flush()
    return len(admission_ids)


def pullable(session: Session, school_id: int) -> list[Admission]:
    """调取新生档案 is offered for the school's admitted students still at their graduating school, once no
    origin review is pending (not out of area, or the graduating authority approved)."""
    return list(
        session.scalars(
            select(Admission)
            .join(Student, Student.id == Admission.student_id)
            .where(
                Admission.school_id == school_id,
                Admission.status == AdmissionStatus.ADMITTED,
                Student.status == StudentStatus.GRADUATED,
                (Admission.origin_review.is_(None)) | (Admission.origin_review == "通过"),
            )
            .order_by(Admission.id)
        )
    )


def pull(session: Session, actor: User, admission_ids: Sequence[int]) -> int:
    offered = {a.id: a for a in pullable(session, actor.org_id)}
    if not admission_ids or any(i not in offered for i in admission_ids):
        raise DomainError("只能调取本校已录取且已通过核办的新生档案")
    for admission_id in admission_ids:
        adm.lock_student(session, offered[admission_id].student_id)
        adm.move_to_school(session, offered[admission_id], actor, instance_id=None)
    session.flush()
    return len(admission_ids)


NEXT_STAGE = {Stage.PRIMARY: "初中", Stage.JUNIOR: "高中"}


def graduates_for_admission(session: Session, students: Sequence[Student]) -> list[list[str]]:
    """导出招生excel (F-40): graduates of a compulsory stage in the five-column layout of the result import, the
    录取学校标识码 left for the admissions office to fill. Students already holding an admission are left out."""
    admitted = set(
        session.scalars(
            select(Admission.student_id).where(
                Admission.student_id.in_([s.id for s in students]),
                Admission.status.in_([AdmissionStatus.PENDING, AdmissionStatus.ADMITTED, AdmissionStatus.DUPLICATE]),
            )
        )
    )
    rows = []
    for student in students:
        stage = student.school_class.cohort.stage if student.school_class else None
        if student.status != StudentStatus.GRADUATED or stage not in NEXT_STAGE or student.id in admitted:
            continue
        school = session.get_one(School, student.school_id)
        rows.append([student.national_student_id or "", student.name, school.school_code, "", NEXT_STAGE[stage]])
    return rows
