"""统计报表 (F-57): the standard report per school and organisation level, and the process reports.

The per-student counts of the standard report are precomputed per school into ``report_count`` (one GROUP BY
over the student table, run by the periodic tick and on demand): the statistics page of a province then sums a
few rows per school instead of scanning millions of students, and stays fast at any size. Counts of business
(open cases, transfers, admissions) come from their smaller tables at the time of asking.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    String,
    and_,
    case,
    cast,
    delete,
    extract,
    func,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, Session, mapped_column

from models import codes
from models.admission import Admission, AdmissionPlan, AdmissionStatus
from models.base import Base, utcnow
from models.clock import as_utc
from models.org import Cohort, OrgLevel, OrgUnit, SchoolClass
from models.photo import StudentPhoto
from models.student import Student, StudentStatus
from models.validation import CHOICES, REQUIRED_TEXT
from models.workflow import CaseStatus, ProcessInstance


class ReportCount(Base):
    """One count of one organisation unit, e.g. (南明区, "sex:2", 5120): 在校 girls in its schools. Every unit above
    a school has its schools' sums, so that a page reads the rows of one unit and its children, never a scan of
    a province's schools. ``refreshed_at`` is when it was counted."""

    __tablename__ = "report_count"

    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    metric: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int]
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow)


# A metric's condition reads the columns of ``s``: the Student class itself, or (on PostgreSQL) a subquery with
# the same column names whose ``profile`` is parsed once per row (see _source).
Columns = Any


def _yes(s: Columns, key: str) -> ColumnElement[bool]:
    return _is(s, key, "是")


def _is(s: Columns, key: str, value: str) -> ColumnElement[bool]:
    condition: ColumnElement[bool] = s.profile[key].as_string() == value  # Columns is Any: the class or a subquery
    return condition


# The ★ fields of §3.7 kept in ``profile``: a record missing any of them is incomplete (data completeness).
REQUIRED_PROFILE = tuple(
    [key for key, (_label, _choices, required) in CHOICES.items() if required and key != "ethnicity"]
    + [key for key in REQUIRED_TEXT if key not in ("name", "nationality")]
)


def _complete(s: Columns) -> ColumnElement[bool]:
    present = [func.coalesce(s.profile[key].as_string(), "") != "" for key in REQUIRED_PROFILE]
    return and_(s.id_doc_number.is_not(None), *present)


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    condition: Callable[[Columns], ColumnElement[bool]]


# Counted among 在校 students (R11's school statistics table). Order = the columns of the report.
IN_SCHOOL_METRICS: tuple[Metric, ...] = (
    Metric("students", "在校生", lambda s: literal(True)),
    Metric("sex:1", "男", lambda s: s.sex == "1"),
    Metric("sex:2", "女", lambda s: s.sex == "2"),
    Metric("minority", "少数民族", lambda s: s.ethnicity != "汉族"),
    Metric("migrant", "随迁子女", lambda s: _yes(s, "is_migrant_child")),
    Metric("out_of_county", "非本县户籍", lambda s: s.is_out_of_county.is_(True)),
    Metric("left_behind", "留守儿童", lambda s: s.profile["left_behind"].as_string().in_(codes.LEFT_BEHIND[1:])),
    Metric("hukou:农业户口", "农业户口", lambda s: _is(s, "hukou_type", "农业户口")),
    Metric("hukou:非农业户口", "非农业户口", lambda s: _is(s, "hukou_type", "非农业户口")),
    Metric("orphan", "孤儿", lambda s: _yes(s, "is_orphan")),
    Metric("martyr", "烈士或优抚子女", lambda s: _yes(s, "is_martyr_child")),
    Metric("subsidy", "享受一补", lambda s: _yes(s, "receives_subsidy")),
    Metric("aid", "需要资助", lambda s: _yes(s, "needs_aid")),
    Metric(
        "disabled",
        "残疾",
        lambda s: func.coalesce(s.profile["disability_type"].as_string(), "无残疾") != "无残疾",
    ),
    Metric("problem", "问题学籍", lambda s: s.problem_type.is_not(None)),
    Metric("complete", "信息完整", _complete),
)
METRIC_LABELS = {m.key: m.label for m in IN_SCHOOL_METRICS}
SCHOOL_STRUCTURE = (("grades", "年级数"), ("classes", "班级数"))


def _source(session: Session) -> Columns:
    """The 在校 students' columns the metrics read. PostgreSQL stores ``profile`` as json text and would parse it
    again for each of the dozens of keys read; a subquery that casts it to jsonb once per row (kept apart from
    the outer query by OFFSET 0, so that the planner does not fold the cast back into every use) parses it once."""
    in_school = Student.status == StudentStatus.IN_SCHOOL
    if session.get_bind().dialect.name != "postgresql":
        return None
    columns = [Student.id, Student.school_id, Student.sex, Student.ethnicity, Student.is_out_of_county,
               Student.problem_type, Student.id_doc_number]  # fmt: skip
    return select(*columns, cast(Student.profile, JSONB).label("profile")).where(in_school).offset(0).subquery().c


def _in_school_counts(session: Session) -> list[dict[str, Any]]:
    source = _source(session)
    s = Student if source is None else source
    columns = [func.sum(case((m.condition(s), 1), else_=0)).label(m.key) for m in IN_SCHOOL_METRICS]
    photo = func.sum(case((StudentPhoto.student_id.is_not(None), 1), else_=0)).label("photo")
    query = select(s.school_id, *columns, photo).outerjoin(StudentPhoto, StudentPhoto.student_id == s.id)
    if source is None:
        query = query.where(Student.status == StudentStatus.IN_SCHOOL)
    rows = session.execute(query.group_by(s.school_id)).mappings()
    found: list[dict[str, Any]] = []
    for row in rows:
        found.extend(
            {"school_id": row["school_id"], "metric": key, "value": int(row[key] or 0)}
            for key in (*METRIC_LABELS, "photo")
        )
    return found


def _structure_counts(session: Session) -> list[dict[str, Any]]:
    """年级数 and 班级数 per school: the cohorts and classes that hold at least one 在校 student."""
    rows = session.execute(
        select(
            Cohort.school_id,
            func.count(func.distinct(Cohort.id)),
            func.count(func.distinct(SchoolClass.id)),
        )
        .join(SchoolClass, SchoolClass.cohort_id == Cohort.id)
        .where(
            select(Student.id)
            .where(Student.class_id == SchoolClass.id, Student.status == StudentStatus.IN_SCHOOL)
            .exists()
        )
        .group_by(Cohort.school_id)
    )
    found = []
    for school_id, grades, classes in rows:
        found.append({"school_id": school_id, "metric": "grades", "value": grades})
        found.append({"school_id": school_id, "metric": "classes", "value": classes})
    return found


def _graduate_counts(session: Session) -> list[dict[str, Any]]:
    """毕业 per school and destination (F-36)."""
    rows = session.execute(
        select(Student.school_id, Student.graduation_destination, func.count())
        .where(Student.status == StudentStatus.GRADUATED)
        .group_by(Student.school_id, Student.graduation_destination)
    )
    found: dict[tuple[int, str], int] = {}
    for school_id, destination, count in rows:
        for metric in ("graduated", f"dest:{(destination or '未填写')[:30]}"):
            found[(school_id, metric)] = found.get((school_id, metric), 0) + count
    return [{"school_id": s, "metric": m, "value": v} for (s, m), v in found.items()]


def refresh(session: Session, now: datetime | None = None) -> int:
    """Recount every school and sum each count up to every unit above it (in the caller's transaction, which
    commits it: readers keep the old counts until then). Returns the rows written."""
    now = now or utcnow()
    if session.get_bind().dialect.name == "postgresql":
        # One recount at a time (the tick's and a job's): the second waits, then replaces the first's rows instead
        # of inserting beside them. Readers are not blocked (EXCLUSIVE lets SELECT through).
        session.execute(text("LOCK TABLE report_count IN EXCLUSIVE MODE"))
    counted = _in_school_counts(session) + _structure_counts(session) + _graduate_counts(session)
    paths = {unit_id: path for unit_id, path in session.execute(select(OrgUnit.id, OrgUnit.path))}
    sums: dict[tuple[int, str], int] = {}
    for row in counted:
        for unit_id in (int(part) for part in paths[row["school_id"]].strip("/").split("/")):
            key = (unit_id, row["metric"])
            sums[key] = sums.get(key, 0) + row["value"]
    session.execute(delete(ReportCount))
    if sums:
        rows = [{"org_id": o, "metric": m, "value": v, "refreshed_at": now} for (o, m), v in sums.items()]
        session.execute(insert(ReportCount), rows)
    return len(sums)


def refreshed_at(session: Session) -> datetime | None:
    at = session.scalar(select(func.max(ReportCount.refreshed_at)))
    return as_utc(at) if at else None


def refresh_if_due(session: Session, now: datetime, minutes: int) -> bool:
    """The periodic tick's share: recount when the counts are older than ``minutes`` (0: never by the tick)."""
    last = refreshed_at(session)
    if minutes <= 0 or (last is not None and now - last < timedelta(minutes=minutes)):
        return False
    refresh(session, now)
    return True


# -- the page: one organisation and its children ------------------------------------------------------------------


@dataclass
class Row:
    org_id: int
    name: str
    level: OrgLevel
    counts: dict[str, int] = field(default_factory=dict)

    def get(self, key: str) -> int:
        return self.counts.get(key, 0)


@dataclass
class Standard:
    """The standard report of ``org``: its own total and one row per child unit (or per school of a county)."""

    total: Row
    children: list[Row]
    destinations: list[str]


def standard(session: Session, org: OrgUnit) -> Standard:
    """The counts of ``org`` and of each unit right below it (a school's report is its own row)."""
    children = session.execute(
        select(OrgUnit.id, OrgUnit.name, OrgUnit.level).where(OrgUnit.parent_id == org.id).order_by(OrgUnit.id)
    ).all()
    total = Row(org.id, org.name, org.level)
    rows = {org.id: total} | {cid: Row(cid, name, level) for cid, name, level in children}
    counted = session.execute(
        select(ReportCount.org_id, ReportCount.metric, ReportCount.value).where(ReportCount.org_id.in_(list(rows)))
    )
    for unit_id, metric, value in counted:
        rows[unit_id].counts[metric] = value
    destinations = sorted(metric[5:] for metric in total.counts if metric.startswith("dest:"))
    return Standard(total, [rows[cid] for cid, _name, _level in children], destinations)


# -- process reports (live) ---------------------------------------------------------------------------------------

AGE_BUCKETS = ((7, "7天以内"), (30, "8–30天"), (90, "31–90天"), (None, "90天以上"))
TRANSFER_KEYS = ("transfer_in_province", "transfer_cross_province_in", "transfer_cross_province_out")


def _in_org(org: OrgUnit, column: Any) -> ColumnElement[bool]:
    unit = select(OrgUnit.id).where(OrgUnit.id == column, OrgUnit.path.startswith(org.path, autoescape=True))
    return unit.exists()


def pending_by_age(session: Session, org: OrgUnit, now: datetime) -> list[tuple[str, list[int]]]:
    """在办业务 by type and age: open cases whose student's school lies under ``org``."""
    bucket = case(
        *[
            (ProcessInstance.started_at > now - timedelta(days=days), index)
            for index, (days, _label) in enumerate(AGE_BUCKETS)
            if days is not None
        ],
        else_=len(AGE_BUCKETS) - 1,
    )
    rows = session.execute(
        select(ProcessInstance.process_key, bucket, func.count())
        .where(ProcessInstance.status == CaseStatus.OPEN, _in_org(org, ProcessInstance.org_id))
        .group_by(ProcessInstance.process_key, bucket)
    )
    found: dict[str, list[int]] = {}
    for key, index, count in rows:
        found.setdefault(key, [0] * len(AGE_BUCKETS))[int(index)] += count
    return sorted(found.items())


def transfers_by_month(session: Session, org: OrgUnit, year: int) -> list[tuple[int, int, int]]:
    """(month, transfers in, transfers out) of completed transfers in ``year``: out of a school under ``org`` and
    into one (a transfer between two of its schools counts on both sides)."""
    month = extract("month", ProcessInstance.ended_at)
    done = select(month, func.count()).where(
        ProcessInstance.status == CaseStatus.COMPLETED,
        ProcessInstance.process_key.in_(TRANSFER_KEYS),
        extract("year", ProcessInstance.ended_at) == year,
    )
    outs = {m: c for m, c in session.execute(done.where(_in_org(org, ProcessInstance.org_id)).group_by(month))}
    ins = {m: c for m, c in session.execute(done.where(_in_org(org, ProcessInstance.to_school_id)).group_by(month))}
    return [(m, int(ins.get(m, 0)), int(outs.get(m, 0))) for m in range(1, 13)]


def admissions_against_plan(session: Session, org: OrgUnit, year: int) -> list[tuple[str, int, int]]:
    """(stage, planned, admitted) of ``year`` for the schools under ``org`` (F-39, F-44)."""
    plans = session.execute(
        select(AdmissionPlan.stage, func.sum(AdmissionPlan.planned))
        .where(AdmissionPlan.year == year, _in_org(org, AdmissionPlan.school_id))
        .group_by(AdmissionPlan.stage)
    ).all()
    admitted = session.execute(
        select(Admission.stage, func.count())
        .where(
            Admission.status == AdmissionStatus.ADMITTED,
            extract("year", Admission.decided_at) == year,
            _in_org(org, Admission.school_id),
        )
        .group_by(Admission.stage)
    ).all()
    planned = {stage: int(total or 0) for stage, total in plans}
    counted = {stage: int(total) for stage, total in admitted}
    return [(stage.label, planned.get(stage, 0), counted.get(stage, 0)) for stage in sorted({*planned, *counted})]
