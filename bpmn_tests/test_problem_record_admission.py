"""问题学籍招生处理 (F-47): an admission locks a graduate's unresolved problem record; the admitting school takes it
over once the record moves (the lanes follow the student), a rejected or deleted admission unlocks it back."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from conftest import CaseDriver
from handlers import admission_results as ar
from handlers import graduation
from handlers.registration import mark_problem
from models.admission import AdmissionStatus
from models.attachment import Attachment
from models.base import utcnow
from models.errors import DomainError, NotFound
from models.org import Cohort, Stage
from models.student import Student, StudentStatus
from models.workflow import InboxTask, TaskStatus
from webapp.admissions import admit_graduate, self_admit

GRADUATING = "yunyan-cz-registrar"  # 云岩第一中学: its 九年级 graduates
SAME_COUNTY = "yunyan-gz-registrar"  # 云岩高级中学
OTHER_COUNTY = "nanming-gz-registrar"  # 南明高级中学 (same city)
OUT_OF_AREA = "meitan-gz-registrar"  # 湄潭高级中学 (another city: 外地就读, F-45)
OTHER_RECORD = "nanming-xx-registrar"  # 南明第一小学: the other record of the problem case
LOCKED = "该问题学籍正在招生处理中，已锁定"


@pytest.fixture
def graduate(session, user) -> Student:
    """A pupil of 云岩第一中学's graduating class, graduated on 1 July."""
    school_id = user(GRADUATING).org_id
    cohort = session.scalars(select(Cohort).where(Cohort.school_id == school_id).order_by(Cohort.cohort_year)).first()
    pupil = graduation.class_students(session, cohort.classes[0].id)[0]
    return pupil


@pytest.fixture
def problem_case(session, user, flows, student_of, graduate):
    """A problem case joining the pupil's record and a record of 南明第一小学; the pupil then graduates (an open
    problem record does not block graduation, seed 000). ``side`` "a": the pupil is the subject (lanes 学校/区县),
    "b": the other record (lanes 对方学校/对方区县)."""

    def start(side: str = "a") -> CaseDriver:
        other = student_of(OTHER_RECORD)
        subject, second = (graduate, other) if side == "a" else (other, graduate)
        by = user(GRADUATING if side == "a" else OTHER_RECORD)
        case = flows("problem_record", student=subject, by=by, other_student=str(second.id))
        graduation.graduate(session, user(GRADUATING), [record(session, graduate.id)], on=date(2026, 7, 1))
        session.commit()
        return case

    return start


def record(session, student_id: int) -> Student:
    session.expire_all()
    return session.get(Student, student_id)


def seats(case: CaseDriver) -> list[tuple[str, str, bool]]:
    rows = case.session.scalars(
        select(InboxTask).where(InboxTask.instance_id == case.case.id, InboxTask.status == TaskStatus.OPEN)
    ).all()
    return sorted((row.bpmn_id, row.org.name, row.locked) for row in rows)


@pytest.fixture
def proof(session, user):
    def upload(by: str) -> str:
        row = Attachment(kind="户口簿", filename="hukou.jpg", content_type="image/jpeg", size=3, data=b"jpg")
        row.uploaded_by_id = user(by).id
        row.student_id = session.scalars(select(Student.id).order_by(Student.id)).first()
        session.add(row)
        session.flush()
        return str(row.id)

    return upload


def admit(session, user, by: str, student: Student):
    return self_admit(session, user(by), number=student.national_student_id, name=student.name, stage=Stage.SENIOR)[0]


def test_an_admission_locks_the_record_and_the_admitting_school_takes_it_over(
    problem_case, graduate, session, user, proof
):
    case = problem_case()
    assert seats(case) == [("a_action", "云岩第一中学", False), ("b_action", "南明第一小学", False)]
    admission = admit(session, user, SAME_COUNTY, graduate)
    assert record(session, graduate.id).admission_lock
    assert seats(case) == [("a_action", "云岩第一中学", True), ("b_action", "南明第一小学", False)]
    with pytest.raises(DomainError, match=LOCKED):
        case.submit("a_action", by=user(GRADUATING), action="删除", statement="已毕业")
    assert record(session, graduate.id).status == StudentStatus.GRADUATED  # nothing of the refused step stays

    ar.review(session, user("yunyan-county"), [admission.id], passed=True, now=utcnow())  # same county: moves
    session.commit()
    moved = record(session, graduate.id)
    assert (moved.school.name, moved.status, moved.class_id, moved.admission_lock) == (
        "云岩高级中学",
        StudentStatus.IN_SCHOOL,
        None,
        False,
    )
    assert seats(case) == [("a_action", "云岩高级中学", False), ("b_action", "南明第一小学", False)]
    with pytest.raises(NotFound):
        case.submit("a_action", by=user(GRADUATING), action="删除", statement="已毕业")
    case.submit(
        "a_action", by=user(SAME_COUNTY), action="佐证", statement="本校学生信息无误", evidence_ids=proof(SAME_COUNTY)
    )
    assert case.seats() == [
        ("a_review", "云岩区", "county_officer"),
        ("b_action", "南明第一小学", "school_registrar"),
    ]
    assert record(session, graduate.id).problem_state == "佐证待核办"


def test_the_other_record_of_the_case_is_locked_and_moves_too(problem_case, graduate, session, user):
    case = problem_case("b")
    admission = admit(session, user, SAME_COUNTY, graduate)
    assert seats(case) == [("a_action", "南明第一小学", False), ("b_action", "云岩第一中学", True)]
    case.submit("a_action", by=user(OTHER_RECORD), action="删除", statement="重复注册")  # its own record: free
    ar.review(session, user("yunyan-county"), [admission.id], passed=True, now=utcnow())
    session.commit()
    assert seats(case) == [("b_action", "云岩高级中学", False)]
    case.submit("b_action", by=user(SAME_COUNTY), action="删除", statement="学生确已在外省就读")
    assert case.state == "已解决"


def test_a_rejected_admission_unlocks_the_record_back_to_the_graduating_school(
    problem_case, graduate, session, user, proof
):
    case = problem_case()
    admission = admit(session, user, SAME_COUNTY, graduate)
    ar.review(session, user("yunyan-county"), [admission.id], passed=False, now=utcnow())
    session.commit()
    assert (admission.status, record(session, graduate.id).admission_lock) == (AdmissionStatus.REJECTED, False)
    assert seats(case) == [("a_action", "云岩第一中学", False), ("b_action", "南明第一小学", False)]
    case.submit("a_action", by=user(GRADUATING), action="佐证", statement="信息无误", evidence_ids=proof(GRADUATING))
    assert record(session, graduate.id).problem_state == "佐证待核办"


def test_a_cross_county_admission_stays_locked_until_the_archive_is_pulled(problem_case, graduate, session, user):
    case = problem_case()
    admission = admit(session, user, OTHER_COUNTY, graduate)
    ar.review(session, user("nanming-county"), [admission.id], passed=True, now=utcnow())
    session.commit()
    assert record(session, graduate.id).admission_lock  # admitted, not yet moved (调档, F-48)
    assert seats(case) == [("a_action", "云岩第一中学", True), ("b_action", "南明第一小学", False)]
    ar.pull(session, user(OTHER_COUNTY), [admission.id])
    session.commit()
    assert seats(case) == [("a_action", "南明高级中学", False), ("b_action", "南明第一小学", False)]
    case.submit("a_action", by=user(OTHER_COUNTY), action="删除", statement="该生在外校另有学籍")
    assert record(session, graduate.id).status == StudentStatus.DELETED


def test_the_origin_county_refusing_unlocks_the_record(problem_case, graduate, session, user):
    case = problem_case()
    admission = admit(session, user, OUT_OF_AREA, graduate)
    ar.review(session, user("meitan-county"), [admission.id], passed=True, now=utcnow())
    session.commit()
    assert record(session, graduate.id).admission_lock  # 外地就读学生核办 pending (F-45)
    ar.origin_review(session, user("yunyan-county"), [admission.id], passed=False, now=utcnow())
    session.commit()
    assert not record(session, graduate.id).admission_lock
    assert seats(case) == [("a_action", "云岩第一中学", False), ("b_action", "南明第一小学", False)]


def test_a_duplicate_admission_keeps_the_lock_until_every_admission_ended(problem_case, graduate, session, user):
    case = problem_case()
    admit_graduate(
        session, user(SAME_COUNTY), student_id=graduate.id, school_id=user(SAME_COUNTY).org_id, stage=Stage.SENIOR
    )
    _, opened = admit_graduate(
        session, user(OTHER_COUNTY), student_id=graduate.id, school_id=user(OTHER_COUNTY).org_id, stage=Stage.SENIOR
    )
    duplicate = CaseDriver(session, opened)
    duplicate.submit("a_action", by=user(SAME_COUNTY), action="删除")
    assert record(session, graduate.id).admission_lock  # 南明高级中学's admission is still under way
    duplicate.submit("b_action", by=user(OTHER_COUNTY), action="删除")
    assert not record(session, graduate.id).admission_lock
    assert seats(case) == [("a_action", "云岩第一中学", False), ("b_action", "南明第一小学", False)]


def test_a_graduate_without_a_problem_record_is_not_locked(graduate, session, user):
    graduation.graduate(session, user(GRADUATING), [graduate], on=date(2026, 7, 1))
    admit(session, user, SAME_COUNTY, graduate)
    assert not record(session, graduate.id).admission_lock


def test_the_arbitration_waits_for_the_admission_and_moves_to_the_new_common_superior(
    problem_case, graduate, session, user, proof
):
    case = problem_case()
    other = record(session, int(case.case.summary["other_student"]))
    other.id_doc_number = graduate.id_doc_number  # the two records really share an ID number: both sides stay
    session.flush()
    case.submit("a_action", by=user(GRADUATING), action="佐证", statement="无误", evidence_ids=proof(GRADUATING))
    case.submit("b_action", by=user(OTHER_RECORD), action="佐证", statement="无误", evidence_ids=proof(OTHER_RECORD))
    case.submit("a_review", by=user("yunyan-county"), decision="通过")
    case.submit("b_review", by=user("nanming-county"), decision="通过")
    assert seats(case) == [("arbitration", "贵阳市", False)]
    admission = admit(session, user, OUT_OF_AREA, graduate)
    assert seats(case) == [("arbitration", "贵阳市", True)]
    with pytest.raises(DomainError, match=LOCKED):
        case.submit("arbitration", by=user("guiyang-city"), decision_a="通过", decision_b="不通过", comment="A正确")
    ar.review(session, user("meitan-county"), [admission.id], passed=True, now=utcnow())
    ar.origin_review(session, user("yunyan-county"), [admission.id], passed=True, now=utcnow())
    ar.pull(session, user(OUT_OF_AREA), [admission.id])
    session.commit()
    assert seats(case) == [("arbitration", "贵州省", False)]  # 湄潭县 and 南明区 meet at the province


def test_a_graduate_marked_a_problem_record_during_its_admission_is_locked_then_unlocked(graduate, session, user):
    """The lock follows problem_type whoever changes it: 查重 at entry marking an existing record (mark_problem),
    or the problem case clearing it."""
    graduation.graduate(session, user(GRADUATING), [graduate], on=date(2026, 7, 1))
    admit(session, user, SAME_COUNTY, graduate)
    mark_problem(session, record(session, graduate.id), "3", None)
    session.flush()
    assert record(session, graduate.id).admission_lock
    record(session, graduate.id).problem_type = None
    session.flush()
    assert not record(session, graduate.id).admission_lock
