"""招生结果管理 (F-40), 统一招生录取 (F-41) and 录取新生核办 (F-44).

The county imports a five-column result file (Appendix B.2): all or nothing, every refused row named (Q-11).
A county holds one result per graduate, stage and year: a row naming the school the graduate already has a result
for is a repeated import and is refused; a row naming another school changes the result, as long as no admission
is under way from it (none yet, or the county failed it) — otherwise it is refused, naming the admission's state.
A school admits students from the results naming it (one ``Admission`` each, through
``webapp.admissions.admit_graduate``'s rule in ``models.admission``); the admitting county passes or fails each
pending admission.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import NamedTuple

from python_calamine import CalamineError, CalamineWorkbook
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload, selectinload

from models import admission as adm
from models import audit
from models.admission import Admission, AdmissionResult, AdmissionStatus
from models.crypto import id_index
from models.dedup import scalars_among
from models.errors import DomainError
from models.org import OrgUnit, School, Stage
from models.school_year import new_cohort_refusal
from models.student import Student, StudentStatus, has_national_id
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
    replaces: int | None = None  # the county's earlier result of the student, naming another school


# What the lists of admissions show of each row: the student, the graduating school and the admitting school.
ADMISSION_SHOWN = (
    joinedload(Admission.student).joinedload(Student.school),
    joinedload(Admission.school).joinedload(School.org),
)


class Imported(NamedTuple):
    added: int
    changed: int  # earlier results given another admitting school


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


def check(
    session: Session, county_id: int, rows: list[list[str]], *, now: datetime
) -> tuple[list[ResultRow], list[str]]:
    """Validate the header and every row; the errors name the row ("第3行：…")."""
    if not rows:
        return [], ["文件是空的：第1行应为招生结果模板的表头"]
    header = tuple(HEADER_ALIASES.get(h, h) for h in rows[0])
    if header != HEADERS:
        return [], [f"第1行：表头须恰为五列：{'、'.join(HEADERS)}"]
    earlier = _results_of_year(session, county_id, now.year)
    known = _Known.of(session, [(row + [""] * 5)[:5] for row in rows[1:]])
    good: list[ResultRow] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        problem, result = ("多于五列", None) if len(row) > 5 else _check_row(known, county_id, (row + [""] * 5)[:5])
        if problem is None and row[0] in seen:
            problem = f"与第{seen[row[0]]}行重复"
        seen.setdefault(row[0], number)
        if problem is None and result is not None:
            problem, result = _against_earlier(earlier.get((result.student_id, result.stage)), result)
        if problem is not None:
            errors.append(f"第{number}行：{problem}")
        elif result is not None:
            good.append(result)
    return good, errors


def _results_of_year(session: Session, county_id: int, year: int) -> dict[tuple[int, Stage], AdmissionResult]:
    """The county's results of the year by (student, stage); of results repeated before this rule, the latest."""
    results = session.scalars(
        select(AdmissionResult)
        .options(joinedload(AdmissionResult.school).joinedload(School.org), selectinload(AdmissionResult.admission))
        .where(
            AdmissionResult.county_id == county_id,
            AdmissionResult.created_at >= datetime(year, 1, 1, tzinfo=UTC),
            AdmissionResult.created_at < datetime(year + 1, 1, 1, tzinfo=UTC),
        )
        .order_by(AdmissionResult.id)
    )
    return {(r.student_id, r.stage): r for r in results}


def _against_earlier(earlier: AdmissionResult | None, row: ResultRow) -> tuple[str | None, ResultRow | None]:
    """A row for a graduate who already has a result: refused when repeated; a change of school when the earlier
    result has no admission under way (the county's new decision); refused otherwise."""
    if earlier is None:
        return None, row
    if earlier.school_id == row.school_id:
        return f"该学生已有招生结果（录取学校{earlier.school.name}，{earlier.state_label}），请勿重复导入", None
    if earlier.admission is None or earlier.admission.status in (AdmissionStatus.REJECTED, AdmissionStatus.DELETED):
        return None, replace(row, replaces=earlier.id)
    hint = "，如需改录请先在录取新生核办中不通过该录取" if earlier.admission.status == AdmissionStatus.PENDING else ""
    return f"该学生已由{earlier.school.name}招生录取（{earlier.state_label}），不能改为其他录取学校{hint}", None


@dataclass(frozen=True)
class _Known:
    """The students and schools a file names, read for the whole file at once."""

    students: dict[str, Student]  # by 学籍号
    schools: dict[int, School]  # the students' schools, by id
    by_code: dict[str, School]  # the admitting schools, by 学校标识码

    @classmethod
    def of(cls, session: Session, rows: list[list[str]]) -> _Known:
        students: dict[str, Student] = {}
        query = select(Student).order_by(Student.id)
        indexes = [id_index(r[0]) for r in rows if r[0]]
        for student in scalars_among(session, query, Student.national_id_index, indexes):
            students.setdefault(student.national_student_id or "", student)
        school_query = select(School).options(joinedload(School.org))
        student_schools = [s.school_id for s in students.values()]
        schools = {s.org_id: s for s in scalars_among(session, school_query, School.org_id, student_schools)}
        by_code = {
            s.school_code: s for s in scalars_among(session, school_query, School.school_code, [r[3] for r in rows])
        }
        return cls(students, schools, by_code)


def _check_row(known: _Known, county_id: int, row: list[str]) -> tuple[str | None, ResultRow | None]:
    number, name, from_code, to_code, stage_text = row
    student = known.students.get(number) if number else None
    if student is None:
        return f"学籍号{number or '（空）'}不存在", None
    from_school = known.schools.get(student.school_id)
    school = known.by_code.get(to_code) if to_code else None
    stage = STAGES.get(stage_text)
    graduating = from_school.school_code if from_school else None
    rules = (  # in column order; the first that fails is the row's error
        (student.name != name, f"学籍号{number}与姓名{name}不匹配"),
        (student.status != StudentStatus.GRADUATED, f"{name}的学籍状态是非毕业生"),
        (not from_code, "未填写毕业学校标识码"),
        (graduating != from_code, f"毕业学校标识码{from_code}不是{name}的毕业学校"),
        (not to_code, "未填写录取学校标识码"),
        (school is None, f"录取学校标识码{to_code}不存在"),
    )
    problem = next((message for failed, message in rules if failed), None)
    if problem is not None or school is None:
        return problem, None
    if school.record_authority_id != county_id:
        return f"录取学校{school.name}不属本区县管理，跨区县请走自主招生", None
    if stage is None:
        return f"教育阶段{stage_text}无效（小学/初中/高中）", None
    if stage not in school.stage_list:
        return f"录取学校{school.name}没有{stage.label}阶段", None
    return None, ResultRow(student.id, school.org_id, stage)


def _one_writer_per_county(session: Session, county_id: int) -> None:
    """Imports and manual additions of one county wait for each other (the county's row, locked until commit):
    "one result per graduate" is checked against what the other one wrote, not against what it had not yet."""
    session.execute(select(OrgUnit.id).where(OrgUnit.id == county_id).with_for_update())


def add_manually(
    session: Session, actor: User, *, number: str, name: str, school_code: str, stage: str, now: datetime
) -> AdmissionResult:
    """招生结果 手工增加: one row, checked like an imported one (the graduating school is the student's)."""
    student = session.scalars(select(Student).where(has_national_id(number))).first()
    from_school = session.get(School, student.school_id) if student else None
    row = [number, name, from_school.school_code if from_school else "", school_code, stage]
    _one_writer_per_county(session, actor.org_id)
    rows, errors = check(session, actor.org_id, [list(HEADERS), row], now=now)
    if errors:
        raise DomainError(errors[0].removeprefix("第2行："))
    return save_result(session, actor, rows[0], now=now)


def results_of_county(session: Session, county_id: int) -> list[AdmissionResult]:
    return list(
        session.scalars(
            select(AdmissionResult)
            .where(AdmissionResult.county_id == county_id)
            .options(
                joinedload(AdmissionResult.student),
                joinedload(AdmissionResult.school).joinedload(School.org),
                selectinload(AdmissionResult.admission),
            )
            .order_by(AdmissionResult.id)
        )
    )


def refusals(session: Session, actor: User, data: bytes, *, now: datetime) -> list[str]:
    """The per-row errors of a result file, without importing it (the refused import's page, shown again)."""
    return check(session, actor.org_id, read(data), now=now)[1]


def import_results(session: Session, actor: User, data: bytes, *, now: datetime) -> Imported:
    """招生结果 excel导入 by the county: everything or nothing."""
    _one_writer_per_county(session, actor.org_id)
    rows, errors = check(session, actor.org_id, read(data), now=now)
    if errors:
        raise ImportRefused(errors)
    for row in rows:
        save_result(session, actor, row, now=now)
    session.flush()
    changed = sum(row.replaces is not None for row in rows)
    return Imported(len(rows) - changed, changed)


class ImportRefused(DomainError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"导入失败，共{len(errors)}行有误，未导入任何数据")
        self.errors = errors


def save_result(session: Session, actor: User, row: ResultRow, *, now: datetime) -> AdmissionResult:
    """A new result, or the earlier one ``row.replaces`` given the new admitting school (the school it named
    no longer sees it; the new one may admit)."""
    if row.replaces is None:
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
    result = session.get_one(AdmissionResult, row.replaces)
    audit.record(
        session,
        actor=actor,
        action="招生结果变更",
        entity="admission_result",
        entity_id=result.id,
        before={"school_id": result.school_id, "admission_id": result.admission_id},
        after={"school_id": row.school_id, "student_id": result.student_id},
    )
    result.school_id, result.admission_id, result.created_by_id, result.created_at = row.school_id, None, actor.id, now
    return result


def results_for_school(session: Session, school_id: int, stage: Stage | None = None) -> list[AdmissionResult]:
    """F-41: the results naming this school and not yet admitted, or whose admission the county failed (F-44) —
    unless the student has since been admitted by another school (a failed arbitration, F-46)."""
    other = aliased(Admission)
    held = select(other.id).where(
        other.student_id == AdmissionResult.student_id, other.status == AdmissionStatus.ADMITTED
    )
    query = (
        select(AdmissionResult)
        .outerjoin(Admission, Admission.id == AdmissionResult.admission_id)
        .options(
            contains_eager(AdmissionResult.admission),
            joinedload(AdmissionResult.student).joinedload(Student.school),
        )
        .where(
            AdmissionResult.school_id == school_id,
            AdmissionResult.admission_id.is_(None) | ((Admission.status == AdmissionStatus.REJECTED) & ~held.exists()),
        )
    )
    if stage is not None:
        query = query.where(AdmissionResult.stage == stage)
    return list(session.scalars(query.order_by(AdmissionResult.id)))


class Admittable(NamedTuple):
    results: list[AdmissionResult]  # to admit, in the order chosen
    refusals: list[str]  # why the others wait: the school has not set up the new year for their stage


def admittable(session: Session, actor: User, result_ids: Sequence[int]) -> Admittable:
    """统一招生录取 (F-41): the chosen results naming the actor's school. The school's setup for the new year is
    checked once per stage (``models.school_year``), not once per student: the results of a stage it has not set
    up are held back under one refusal."""
    if not result_ids:
        raise DomainError("请勾选要录取的学生")
    results = {r.id: r for r in results_for_school(session, actor.org_id)}
    chosen = [results[i] for i in dict.fromkeys(result_ids) if i in results]
    if len(chosen) != len(set(result_ids)):
        raise DomainError("只能录取本校招生结果名单中尚未录取的学生")
    setup = {key: new_cohort_refusal(session, *key) for key in dict.fromkeys((r.school_id, r.stage) for r in chosen)}
    ready = [r for r in chosen if setup[(r.school_id, r.stage)] is None]
    return Admittable(ready, list(dict.fromkeys(m for m in setup.values() if m is not None)))


def pending_for_county_query(county_id: int) -> Select[Admission]:
    """F-44: admissions of the county's schools awaiting its review (the list, and the 待办 count)."""
    return (
        select(Admission)
        .join(School, School.org_id == Admission.school_id)
        .where(School.record_authority_id == county_id, Admission.status == AdmissionStatus.PENDING)
    )


def pending_for_county(session: Session, county_id: int, stage: Stage | None = None) -> list[Admission]:
    query = pending_for_county_query(county_id).options(*ADMISSION_SHOWN)
    if stage is not None:
        query = query.where(Admission.stage == stage)
    return list(session.scalars(query.order_by(Admission.id)))


def review(session: Session, actor: User, admission_ids: Sequence[int], *, passed: bool, now: datetime) -> int:
    """录取新生核办: pass ⇒ 录取; fail ⇒ 不录取 (the student stays a graduate of the old school)."""
    if not admission_ids:
        raise DomainError("请勾选要核办的学生")
    pending = {a.id: a for a in pending_for_county(session, actor.org_id)}
    if any(i not in pending for i in admission_ids):
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


def origin_pending_query(county_id: int) -> Select[Admission]:
    """Out-of-area admissions of the county's graduates awaiting its review (the origin county = the record
    authority of the graduating school)."""
    return (
        select(Admission)
        .join(Student, Student.id == Admission.student_id)
        .join(School, School.org_id == Student.school_id)
        .where(
            School.record_authority_id == county_id,
            Admission.status == AdmissionStatus.ADMITTED,
            Admission.origin_review == adm.ORIGIN_PENDING,
        )
    )


def origin_pending(session: Session, county_id: int) -> list[Admission]:
    query = origin_pending_query(county_id).options(*ADMISSION_SHOWN).order_by(Admission.id)
    return list(session.scalars(query))


def origin_review(session: Session, actor: User, admission_ids: Sequence[int], *, passed: bool, now: datetime) -> int:
    """外地就读学生核办: pass ⇒ the admitting school may pull the archive; fail ⇒ 不录取, still a graduate here."""
    if not admission_ids:
        raise DomainError("请勾选要核办的学生")
    pending = {a.id: a for a in origin_pending(session, actor.org_id)}
    if any(i not in pending for i in admission_ids):
        raise DomainError("只能核办本区县毕业生的外地就读录取")
    for admission_id in admission_ids:
        admission = pending[admission_id]
        admission.origin_review = "通过" if passed else "不通过"
        if not passed:
            adm.reject(session, admission, actor, now=now, instance_id=None)
    session.flush()
    return len(admission_ids)


def pullable_query(school_id: int) -> Select[Admission]:
    """调取新生档案 is offered for the school's admitted students still at their graduating school, once no
    origin review is pending (not out of area, or the graduating authority approved)."""
    return (
        select(Admission)
        .join(Student, Student.id == Admission.student_id)
        .where(
            Admission.school_id == school_id,
            Admission.status == AdmissionStatus.ADMITTED,
            Student.status == StudentStatus.GRADUATED,
            (Admission.origin_review.is_(None)) | (Admission.origin_review == "通过"),
        )
    )


def pullable(session: Session, school_id: int) -> list[Admission]:
    return list(session.scalars(pullable_query(school_id).options(*ADMISSION_SHOWN).order_by(Admission.id)))


def pull(session: Session, actor: User, admission_ids: Sequence[int]) -> int:
    if not admission_ids:
        raise DomainError("请勾选要调档的学生")
    offered = {a.id: a for a in pullable(session, actor.org_id)}
    if any(i not in offered for i in admission_ids):
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
