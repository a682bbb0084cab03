"""跨省招生 / 毕业后跨省就学 (F-43) through the exchange of the cross-province transfer: a Guizhou junior school admits
a Beijing primary graduate. The graduating school's county approves, the admitting school pulls the archive; every
national refusal comes back as 转出省校验未通过."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from conftest import CaseDriver
from handlers import class_assignment
from models import admission as adm
from models import transitions
from models.admission import Admission, AdmissionStatus
from models.base import utcnow
from models.calendar import current_term
from models.errors import DomainError
from models.exchange import ExchangeMessage
from models.org import Cohort, OrgUnit, School, SchoolClass, Stage
from models.school_year import admission_year
from models.student import Student, StudentStatus
from models.workflow import CaseStatus

IN = "transfer_cross_province_in"
ADMITTING, ADMITTING_COUNTY = "nanming-cz-registrar", "nanming-county"  # 南明第一中学
BJ_SCHOOL, BJ_COUNTY = "dongcheng-xx-registrar", "dongcheng-county"
PASS = {"decision": "通过"}


@pytest.fixture
def bj_graduate(session, student_of) -> Student:
    """A pupil of 东城第一小学 who graduated this July."""
    pupil = student_of(BJ_SCHOOL)
    transitions.change_status(session, pupil, StudentStatus.GRADUATED, actor=None, action="毕业")
    pupil.graduated_on = date(2026, 7, 1)
    session.flush()
    return pupil


@pytest.fixture
def apply(flows, user, session, clock):
    """The admitting registrar's 跨省招生 request: graduation province, name, number, stage."""

    def start(student: Student, *, name: str | None = None, number: str | None = None, stage: str = "junior"):
        by = user(ADMITTING)
        beijing = session.scalars(select(OrgUnit).where(OrgUnit.name == "北京市")).one()
        return flows(
            IN,
            student=None,
            by=by,
            to_school_id=by.org_id,
            form_key=f"{IN}.admission_request",
            from_province_id=str(beijing.id),
            student_name=name or student.name,
            national_student_id=number or student.national_student_id,
            stage=stage,
            reason="随父母来黔工作",
        )

    return start


def to_graduation_province(apply, student, user, **kwargs) -> CaseDriver:
    case = apply(student, **kwargs)
    assert case.state == "转入学校审核通过"
    assert case.seats() == [("to_county_review", "南明区", "county_officer")]
    case.submit("to_county_review", by=user(ADMITTING_COUNTY), **PASS)
    return case


def test_the_graduating_county_approves_and_the_admitting_school_pulls_the_archive(apply, bj_graduate, user, session):
    case = to_graduation_province(apply, bj_graduate, user)
    out = case.other_side()
    assert case.case.title == f"毕业后跨省就学（转入）：{bj_graduate.name}"
    assert out.case.title == f"毕业后跨省就学（转出）：{bj_graduate.name}"
    assert out.state == "待转出区县审核"
    assert out.seats() == [("county_review", "东城区", "county_officer")]  # no school review for a graduate
    assert case.state == "转学申请已发往转出省"

    out.submit("county_review", by=user(BJ_COUNTY), **PASS)
    assert (case.state, out.state) == ("等待转入学校调档", "等待转入学校调档")
    case.submit("pull", by=user(ADMITTING), action="调档")
    assert (case.state, out.state) == ("学籍调档完毕", "学籍调档完毕")
    assert case.case.status == out.case.status == CaseStatus.COMPLETED

    session.expire_all()
    old = session.get(Student, bj_graduate.id)
    assert (old.status, old.open_case_id) == (StudentStatus.TRANSFERRED_OUT, None)  # T13
    new = session.get(Student, case.case.student_id)
    assert (new.status, new.school.name, new.class_id, new.national_student_id) == (
        StudentStatus.IN_SCHOOL,
        "南明第一中学",
        None,
        bj_graduate.national_student_id,
    )
    assert new in class_assignment.awaiting_class(session, user(ADMITTING).org_id)  # 待分班
    [admission] = session.scalars(select(Admission).where(Admission.student_id == new.id)).all()
    assert (admission.school_id, admission.stage, admission.status) == (
        user(ADMITTING).org_id,
        Stage.JUNIOR,
        AdmissionStatus.ADMITTED,
    )
    assert case.states() == [
        "转入学校审核通过",
        "转学申请已发往转出省",
        "转出区县审核通过",
        "等待转入学校调档",
        "调档申请已发往转出省",
        "学籍调档完毕",
    ]


def test_the_graduating_county_rejects(apply, bj_graduate, user, session):
    case = to_graduation_province(apply, bj_graduate, user)
    out = case.other_side()
    out.submit("county_review", by=user(BJ_COUNTY), decision="不通过", comment="该生已在本市录取")
    assert (case.state, out.state) == ("转出区县审核不通过", "转出区县审核不通过")
    assert case.case.status == out.case.status == CaseStatus.COMPLETED
    session.expire_all()
    stays = session.get(Student, bj_graduate.id)
    assert (stays.status, stays.open_case_id, stays.school.name) == (StudentStatus.GRADUATED, None, "东城第一小学")


def test_the_admitting_county_rejects(apply, bj_graduate, user, session):
    case = apply(bj_graduate)
    case.submit("to_county_review", by=user(ADMITTING_COUNTY), decision="不通过", comment="材料不全")
    assert case.state == "转入区县审核不通过"
    sent = session.scalars(select(ExchangeMessage).where(ExchangeMessage.correlation == case.case.correlation_key))
    assert sent.all() == []


def _beijing_junior_school(session, user):
    """西城第一小学 made a 九年一贯制 school with a grade-1 junior class."""
    xicheng = user("xicheng-xx-registrar")
    school = session.get_one(School, xicheng.org_id)
    school.stages = f"{Stage.PRIMARY.value},{Stage.JUNIOR.value}"
    cohort = Cohort(school_id=school.org_id, stage=Stage.JUNIOR, cohort_year=admission_year(session, school.org_id))
    cohort.classes.append(SchoolClass(class_no="701", name="七(1)班"))
    session.add(cohort)
    session.flush()
    return xicheng


def _admitted_in_beijing(session, user, graduate: Student) -> None:
    xicheng = _beijing_junior_school(session, user)
    admission, _ = adm.record_admission(session, xicheng, graduate.id, xicheng.org_id, Stage.JUNIOR, now=utcnow())
    adm.admit(session, admission, user("xicheng-county"), now=utcnow(), instance_id=None)


def _pending_in_beijing(session, user, graduate: Student) -> None:
    xicheng = _beijing_junior_school(session, user)
    adm.record_admission(session, xicheng, graduate.id, xicheng.org_id, Stage.JUNIOR, now=utcnow())


def _in_school(session, user, graduate: Student) -> None:
    transitions.change_status(session, graduate, StudentStatus.IN_SCHOOL, actor=None, action="毕业生驳回")


def _problem_record(session, user, graduate: Student) -> None:
    graduate.problem_type = "3"


def _last_year(session, user, graduate: Student) -> None:
    graduate.graduated_on = date(2025, 7, 1)


@pytest.mark.parametrize(
    ("prepare", "request_fields", "reason"),
    [
        (None, {"number": "G110101201001010000"}, "学籍号在毕业省不存在!"),
        (None, {"name": "王不对"}, "学籍号在毕业省存在，但学籍号和姓名不匹配!"),
        (_in_school, {}, "该学生的学籍状态是非毕业生!"),
        (_pending_in_beijing, {}, "存在正在办理的省内招生业务"),
        (_admitted_in_beijing, {}, "该学生已经被毕业省的其他学校录取!"),
        (_problem_record, {}, "该学生为问题学籍（无身份证号姓名、性别、出生日期重复），不能办理毕业后跨省就学"),
        (_last_year, {}, "该学生不是当年毕业生，不能办理毕业后跨省就学"),
    ],
)
def test_the_graduation_province_refuses(apply, bj_graduate, user, session, prepare, request_fields, reason):
    if prepare is not None:
        prepare(session, user, bj_graduate)
        session.flush()
    case = to_graduation_province(apply, bj_graduate, user, **request_fields)
    out = case.other_side()
    assert (case.state, out.state) == ("转出省校验未通过", "转出省校验未通过")
    assert case.seats() == [("resubmit", "南明第一中学", "school_registrar")]
    assert out.case.student_id is None
    status = session.scalars(
        select(ExchangeMessage).where(
            ExchangeMessage.correlation == case.case.correlation_key, ExchangeMessage.name == "xp_status"
        )
    ).one()
    assert status.payload == {"state": "转出省校验未通过", "reason": reason}
    assert session.get(Student, bj_graduate.id).open_case_id is None


def test_a_corrected_request_is_resubmitted(apply, bj_graduate, user, session):
    case = to_graduation_province(apply, bj_graduate, user, name="王不对")
    case.submit(
        "resubmit",
        by=user(ADMITTING),
        action="重新提交申请",
        student_name=bj_graduate.name,
        national_student_id=bj_graduate.national_student_id,
    )
    case.submit("to_county_review", by=user(ADMITTING_COUNTY), **PASS)
    assert case.other_side().seats() == [("county_review", "东城区", "county_officer")]


def test_the_admitting_side_refuses_before_sending(apply, bj_graduate, student_of, clock):
    own = student_of("yunyan-xx-registrar")
    with pytest.raises(DomainError, match="本省毕业生，请使用自主招生"):
        apply(bj_graduate, name=own.name, number=own.national_student_id)
    with pytest.raises(DomainError, match="南明第一中学没有高中阶段"):
        apply(bj_graduate, stage="senior")
    clock.set(2026, 7, 1)
    with pytest.raises(DomainError, match="当前不在毕业后跨省就学业务时间窗口内"):
        apply(bj_graduate)


def test_the_admitting_school_needs_its_new_term_as_for_every_admission(apply, bj_graduate, user, session):
    current = current_term(session, user(ADMITTING).org_id)
    current.is_current = False
    session.flush()
    with pytest.raises(DomainError, match="本校尚未设置当前学期"):
        apply(bj_graduate)


def test_no_admission_in_the_graduation_province_while_the_request_is_open(apply, bj_graduate, user, session):
    to_graduation_province(apply, bj_graduate, user)
    xicheng = _beijing_junior_school(session, user)
    with pytest.raises(DomainError, match="有在办业务「毕业后跨省就学（转出）"):
        adm.record_admission(session, xicheng, bj_graduate.id, xicheng.org_id, Stage.JUNIOR, now=utcnow())
