"""Admissions racing on PostgreSQL (F-46): whatever arrives together, at most one school holds the student.

Two schools admitting one graduate at the same moment still open exactly one 重复招生 case (the student row lock
serialises them); two arbitrations of two cases of one student finishing together admit exactly one school
(the lock, backed by the partial unique index ``uq_admission_one_admitted``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from io import BytesIO

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import engine as wf
from handlers import admission_results as ar
from handlers import graduation
from models.admission import Admission, AdmissionResult, AdmissionStatus
from models.base import utcnow
from models.errors import DomainError
from models.org import Cohort, School, Stage
from models.student import Student, StudentStatus
from models.user import User
from models.workflow import InboxTask, ProcessInstance, TaskStatus
from webapp.admissions import admit_graduate

pytestmark = pytest.mark.committed

PROOF = {"action": "佐证", "opinion": "学生选择本校", "proof": "回执"}


def _user(session: Session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def _graduate(engine) -> int:
    with Session(engine) as session:
        registrar = _user(session, "nanming-cz-registrar")
        cohort = session.scalars(
            select(Cohort).where(Cohort.school_id == registrar.org_id).order_by(Cohort.cohort_year)
        ).first()
        pupils = graduation.class_students(session, cohort.classes[0].id)
        graduation.graduate(session, registrar, pupils, on=date(2027, 7, 1))
        session.commit()
        return pupils[0].id


def _together(work: Callable[[str], str], args: list[str]) -> list[str]:
    barrier = threading.Barrier(len(args))
    outcomes: list[str] = []

    def run(arg: str) -> None:
        barrier.wait()
        outcomes.append(work(arg))

    threads = [threading.Thread(target=run, args=(a,)) for a in args]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def _admit(engine, username: str, student_id: int) -> str:
    with Session(engine) as session:
        registrar = _user(session, username)
        _, case = admit_graduate(
            session, registrar, student_id=student_id, school_id=registrar.org_id, stage=Stage.SENIOR
        )
        return "case" if case else "none"


def _complete(engine, case_id: int, bpmn_id: str, username: str, data: dict) -> None:
    with Session(engine) as session:
        task_id = session.scalars(
            select(InboxTask.id).where(
                InboxTask.instance_id == case_id, InboxTask.bpmn_id == bpmn_id, InboxTask.status == TaskStatus.OPEN
            )
        ).one()
        wf.complete(session, task_id, actor=_user(session, username), data=data)


def _admissions(engine, student_id: int) -> list[AdmissionStatus]:
    with Session(engine) as session:
        return list(
            session.scalars(select(Admission.status).where(Admission.student_id == student_id).order_by(Admission.id))
        )


def test_two_schools_admitting_together_open_exactly_one_duplicate_case(committed_db):
    student_id = _graduate(committed_db)
    outcomes = _together(
        lambda who: _admit(committed_db, who, student_id), ["nanming-gz-registrar", "yunyan-gz-registrar"]
    )
    assert sorted(outcomes) == ["case", "none"]
    assert _admissions(committed_db, student_id) == [AdmissionStatus.DUPLICATE] * 2
    with Session(committed_db) as session:
        cases = session.scalar(
            select(func.count())
            .select_from(ProcessInstance)
            .where(ProcessInstance.process_key == "duplicate_admission")
        )
        assert cases == 1


def test_two_arbitrations_finishing_together_admit_exactly_one_school(committed_db):
    student_id = _graduate(committed_db)
    assert _admit(committed_db, "nanming-gz-registrar", student_id) == "none"
    assert _admit(committed_db, "yunyan-gz-registrar", student_id) == "case"
    assert _admit(committed_db, "meitan-gz-registrar", student_id) == "case"
    with Session(committed_db) as session:
        case_ids = list(
            session.scalars(
                select(ProcessInstance.id)
                .where(ProcessInstance.process_key == "duplicate_admission")
                .order_by(ProcessInstance.id)
            )
        )
    parties = {
        case_ids[0]: ("yunyan-gz-registrar", "yunyan-county"),
        case_ids[1]: ("meitan-gz-registrar", "meitan-county"),
    }
    for case_id, (school, county) in parties.items():
        _complete(committed_db, case_id, "a_action", "nanming-gz-registrar", PROOF)
        _complete(committed_db, case_id, "b_action", school, PROOF)
        _complete(committed_db, case_id, "a_review", "nanming-county", {"decision": "通过", "comment": ""})
        _complete(committed_db, case_id, "b_review", county, {"decision": "通过", "comment": ""})
    arbitrators = {case_ids[0]: "guiyang-city", case_ids[1]: "guizhou-province"}

    def arbitrate(case_id: str) -> str:
        try:
            _complete(
                committed_db, int(case_id), "arbitration", arbitrators[int(case_id)], {"winner": "b", "comment": "并发"}
            )
            return "ok"
        except DomainError as err:
            return err.message

    outcomes = _together(arbitrate, [str(c) for c in case_ids])
    assert sorted(outcomes) == ["ok", "该学生已被其他学校录取，不能再录取"]
    statuses = _admissions(committed_db, student_id)
    assert statuses.count(AdmissionStatus.ADMITTED) == 1
    assert statuses[0] == AdmissionStatus.REJECTED


def test_a_rejection_and_an_admission_arriving_together_never_both_pass(committed_db):
    """毕业生驳回 (Q-37: only while not admitted) and an admission of the same graduate: one of them waits for
    the other's student-row lock and then sees its outcome."""
    student_id = _graduate(committed_db)

    def work(kind: str) -> str:
        try:
            if kind == "admit":
                _admit(committed_db, "nanming-gz-registrar", student_id)
            else:
                with Session(committed_db) as session:
                    county = _user(session, "nanming-county")
                    graduation.reject_graduates(
                        session, county, [session.get_one(Student, student_id)], reason="毕业信息有误"
                    )
                    session.commit()
            return kind
        except DomainError:
            return "refused"

    outcomes = _together(work, ["admit", "reject"])
    assert sorted(outcomes) in (["admit", "refused"], ["refused", "reject"])
    with Session(committed_db) as session:
        status = session.get_one(Student, student_id).status
        admitted = _admissions(committed_db, student_id)
    if "admit" in outcomes:
        assert admitted == [AdmissionStatus.PENDING] and status == StudentStatus.GRADUATED
    else:
        assert admitted == [] and status == StudentStatus.IN_SCHOOL


def test_the_same_result_file_imported_twice_at_once_gives_one_result_per_graduate(committed_db):
    """招生结果 (F-40): one result per graduate, stage and year, also when two imports of one county overlap."""
    student_id = _graduate(committed_db)
    with Session(committed_db) as session:
        student = session.get_one(Student, student_id)
        junior, senior = (
            session.get_one(School, _user(session, who).org_id)
            for who in ("nanming-cz-registrar", "nanming-gz-registrar")
        )
        book = Workbook()
        book.active.append(list(ar.HEADERS))
        book.active.append([student.national_student_id, student.name, junior.school_code, senior.school_code, "高中"])
        out = BytesIO()
        book.save(out)

    def upload(_: str) -> str:
        with Session(committed_db) as session:
            try:
                ar.import_results(session, _user(session, "nanming-county"), out.getvalue(), now=utcnow())
                session.commit()
                return "imported"
            except ar.ImportRefused as refused:
                return refused.errors[0]

    outcomes = _together(upload, ["first", "second"])
    assert sorted(outcomes)[0] == "imported" and "请勿重复导入" in sorted(outcomes)[1]
    with Session(committed_db) as session:
        assert session.scalar(select(func.count()).select_from(AdmissionResult)) == 1
