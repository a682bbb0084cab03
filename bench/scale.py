"""Benchmark at province scale (issue 18): builds the data in SQL, then prints the figures. Asserts nothing.

    python bench/scale.py --url postgresql+psycopg://postgres@127.0.0.1/xueji_scale \\
        [--students 5000000] [--cases 1000000] [--open 10000] [--completions 600]

The database named by --url is wiped. The demo world (organisations, schools, users, diagrams) is loaded first.
Then template cases of every diagram in processes/ are started and moved on through the engine with the diagrams'
own forms, as users would (``SCRIPTS``): each diagram has cases waiting at several of its steps, approved and
refused ones. Every bulk table is then filled by ``INSERT … SELECT`` from those real rows, never through the ORM:
``--cases`` copies of the template cases in a province's proportions (transfers and status changes common, school
changes rare), each with a student of its own (a copy of its template's student as the case left it: same school,
class and status, its ``open_case_id`` on an open copy), its parties, history, inbox rows and audit rows, times
moved back by up to 180 days. The copies waiting at the 南明区 county seat number ``--open`` (spread over every
diagram and step that waits there); an open copy completes through the engine like its original (the inbox rows keep
the workflow's task ids and the copied workflow state names the copy's student). The rest of ``--students`` are
in-school copies spread over every class. ``--reuse`` measures on what an earlier run built.

Then it measures
1. the county reviewer's inbox page: p50/p95 of the default page, each sort, each process and each step filter
   (one per diagram and step waiting there), the school, overdue and claimed filters;
2. task completions per second through the engine API (load, run, save, inbox rows, history, audit) with 1, 2
   and 4 worker processes, each with its own connection, on real cases started for the purpose;
3. the case page (history timeline) of a case with 200 steps: p50/p95 through the Flask app.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, event, func, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from werkzeug.datastructures import MultiDict  # noqa: E402

import engine as wf  # noqa: E402
import handlers  # noqa: E402
from forms import FORMS  # noqa: E402
from handlers import graduation  # noqa: E402
from models import crypto  # noqa: E402
from models.attachment import Attachment  # noqa: E402
from models.audit import AuditEvent  # noqa: E402
from models.base import utcnow  # noqa: E402
from models.business_calendar import local_date  # noqa: E402
from models.document_flow import FILING_TYPES  # noqa: E402
from models.holidays import working_calendar  # noqa: E402
from models.inbox import InboxFilter, open_tasks  # noqa: E402
from models.org import Cohort, OrgUnit, School, SchoolClass, Stage  # noqa: E402
from models.student import Student, StudentStatus  # noqa: E402
from models.user import User  # noqa: E402
from models.workflow import InboxTask, InstanceEvent, ProcessInstance, TaskKind, TaskStatus  # noqa: E402
from webapp.admissions import admit_graduate  # noqa: E402
from webapp.db import make_engine  # noqa: E402
from webapp.demo_database import build_database  # noqa: E402

PASSWORD = "Xueji@2026"


def timed(label: str, action: Callable[[], Any]) -> Any:
    begin = time.perf_counter()
    result = action()
    print(f"  {label}: {time.perf_counter() - begin:.1f} s", flush=True)
    return result


def percentiles(action: Callable[[], object], runs: int = 50) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        begin = time.perf_counter()
        action()
        times.append((time.perf_counter() - begin) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def _copy_rows(session: Session, table: Any, template_ids: list[int], count: int, overrides: dict[str, str]) -> None:
    """INSERT ``count`` copies of the template rows (cycled), columns overridden by SQL expressions of ``g``."""
    columns = [c.name for c in table.columns if c.name != "id"]
    values = [overrides.get(c, f"t.{c}") for c in columns]
    session.execute(
        text(
            f"INSERT INTO {table.name} ({', '.join(columns)}) "  # noqa: S608 -- names from our own metadata
            f"SELECT {', '.join(values)} FROM generate_series(0, :n - 1) g "
            f"JOIN {table.name} t ON t.id = (:ids)[(g % :k) + 1]"
        ),
        {"n": count, "ids": template_ids, "k": len(template_ids)},
    )


def _student_values(overrides: dict[str, str]) -> list[str]:
    """SQL of each student column but the id for a copy of the template row ``t``: ``overrides`` and the sealed
    values, bound as :sealed_number and :sealed_id."""
    columns = [c.name for c in Student.__table__.columns if c.name != "id"]
    fixed = {
        # Sealed values as the application stores them (SQL cannot encrypt them): one number shown for every copy,
        # which the pages decrypt like any other; a plain value would fail to open.
        "national_student_id": ":sealed_number",
        "national_id_kind": "'G'",
        "id_doc_number": ":sealed_id",
    }
    return [{**fixed, **overrides}.get(c, f"t.{c}") for c in columns]


def fill_students(session: Session, count: int, extra: dict[str, str] | None = None) -> int:
    """``count`` copies of a real in-school student spread over every class; ``extra``: more columns overridden
    by SQL expressions of ``g`` (the copy's number) and ``t`` (the template), e.g. varied sexes."""
    template = session.scalars(select(Student.id).where(Student.status == StudentStatus.IN_SCHOOL).limit(1)).one()
    classes = session.execute(select(SchoolClass.id, Cohort.school_id).join(Cohort)).all()
    first = (session.scalar(select(func.max(Student.id))) or 0) + 1
    session.execute(text("CREATE TEMP TABLE scale_class (k int PRIMARY KEY, class_id int, school_id int)"))
    session.execute(
        text("INSERT INTO scale_class VALUES (:k, :c, :s)"),
        [{"k": k, "c": c, "s": s} for k, (c, s) in enumerate(classes)],
    )
    columns = [c.name for c in Student.__table__.columns if c.name != "id"]
    values = _student_values(
        {
            "name": "'学生' || g",
            # Unique like a real blind index (the one-active-record index is on it), not an HMAC: the bench looks
            # no student up by 学籍号.
            "national_id_index": "md5('G' || g::text)",
            "school_id": "c.school_id",
            "class_id": "c.class_id",
            "open_case_id": "NULL",
            **(extra or {}),
        }
    )
    session.execute(
        text(
            f"INSERT INTO student ({', '.join(columns)}) SELECT {', '.join(values)} "  # noqa: S608
            "FROM generate_series(1, :n) g JOIN student t ON t.id = :template "
            "JOIN scale_class c ON c.k = g % :classes"
        ),
        {
            "n": count,
            "template": template,
            "classes": len(classes),
            "sealed_number": crypto.keyring_in_force().encrypt("G" + "0" * 18),
            "sealed_id": crypto.keyring_in_force().encrypt("0" * 18),
        },
    )
    return first


# -- template cases: every diagram, started and moved on through the engine --------------------------------------


class _Cases:
    """Drives real cases through their diagrams the way the pages do: the diagram's own forms, the real engine."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._users: dict[str, User] = {}
        self._taken: set[int] = {0}  # each template its own student: a finished case leaves its student free

    def user(self, username: str) -> User:
        if username not in self._users:
            self._users[username] = self.session.scalars(select(User).where(User.username == username)).one()
        return self._users[username]

    def pupil(self, username: str, *, oldest_cohort: bool = False) -> Student:
        """A free in-school student of a school user's school (of its final-year cohort when asked)."""
        query = select(Student).where(
            Student.school_id == self.user(username).org_id,
            Student.open_case_id.is_(None),
            Student.status == StudentStatus.IN_SCHOOL,
            Student.id.not_in(self._taken),
        )
        if oldest_cohort:
            oldest = (
                select(Cohort.cohort_year)
                .where(Cohort.school_id == self.user(username).org_id)
                .order_by(Cohort.cohort_year)
                .limit(1)
                .scalar_subquery()
            )
            query = (
                query.join(SchoolClass, SchoolClass.id == Student.class_id)
                .join(Cohort)
                .where(Cohort.cohort_year == oldest)
            )
        student = self.session.scalars(query.order_by(Student.id.desc())).first()
        if student is None:
            raise RuntimeError(f"no free student left at {username}'s school")
        self._taken.add(student.id)
        return student

    def proof(self, username: str, student: Student) -> str:
        """An evidence file of ``student`` uploaded by ``username``: its id, as the forms take it."""
        row = Attachment(kind="证明材料", filename="证明.pdf", content_type="application/pdf", size=4, data=b"%PDF")
        row.uploaded_by_id, row.student_id = self.user(username).id, student.id
        self.session.add(row)
        self.session.flush()
        return str(row.id)

    def first_class(self, username: str) -> int:
        school = self.user(username).org_id
        return self.session.scalars(select(SchoolClass.id).join(Cohort).where(Cohort.school_id == school)).first()  # type: ignore[return-value]

    def start(
        self, key: str, *, by: str, student: Student | None = None, to_school_id: int | None = None, **fields: str
    ) -> ProcessInstance:
        form = FORMS[wf.start_form_key(self.session, key)](formdata=MultiDict(fields))
        if hasattr(form, "scope"):  # forms whose choices depend on the user's organisation
            form.scope(self.session, self.user(by))
        if not form.validate():
            raise RuntimeError(f"{key}: {form.errors}")
        case = wf.start(
            self.session,
            key,
            student_id=student.id if student else None,
            actor=self.user(by),
            data=form.to_task_data(),
            display=form.display_lines(),
            to_school_id=to_school_id,
        )
        self.session.expire_all()
        return case

    def submit(self, case: ProcessInstance, bpmn_id: str, *, by: str, **fields: str) -> None:
        """Complete the open task ``bpmn_id`` of the case or of its other side (the other province's case)."""
        task = self.session.scalars(
            select(InboxTask)
            .join(ProcessInstance)
            .where(
                ProcessInstance.correlation_key == case.correlation_key,
                InboxTask.bpmn_id == bpmn_id,
                InboxTask.status == TaskStatus.OPEN,
                InboxTask.kind == TaskKind.TASK,
            )
        ).one()
        form = wf.form_class(task.instance.version, task.form_key)(formdata=MultiDict(fields))
        if hasattr(form, "scope"):  # forms whose choices depend on the user's organisation
            form.scope(self.session, self.user(by))
        if not form.validate():
            raise RuntimeError(f"{case.process_key}.{bpmn_id}: {form.errors}")
        wf.complete(self.session, task.id, actor=self.user(by), data=form.to_task_data(), display=form.display_lines())
        self.session.expire_all()

    def run(self, key: str, start: dict[str, Any], steps: list[tuple[str, str, dict[str, str]]]) -> list[int]:
        """Start a case and take ``steps`` (task, user, form fields); the case and its correlated other side."""
        case = self.start(key, **start)
        for bpmn_id, by, fields in steps:
            self.submit(case, bpmn_id, by=by, **fields)
        others = self.session.scalars(
            select(ProcessInstance.id).where(
                ProcessInstance.correlation_key == case.correlation_key, ProcessInstance.id != case.id
            )
        ).all()
        return [case.id, *others]


PASS = {"decision": "通过"}
FAIL = {"decision": "不通过", "comment": "材料不全"}
# A template: starts one case (with ``steps``, the tasks it takes before it is copied) and returns its ids.
Script = Callable[[_Cases], list[int]]


def _mistaken_deletion(c: _Cases, steps: int, decision: str = "删除") -> list[int]:
    pupil = c.pupil("nanming-xx-registrar")
    review = {"decision": decision, "review_comment": "该生确在本校就读"}
    return c.run(
        "mistaken_deletion",
        {"by": "nanming-xx-registrar", "student": pupil, "reason": "重复录入"},
        [("county_review", "nanming-county", review)][:steps],
    )


def _status_change(c: _Cases, steps: int, last: dict[str, str] | None = None) -> list[int]:
    pupil = c.pupil("nanming-xx-registrar")
    taken = [
        ("school_review", "nanming-xx-reviewer", {"school_decision": "通过"}),
        ("authority_review", "nanming-county", last or PASS),
    ][:steps]
    return c.run(
        "status_change",
        {"by": "nanming-xx-registrar", "student": pupil, "change_type": "other_departure", "reason": "随父母外出"},
        taken,
    )


def _key_data_change(c: _Cases, steps: int, last: dict[str, str] | None = None) -> list[int]:
    pupil = c.pupil("nanming-xx-registrar")
    return c.run(
        "key_data_change",
        {
            "by": "nanming-xx-registrar",
            "student": pupil,
            "new_name": "王改名",
            "reason": "改名",
            "evidence_ids": c.proof("nanming-xx-registrar", pupil),
        },
        [("school_review", "nanming-xx-reviewer", PASS), ("county_review", "nanming-county", last or PASS)][:steps],
    )


def _problem_record(c: _Cases, steps: int) -> list[int]:
    """Two records of one child, at 南明第一小学 (side a, the case's subject) and 云岩第一小学 (side b)."""
    a, b = c.pupil("nanming-xx-registrar"), c.pupil("yunyan-xx-registrar")
    proven = {"action": "佐证", "statement": "本校学生信息无误"}
    if steps == 1:  # side a proves its record: the 南明区 county reviews it
        path = [("a_action", "nanming-xx-registrar", {**proven, "evidence_ids": c.proof("nanming-xx-registrar", a)})]
    else:  # side a deletes its record, side b proves its own and its county agrees: settled
        path = [
            ("a_action", "nanming-xx-registrar", {"action": "删除", "statement": "该生实际在云岩第一小学就读"}),
            ("b_action", "yunyan-xx-registrar", {**proven, "evidence_ids": c.proof("yunyan-xx-registrar", b)}),
            ("b_review", "yunyan-county", PASS),
        ][:steps]
    return c.run("problem_record", {"by": "nanming-xx-registrar", "student": a, "other_student": str(b.id)}, path)


def _transfer_in_province(c: _Cases, sending: str, steps: int, last: dict[str, str] | None = None) -> list[int]:
    """Into 南明第一小学 from ``sending`` (南明区: two steps; another county: the receiving county first)."""
    sending_county = "nanming-county" if sending.startswith("nanming") else sending.split("-")[0] + "-county"
    path = [("from_school_review", sending, PASS), ("from_county_review", sending_county, PASS)]
    if not sending.startswith("nanming"):
        path.insert(0, ("to_county_review", "nanming-county", PASS))
    taken = path[:steps]
    if last and taken:
        taken[-1] = (taken[-1][0], taken[-1][1], last)
    receiving = c.user("nanming-xx-registrar")
    return c.run(
        "transfer_in_province",
        {
            "by": "nanming-xx-registrar",
            "student": c.pupil(sending),
            "to_school_id": receiving.org_id,
            "to_class_id": str(c.first_class("nanming-xx-registrar")),
            "cause": "房产变更",
            "reason": "家庭搬迁至南明区",
        },
        taken,
    )


def _senior_graduation(c: _Cases, steps: int, last: dict[str, str] | None = None) -> list[int]:
    pupil = c.pupil("nanming-gz-registrar", oldest_cohort=True)
    return c.run(
        "senior_graduation",
        {"by": "nanming-gz-registrar", "student": pupil, "outcome": "毕业"},
        [("authority_review", "nanming-county", last or PASS)][:steps],
    )


def _admission_plan_change(c: _Cases, steps: int) -> list[int]:
    school = c.user("nanming-gz-registrar")
    fields = {"year": str(utcnow().year), "stage": "senior", "planned": "320", "reason": "新增两个班"}
    return c.run(
        "admission_plan_change",
        {"by": "nanming-gz-registrar", "to_school_id": school.org_id, **fields},
        [("county_review", "nanming-county", PASS)][:steps],
    )


def _cross_province_in(c: _Cases, steps: int, last: dict[str, str] | None = None) -> list[int]:
    """Into 南明第一小学 from 东城第一小学 (北京): the case and the sending province's transfer_cross_province_out."""
    student = c.pupil("dongcheng-xx-registrar")
    sending = c.session.get_one(OrgUnit, student.school_id).ancestor_ids()[1]
    path = [
        ("to_county_review", "nanming-county", PASS),
        ("school_review", "dongcheng-xx-registrar", PASS),
        ("county_review", "dongcheng-county", PASS),
        ("pull", "nanming-xx-registrar", {"action": "调档"}),
    ]
    taken = path[:steps]
    if last and taken:
        taken[-1] = (taken[-1][0], taken[-1][1], last)
    return c.run(
        "transfer_cross_province_in",
        {
            "by": "nanming-xx-registrar",
            "to_school_id": c.user("nanming-xx-registrar").org_id,
            "from_province_id": str(sending),
            "student_name": student.name,
            "national_student_id": student.national_student_id,
            "to_class_id": str(c.first_class("nanming-xx-registrar")),
            "reason": "随父母工作调动",
        },
        taken,
    )


def _dropout(c: _Cases, steps: int, outcome: str = "已返校") -> list[int]:
    today = local_date(utcnow())
    calendar = working_calendar(c.session)
    first = today
    while calendar.school_days_between(first, today) < 4:
        first -= timedelta(days=1)
    return c.run(
        "dropout",
        {
            "by": "meitan-xx-registrar",
            "student": c.pupil("meitan-xx-registrar"),
            "first_absent_on": first.isoformat(),
            "contact_attempts": "电话三次未接通，家访无人",
            "unreachable": "y",
        },
        [("follow_up", "meitan-xx-registrar", {"outcome": outcome})][:steps],
    )


def _document_flow(c: _Cases, steps: int) -> list[int]:
    """A filing (备案) of 东城区: filings may be made in any month, red-header requests only in four."""
    county = c.user("dongcheng-county")
    fields = {"category": "filing", "student_name": "删除全国临时学籍的备案", "content": "说明"}
    return c.run(
        "document_flow",
        {"by": "dongcheng-county", "to_school_id": county.org_id, "doc_type": FILING_TYPES[2], **fields},
        [
            ("submit", "dongcheng-county", {"comment": ""}),
            ("consolidate", "beijing-province", {"comment": ""}),
            ("process", "beijing-province", {"comment": "已受理"}),
            ("close", "beijing-province", {"result": "已删除"}),
        ][:steps],
    )


def _school_change(c: _Cases, merge: bool) -> list[int]:
    """湄潭县 renames its junior school (done at once), or merges it into the primary school (the city reviews)."""
    school = c.user("meitan-cz-registrar").org_id
    if merge:
        target = c.session.get_one(School, c.user("meitan-xx-registrar").org_id).school_code
        fields = {"kind": "合并", "target_code": target}
    else:
        fields = {"kind": "更名", "new_name": "湄潭县新城中学"}
    return c.run("school_change", {"by": "meitan-county", "to_school_id": school, "reason": "县政府文件", **fields}, [])


def _duplicate_admission(c: _Cases, steps: int) -> list[int]:
    """Two senior schools admit the same graduate of 南明第一中学 (the admission opens the case)."""
    junior = c.pupil("nanming-cz-registrar", oldest_cohort=True)
    registrar = c.user("nanming-cz-registrar")
    graduation.graduate(c.session, registrar, [junior], on=utcnow().date())
    c.session.commit()
    first = c.user("nanming-gz-registrar")
    admit_graduate(c.session, first, student_id=junior.id, school_id=first.org_id, stage=Stage.SENIOR)
    second = c.user("yunyan-gz-registrar")
    _, case = admit_graduate(c.session, second, student_id=junior.id, school_id=second.org_id, stage=Stage.SENIOR)
    assert case is not None
    proof = {"action": "佐证", "opinion": "学生本人选择本校", "proof": "录取通知书回执"}
    path = [
        ("a_action", "nanming-gz-registrar", proof),
        ("b_action", "yunyan-gz-registrar", proof),
        ("a_review", "nanming-county", PASS),
        ("b_review", "yunyan-county", PASS),
        ("arbitration", "guiyang-city", {"winner": "b", "comment": "以学生意愿为准"}),
    ]
    for bpmn_id, by, fields in path[:steps]:
        c.submit(case, bpmn_id, by=by, **fields)
    return [case.id]


# diagram → (weight in a province's cases, [(share of that diagram's cases, template)]): transfers and status
# changes are common, school changes rare; the shares say in which states a diagram's cases stand (most finished,
# some refused, some waiting at each step). The copies waiting at the 南明区 county seat are counted apart: they
# make up the county's ``--open`` inbox, shared among those templates by these weights.
SCRIPTS: dict[str, tuple[float, list[tuple[float, Script]]]] = {
    "transfer_in_province": (
        30,
        [
            (0.55, lambda c: _transfer_in_province(c, "nanming-cz-registrar", 2)),
            (0.2, lambda c: _transfer_in_province(c, "yunyan-xx-registrar", 3)),
            (0.08, lambda c: _transfer_in_province(c, "yunyan-xx-registrar", 1, FAIL)),
            (0.05, lambda c: _transfer_in_province(c, "nanming-cz-registrar", 0)),
            (0.04, lambda c: _transfer_in_province(c, "nanming-cz-registrar", 1)),
            (0.04, lambda c: _transfer_in_province(c, "yunyan-xx-registrar", 0)),
            (0.04, lambda c: _transfer_in_province(c, "yunyan-xx-registrar", 1)),
        ],
    ),
    "status_change": (
        22,
        [
            (0.75, lambda c: _status_change(c, 2)),
            (0.1, lambda c: _status_change(c, 2, {"decision": "不通过", "review_comment": "材料不全"})),
            (0.07, lambda c: _status_change(c, 0)),
            (0.08, lambda c: _status_change(c, 1)),
        ],
    ),
    "transfer_cross_province_in": (
        8,
        [
            (0.7, lambda c: _cross_province_in(c, 4)),
            (0.1, lambda c: _cross_province_in(c, 1, FAIL)),
            (0.08, lambda c: _cross_province_in(c, 0)),
            (0.06, lambda c: _cross_province_in(c, 1)),
            (0.06, lambda c: _cross_province_in(c, 2)),
        ],
    ),
    "key_data_change": (
        10,
        [
            (0.7, lambda c: _key_data_change(c, 2)),
            (0.1, lambda c: _key_data_change(c, 2, FAIL)),
            (0.1, lambda c: _key_data_change(c, 0)),
            (0.1, lambda c: _key_data_change(c, 1)),
        ],
    ),
    "mistaken_deletion": (
        6,
        [
            (0.6, lambda c: _mistaken_deletion(c, 1)),
            (0.25, lambda c: _mistaken_deletion(c, 1, "驳回")),
            (0.15, lambda c: _mistaken_deletion(c, 0)),
        ],
    ),
    "senior_graduation": (
        10,
        [
            (0.85, lambda c: _senior_graduation(c, 1)),
            (0.05, lambda c: _senior_graduation(c, 1, {"decision": "不通过", "review_comment": "成绩未录入"})),
            (0.1, lambda c: _senior_graduation(c, 0)),
        ],
    ),
    "dropout": (
        5,
        [(0.7, lambda c: _dropout(c, 1)), (0.3, lambda c: _dropout(c, 0))],
    ),
    "duplicate_admission": (
        1,
        [
            (0.7, lambda c: _duplicate_admission(c, 5)),
            (0.15, lambda c: _duplicate_admission(c, 0)),
            (0.15, lambda c: _duplicate_admission(c, 2)),
        ],
    ),
    "problem_record": (
        3,
        [
            (0.7, lambda c: _problem_record(c, 3)),
            (0.1, lambda c: _problem_record(c, 0)),
            (0.2, lambda c: _problem_record(c, 1)),
        ],
    ),
    "admission_plan_change": (
        1,
        [(0.8, lambda c: _admission_plan_change(c, 1)), (0.2, lambda c: _admission_plan_change(c, 0))],
    ),
    "document_flow": (
        1,
        [
            (0.7, lambda c: _document_flow(c, 4)),
            (0.2, lambda c: _document_flow(c, 1)),
            (0.1, lambda c: _document_flow(c, 0)),
        ],
    ),
    "school_change": (
        0.05,
        [(0.6, lambda c: _school_change(c, merge=False)), (0.4, lambda c: _school_change(c, merge=True))],
    ),
}


def template_cases(session: Session) -> list[tuple[float, list[int]]]:
    """Real cases of every diagram, each left in a state users meet: (weight of its copies, its case ids)."""
    cases = _Cases(session)
    templates = []
    for weight, shares in SCRIPTS.values():
        for share, script in shares:
            templates.append((weight * share, script(cases)))
        session.commit()
    return templates


def _plan(session: Session, templates: list[tuple[float, list[int]]], count: int, county_open: int) -> list[int]:
    """Copies of each template: those with tasks at the 南明区 county seat share ``county_open`` open tasks
    among them by weight; the others share the rest of ``count`` cases by weight."""
    seat = session.scalars(select(User.org_id).where(User.username == "nanming-county")).one()
    at_seat = []
    for _, ids in templates:
        tasks = session.scalar(
            select(func.count()).where(
                InboxTask.instance_id.in_(ids), InboxTask.status == TaskStatus.OPEN, InboxTask.org_id == seat
            )
        )
        at_seat.append(tasks or 0)
    county = sum(w * n for (w, _), n in zip(templates, at_seat, strict=True) if n)
    plan = [round(county_open * w / county) if n else 0 for (w, _), n in zip(templates, at_seat, strict=True)]
    rest = max(0, count - sum(p * len(ids) for p, (_, ids) in zip(plan, templates, strict=True)))
    others = sum(w * len(ids) for (w, ids), n in zip(templates, at_seat, strict=True) if not n)
    return [p if n else round(rest * w / others) for p, (w, _), n in zip(plan, templates, at_seat, strict=True)]


def fill_cases(session: Session, templates: list[tuple[float, list[int]]], count: int, open_tasks_wanted: int) -> int:
    """``count`` cases copied from the templates, each with a student of its own (a copy of its template's
    student as the case left it: same school, class and status), its parties, history, inbox rows (same task ids
    in the copied workflow state, so an open copy completes like the original) and audit rows. Returns how many
    students were made."""
    copies = _plan(session, templates, count, open_tasks_wanted)
    session.execute(text("CREATE TEMP TABLE scale_copy (g int PRIMARY KEY, template int, k int)"))
    offset = 0
    for n, (_, ids) in zip(copies, templates, strict=True):
        for case in ids:
            session.execute(
                text("INSERT INTO scale_copy SELECT :o + k, :case, k FROM generate_series(0, :n - 1) k"),
                {"o": offset, "case": case, "n": n},
            )
            offset += n
    session.execute(text("ANALYZE scale_copy"))
    base = {
        table: (session.scalar(text(f"SELECT coalesce(max(id), 0) FROM {table}")) or 0) + 1  # noqa: S608
        for table in ("student", "process_instance", "inbox_task")
    }
    # The copy's clock: each copy's times moved back by up to 180 days, so that ages, sorts and due dates vary.
    shift = "make_interval(secs => (c.g::bigint * 7919) % 15552000)"
    sealed = crypto.keyring_in_force()
    student_values = _student_values(
        {
            "name": "'学生C' || c.g",
            "national_id_index": "md5('C' || c.g::text)",
            "open_case_id": "NULL",
        }
    )
    columns = [c.name for c in Student.__table__.columns if c.name != "id"]
    made = _stage(
        session,
        "students of the cases",
        text(
            f"INSERT INTO student (id, {', '.join(columns)}) "  # noqa: S608 -- names from our own metadata
            f"SELECT :base + c.g, {', '.join(student_values)} FROM scale_copy c "
            "JOIN process_instance p ON p.id = c.template JOIN student t ON t.id = p.student_id"
        ),
        {
            "base": base["student"],
            "sealed_number": sealed.encrypt("G" + "0" * 18),
            "sealed_id": sealed.encrypt("0" * 18),
        },
    )
    new_student = f"{base['student']} + c.g"
    _copy_by_plan(
        session,
        "cases",
        ProcessInstance.__table__,
        "t.id = c.template",
        {
            "id": f"{base['process_instance']} + c.g",
            "student_id": f"CASE WHEN t.student_id IS NULL THEN NULL ELSE {new_student} END",
            "correlation_key": "md5(t.correlation_key || ':' || c.k)",
            # the workflow's own copy of the subject (handlers act on it)
            "state_json": f"CASE WHEN t.student_id IS NULL THEN t.state_json ELSE regexp_replace(t.state_json, "
            f"'\"student_id\": ' || t.student_id || '([,}}])', '\"student_id\": ' || ({new_student}) || '\\1', "
            "'g') END",
            "started_at": f"t.started_at - {shift}",
            "ended_at": f"t.ended_at - {shift}",
        },
    )
    new_case = f"{base['process_instance']} + c.g"
    _stage(
        session,
        "open copies' students marked",
        text(
            f"UPDATE student s SET open_case_id = {new_case} FROM scale_copy c "  # noqa: S608
            "JOIN process_instance p ON p.id = c.template JOIN student t ON t.id = p.student_id "
            f"WHERE t.open_case_id = p.id AND s.id = {new_student}"
        ),
    )
    _stage(
        session,
        "case parties",
        text(
            f"INSERT INTO case_party (instance_id, org_id) SELECT {new_case}, p.org_id FROM scale_copy c "  # noqa: S608
            "JOIN case_party p ON p.instance_id = c.template"
        ),
    )
    _copy_by_plan(
        session,
        "history (instance events)",
        InstanceEvent.__table__,
        "t.instance_id = c.template",
        {"instance_id": new_case, "at": f"t.at - {shift}"},
    )
    session.execute(
        text(
            "CREATE TEMP TABLE scale_task AS SELECT id, instance_id, "
            "row_number() OVER (PARTITION BY instance_id ORDER BY id) AS r FROM inbox_task "
            "WHERE instance_id IN (SELECT DISTINCT template FROM scale_copy)"
        )
    )
    width = session.scalar(text("SELECT coalesce(max(r), 1) FROM scale_task"))
    new_task = f"{base['inbox_task']} + c.g * {width}"
    _copy_by_plan(
        session,
        "inbox rows",
        InboxTask.__table__,
        "t.instance_id = c.template JOIN scale_task r ON r.id = t.id",
        {
            "id": f"{new_task} + r.r",
            "instance_id": new_case,
            "parent_id": f"{new_task} + (SELECT r FROM scale_task WHERE id = t.parent_id)",  # noqa: S608 -- numbers of ours
            "created_at": f"t.created_at - {shift}",
            "completed_at": f"t.completed_at - {shift}",
            "due_at": f"t.due_at - {shift}",
        },
    )
    _copy_by_plan(
        session,
        "audit rows",
        AuditEvent.__table__,
        "t.instance_id = c.template JOIN process_instance p ON p.id = c.template",
        {
            "instance_id": new_case,
            "entity_id": f"CASE WHEN t.entity = 'student' AND t.entity_id = p.student_id THEN {new_student} "
            "ELSE t.entity_id END",
            "at": f"t.at - {shift}",
        },
    )
    for table in base:
        session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}")  # noqa: S608
        )
    return made


def _stage(session: Session, label: str, statement: Any, params: dict[str, Any] | None = None) -> int:
    """Run one bulk statement, print its rows, wall seconds and the PostgreSQL backend's CPU seconds."""
    wall, server = time.perf_counter(), _server_cpu(session)
    rows: int = session.execute(statement, params or {}).rowcount  # type: ignore[attr-defined]
    wall, server = time.perf_counter() - wall, _server_cpu(session) - server
    print(f"    {label}: {rows:,} rows, {wall:.1f} s (PostgreSQL CPU {server:.1f} s)", flush=True)
    return rows


def _copy_by_plan(session: Session, label: str, table: Any, join: str, overrides: dict[str, str]) -> None:
    """Every template row of ``table`` once per copy in scale_copy (``c``), columns overridden by SQL of c and t."""
    columns = [c.name for c in table.columns if c.name != "id" or "id" in overrides]
    values = [overrides.get(c, f"t.{c}") for c in columns]
    _stage(
        session,
        label,
        text(
            f"INSERT INTO {table.name} ({', '.join(columns)}) "  # noqa: S608 -- names from our own metadata
            f"SELECT {', '.join(values)} FROM scale_copy c JOIN {table.name} t ON {join}"
        ),
    )


def _server_cpu(session: Session) -> float:
    """CPU seconds the PostgreSQL backend serving this session has used (the server runs on this machine)."""
    pid = session.scalar(text("SELECT pg_backend_pid()"))
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def complete_share(url: str, task_ids: list[int], start_at: float) -> tuple[float, float, float, int]:
    """One worker: connects, waits for the common start, completes its tasks. Returns when it finished, its own
    CPU seconds, its PostgreSQL backend's CPU seconds and the SQL statements it sent (figures that do not depend
    on what else the machine runs)."""
    wf.use_handlers(handlers.REGISTRY)  # a spawned process: handed the handlers as create_app hands them
    db = make_engine(url)
    sent = [0]

    @event.listens_for(db, "before_cursor_execute")
    def _count(*_: object) -> None:
        sent[0] += 1

    with Session(db) as session:
        county = session.scalars(select(User).where(User.username == "nanming-county")).one()
        server_before = _server_cpu(session)
        session.commit()
        time.sleep(max(0.0, start_at - time.time()))
        cpu_before, sent[0] = time.process_time(), 0
        for task_id in task_ids:
            wf.complete(session, task_id, actor=county, data={"decision": "驳回", "review_comment": "基准"})
        ended, cpu, statements = time.time(), time.process_time() - cpu_before, sent[0]
        server = _server_cpu(session) - server_before
    db.dispose()
    return ended, cpu, server, statements


def completions(url: str, db: Engine, count: int, worker_counts: tuple[int, ...] = (1, 2, 4)) -> None:
    """Task completions through the engine API by 1, 2 and 4 worker processes, each with its own connection."""
    with Session(db) as session:
        registrar = session.scalars(select(User).where(User.username == "nanming-xx-registrar")).one()
        pupils = session.scalars(
            select(Student.id)
            .where(
                Student.school_id == registrar.org_id,
                Student.open_case_id.is_(None),
                Student.status == StudentStatus.IN_SCHOOL,
            )
            .order_by(Student.id.desc())
            .limit(count * len(worker_counts))
        ).all()
        cases = []
        for pupil in pupils:
            case = wf.start(session, "mistaken_deletion", student_id=pupil, actor=registrar, data={"reason": "基准"})
            cases.append(case.id)
        tasks = list(
            session.scalars(
                select(InboxTask.id).where(InboxTask.instance_id.in_(cases), InboxTask.status == TaskStatus.OPEN)
            )
        )
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    for workers in worker_counts:
        batch, tasks = tasks[:count], tasks[count:]
        shares = [batch[i::workers] for i in range(workers)]
        start_at = time.time() + 15  # after every worker has imported and connected
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            results = pool.starmap(complete_share, [(url, share, start_at) for share in shares])
        elapsed = max(r[0] for r in results) - start_at
        python = sum(r[1] for r in results) / len(batch) * 1000
        server = sum(r[2] for r in results) / len(batch) * 1000
        sent = sum(r[3] for r in results) / len(batch)
        print(
            f"task completions, {workers} worker(s): {len(batch) / elapsed:.0f}/s ({len(batch)} in {elapsed:.1f} s); "
            f"per completion: CPU {python:.1f} ms Python + {server:.1f} ms PostgreSQL, {sent:.1f} SQL statements",
            flush=True,
        )


def case_page(db: Engine, url: str) -> None:
    from webapp import create_app

    with Session(db) as session:
        case = session.scalars(
            select(ProcessInstance).where(ProcessInstance.process_key == "mistaken_deletion")
        ).first()
        county = session.scalars(select(User).where(User.username == "nanming-county")).one()
        session.execute(
            text(
                "INSERT INTO instance_event "
                "(instance_id, at, kind, bpmn_id, title, user_id, org_id, state_label, data) "
                "SELECT :case, now(), CASE WHEN g % 2 = 0 THEN 'task' ELSE 'state' END, 'county_review', "
                "'步骤' || g, :user, :org, '状态' || g, '{\"fields\": [[\"意见\", \"基准\"]]}' "
                "FROM generate_series(1, 200) g"
            ),
            {"case": case.id, "user": county.id, "org": county.org_id},
        )
        session.commit()
        case_id = case.id
    app = create_app(
        {"DATABASE_URL": url, "WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": False, "SECRET_KEY": "b"}
    )
    client = app.test_client()
    client.post("/login", data={"username": "nanming-county", "password": PASSWORD})
    assert client.get(f"/cases/{case_id}").status_code == 200
    p50, p95 = percentiles(lambda: client.get(f"/cases/{case_id}"), runs=30)
    print(f"case page with 200+ steps: p50 {p50:.1f} ms, p95 {p95:.1f} ms")


def build(url: str, students: int, instances: int, open_tasks_wanted: int, *, reuse: bool = False) -> Engine:
    """The province: the demo world, then the bulk tables (also bench/http_load.py's data); committed. ``reuse``:
    the database as an earlier run left it, neither wiped nor built again (building 5 M students takes a while)."""
    if reuse:
        wf.use_handlers(handlers.REGISTRY)  # as build_database hands them
        return make_engine(url)
    db = timed("demo world and diagrams", lambda: build_database(url, students=300))
    with Session(db) as session:
        templates = timed("template cases of every diagram, through the engine", lambda: template_cases(session))
        made = timed(
            f"{instances:,} cases with their students, parties, history, inbox rows and audit rows",
            lambda: fill_cases(session, templates, instances, open_tasks_wanted),
        )
        timed(f"{max(0, students - made):,} more students", lambda: fill_students(session, max(0, students - made)))
        session.commit()
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("XUEJI_BENCH_DATABASE_URL", ""))
    parser.add_argument("--students", type=int, default=5_000_000)
    parser.add_argument("--instances", "--cases", dest="instances", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--completions", type=int, default=600)
    parser.add_argument("--reuse", action="store_true", help="measure on the data an earlier run built")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to show the bench still runs")
    args = parser.parse_args()
    if args.smoke:
        args.students, args.instances, args.open, args.completions = 2000, 500, 100, 8
    if not args.url.startswith("postgresql"):
        parser.error("needs --url postgresql+psycopg://… (the data is built with PostgreSQL's generate_series)")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print("building:", flush=True)
    db = build(args.url, args.students, args.instances, args.open, reuse=args.reuse)
    # The inbox reads a seat's open tasks from its index alone where the table's pages are marked all-visible:
    # autovacuum keeps that mark on a live database; a table just filled by INSERT … SELECT has none until vacuumed
    # (and a server run with autovacuum off never gets it).
    with db.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM (ANALYZE) inbox_task"))
    with Session(db) as session:
        session.execute(text("ANALYZE"))
        session.commit()
        county = session.scalars(select(User).where(User.username == "nanming-county")).one()
        total = open_tasks(session, county).total
        print(f"inbox of 南明区: {total:,} open tasks")
        steps = session.execute(
            select(InboxTask.process_key, InboxTask.bpmn_id, func.count())
            .where(InboxTask.org_id == county.org_id, InboxTask.status == TaskStatus.OPEN)
            .group_by(InboxTask.process_key, InboxTask.bpmn_id)
            .order_by(func.count().desc())
        ).all()
        print("  by step: " + ", ".join(f"{flow}/{step} {n:,}" for flow, step, n in steps))
        school = session.scalar(
            select(ProcessInstance.org_id)
            .join(InboxTask, InboxTask.instance_id == ProcessInstance.id)
            .where(InboxTask.org_id == county.org_id, InboxTask.status == TaskStatus.OPEN)
            .group_by(ProcessInstance.org_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        measured: dict[str, dict[str, Any]] = {
            "default (oldest first)": {},
            "sort newest": {"sort": "newest"},
            "sort due": {"sort": "due"},
            **{
                f"filter flow {flow}": {"flt": InboxFilter(flow=flow)} for flow in dict.fromkeys(f for f, _, _ in steps)
            },
            **{
                f"filter flow+step {flow}/{step}": {"flt": InboxFilter(flow=flow, step=step)} for flow, step, _ in steps
            },
            "filter school": {"flt": InboxFilter(school=school)},
            "filter overdue": {"flt": InboxFilter(due="overdue")},
            "filter claimed by me": {"flt": InboxFilter(mine=True)},
        }
        for label, kwargs in measured.items():
            shown = open_tasks(session, county, **kwargs).total
            p50, p95 = percentiles(lambda kw=kwargs: open_tasks(session, county, **kw))  # type: ignore[misc]
            print(f"inbox page, {label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({shown:,} tasks)")
    completions(args.url, db, args.completions)
    case_page(db, args.url)
    db.dispose()


if __name__ == "__main__":
    main()
