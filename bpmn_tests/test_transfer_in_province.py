"""省内转学 (F-29, F-30): every path of processes/transfer_in_province.bpmn, engine and database, no web layer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from models.audit import AuditEvent
from models.business_calendar import CHINA
from models.errors import NotFound
from models.org import SchoolClass
from models.student import Student
from models.workflow import CaseStatus, InstanceEvent

FLOW = "transfer_in_province"
NANMING_XX = "nanming-xx-registrar"  # receiving school of most tests: 南明第一小学
REASONS = {"cause": "房产变更", "reason": "家庭搬迁至南明区"}


def class_of(session, user) -> SchoolClass:
    return session.scalars(
        select(SchoolClass).join(SchoolClass.cohort).where(SchoolClass.cohort.has(school_id=user.org_id))
    ).first()


@pytest.fixture
def transfer(flows, user, student_of, session, clock):
    """Start a transfer of the first free student of ``from_school`` into ``to_school``."""

    def start(from_school: str, to_school: str = NANMING_XX):
        receiving = user(to_school)
        student = student_of(from_school)
        return flows(
            FLOW,
            student=student,
            by=receiving,
            to_school_id=receiving.org_id,
            to_class_id=str(class_of(session, receiving).id),
            **REASONS,
        )

    return start


def school_of(session, case) -> str:
    return session.get(Student, case.case.student_id).school.name


PASS = {"decision": "通过"}


def fail(reason: str = "材料不全") -> dict[str, str]:
    return {"decision": "不通过", "comment": reason}


# -- intra-county (F-29) ----------------------------------------------------------------------------------


def test_intra_county_goes_straight_to_the_sending_school(transfer):
    case = transfer("nanming-cz-registrar")
    assert case.state == "待转出学校审核"
    assert case.seats() == [("from_school_review", "南明第一中学", "school_registrar")]


def test_intra_county_completed_by_the_county_moves_the_student(transfer, user, session):
    case = transfer("nanming-cz-registrar")
    case.submit("from_school_review", by=user("nanming-cz-registrar"), **PASS)
    assert case.state == "待转出区县审核"
    assert case.seats() == [("from_county_review", "南明区", "county_officer")]
    case.submit("from_county_review", by=user("nanming-county"), **PASS)
    assert case.state == "转出区县审核通过"
    assert case.case.status == CaseStatus.COMPLETED
    student = session.get(Student, case.case.student_id)
    assert (student.school.name, student.open_case_id) == ("南明第一小学", None)
    assert student.school_class.cohort.school_id == user(NANMING_XX).org_id
    [entry] = session.scalars(select(AuditEvent).where(AuditEvent.entity_id == student.id)).all()
    assert entry.action == "转学" and entry.before["学校"] == "南明第一中学" and entry.after["学校"] == "南明第一小学"
    assert entry.instance_id == case.case.id and entry.actor.username == "nanming-county"
    assert case.states() == ["待转出学校审核", "转出学校审核通过", "待转出区县审核", "转出区县审核通过"]


@pytest.mark.parametrize(
    ("step", "reviewer", "end_state"),
    [
        ("from_school_review", "nanming-cz-registrar", "转出学校审核不通过"),
        ("from_county_review", "nanming-county", "转出区县审核不通过"),
    ],
)
def test_intra_county_rejection_ends_the_case_and_the_student_stays(transfer, user, session, step, reviewer, end_state):
    case = transfer("nanming-cz-registrar")
    if step == "from_county_review":
        case.submit("from_school_review", by=user("nanming-cz-registrar"), **PASS)
    case.submit(step, by=user(reviewer), **fail("该生本学期不宜转学"))
    assert case.state == end_state
    assert case.case.status == CaseStatus.COMPLETED
    assert case.seats() == []
    student = session.get(Student, case.case.student_id)
    assert (student.school.name, student.open_case_id) == ("南明第一中学", None)
    last = session.scalars(
        select(InstanceEvent).where(InstanceEvent.instance_id == case.case.id, InstanceEvent.kind == "task")
    ).all()[-1]
    assert ["审核意见（不通过时必填）", "该生本学期不宜转学"] in last.data["fields"]


# -- cross-county (F-30) ----------------------------------------------------------------------------------


def test_cross_county_waits_for_the_receiving_county_first(transfer):
    case = transfer("yunyan-xx-registrar")
    assert case.state == "待转入区县审核"
    assert case.seats() == [("to_county_review", "南明区", "county_officer")]


def test_cross_county_primary_completes_at_the_sending_county(transfer, user, session):
    case = transfer("yunyan-xx-registrar")
    case.submit("to_county_review", by=user("nanming-county"), **PASS)
    assert case.state == "待转出学校审核"
    assert case.seats() == [("from_school_review", "云岩第一小学", "school_registrar")]
    case.submit("from_school_review", by=user("yunyan-xx-registrar"), **PASS)
    assert case.seats() == [("from_county_review", "云岩区", "county_officer")]
    case.submit("from_county_review", by=user("yunyan-county"), **PASS)
    assert case.state == "转出区县审核通过"
    assert school_of(session, case) == "南明第一小学"
    assert case.states() == [
        "待转入区县审核",
        "转入区县审核通过",
        "待转出学校审核",
        "转出学校审核通过",
        "待转出区县审核",
        "转出区县审核通过",
    ]


@pytest.mark.parametrize(
    ("steps_passed", "failing", "reviewer", "end_state"),
    [
        (0, "to_county_review", "nanming-county", "转入区县审核不通过"),
        (1, "from_school_review", "yunyan-xx-registrar", "转出学校审核不通过"),
        (2, "from_county_review", "yunyan-county", "转出区县审核不通过"),
    ],
)
def test_cross_county_rejection_at_each_step(transfer, user, session, steps_passed, failing, reviewer, end_state):
    case = transfer("yunyan-xx-registrar")
    chain = [
        ("to_county_review", "nanming-county"),
        ("from_school_review", "yunyan-xx-registrar"),
        ("from_county_review", "yunyan-county"),
    ]
    for step, by in chain[:steps_passed]:
        case.submit(step, by=user(by), **PASS)
    case.submit(failing, by=user(reviewer), **fail())
    assert case.state == end_state
    assert case.case.status == CaseStatus.COMPLETED
    assert school_of(session, case) == "云岩第一小学"


# -- city review (senior stage by default; rule table) ---------------------------------------------------------


def senior_to_city(case, user, sending_school: str, sending_county: str) -> None:
    case.submit("to_county_review", by=user("nanming-county"), **PASS)
    case.submit("from_school_review", by=user(sending_school), **PASS)
    case.submit("from_county_review", by=user(sending_county), **PASS)


def test_senior_transfer_needs_the_city_and_completes_there(transfer, user, session):
    case = transfer("yunyan-gz-registrar", "nanming-gz-registrar")
    senior_to_city(case, user, "yunyan-gz-registrar", "yunyan-county")
    assert case.state == "待市级审核"
    assert case.seats() == [("city_review", "贵阳市", "city_officer")]
    assert school_of(session, case) == "云岩高级中学"
    case.submit("city_review", by=user("guiyang-city"), **PASS)
    assert case.state == "市级审核通过"
    assert school_of(session, case) == "南明高级中学"
    assert case.states()[-3:] == ["转出区县审核通过", "待市级审核", "市级审核通过"]


def test_city_rejects_and_the_student_stays(transfer, user, session):
    case = transfer("yunyan-gz-registrar", "nanming-gz-registrar")
    senior_to_city(case, user, "yunyan-gz-registrar", "yunyan-county")
    case.submit("city_review", by=user("guiyang-city"), **fail("不符合市级转学条件"))
    assert case.state == "市级审核不通过"
    assert school_of(session, case) == "云岩高级中学"


def test_cross_city_review_is_done_by_the_sending_city(transfer, user):
    case = transfer("daozhen-gz-registrar", "nanming-gz-registrar")
    senior_to_city(case, user, "daozhen-gz-registrar", "daozhen-county")
    assert case.seats() == [("city_review", "遵义市", "city_officer")]
    with pytest.raises(NotFound):
        case.submit("city_review", by=user("guiyang-city"), **PASS)
    assert case.state == "待市级审核"


def test_rule_table_turns_city_review_on_for_a_primary_intra_county_transfer(transfer, user, session):
    from models.org import OrgUnit, Stage
    from models.transfer_rules import CityReviewRule, TransferScope

    province = session.scalars(select(OrgUnit).where(OrgUnit.name == "贵州省")).one()
    session.add(
        CityReviewRule(org_id=province.id, stage=Stage.PRIMARY, scope=TransferScope.INTRA_COUNTY, city_review=True)
    )
    session.flush()
    case = transfer("nanming-cz-registrar")  # into a primary class: the rule is about the receiving class's stage
    case.submit("from_school_review", by=user("nanming-cz-registrar"), **PASS)
    case.submit("from_county_review", by=user("nanming-county"), **PASS)
    assert case.state == "待市级审核"


def test_rule_table_turns_city_review_off_for_senior(transfer, user, session):
    from models.org import OrgUnit, Stage
    from models.transfer_rules import CityReviewRule, TransferScope

    province = session.scalars(select(OrgUnit).where(OrgUnit.name == "贵州省")).one()
    session.add(
        CityReviewRule(org_id=province.id, stage=Stage.SENIOR, scope=TransferScope.CROSS_COUNTY, city_review=False)
    )
    session.flush()
    case = transfer("yunyan-gz-registrar", "nanming-gz-registrar")
    senior_to_city(case, user, "yunyan-gz-registrar", "yunyan-county")
    assert case.state == "转出区县审核通过"
    assert school_of(session, case) == "南明高级中学"


# -- forms and seats ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "error_field", "message"),
    [
        ({"decision": "不通过"}, "comment", "审核不通过时必须填写原因"),
        ({}, "decision", "请选择审核结果"),
        ({"decision": "同意"}, "decision", None),
    ],
)
def test_review_forms_refuse_incomplete_decisions(transfer, fields, error_field, message):
    case = transfer("yunyan-xx-registrar")
    form = case.form_for("to_county_review", **fields)
    assert not form.validate()
    assert error_field in form.errors
    if message:
        assert form.errors[error_field] == [message]


def test_only_the_seat_of_each_step_may_act(transfer, user):
    case = transfer("yunyan-xx-registrar")
    for outsider in ("yunyan-county", "daozhen-county", NANMING_XX, "guiyang-city"):
        with pytest.raises(NotFound):
            case.submit("to_county_review", by=user(outsider), **PASS)
    assert case.state == "待转入区县审核"


@pytest.fixture
def due_clock(clock, monkeypatch):
    """The clock, also for the due dates the store writes (elsewhere they follow the real time, like the inbox's
    已超期 mark)."""
    monkeypatch.setattr("engine.store.utcnow", lambda: clock.now)
    return clock


def test_each_review_is_due_within_ten_working_days(transfer, due_clock):
    """Started on Thursday 10 Sep 2026: ten working days are 11 … 23 Sep, with Sunday 20 Sep worked (国庆调休上班)."""
    case = transfer("yunyan-xx-registrar")
    due = case.open_task("to_county_review").due_at
    assert (due if due.tzinfo else due.replace(tzinfo=UTC)) == datetime(2026, 9, 23, 10, tzinfo=CHINA)


def test_a_review_due_date_skips_the_national_holiday(transfer, due_clock):
    """Started on Monday 28 Sep 2026: 国庆 1–7 Oct is off, Saturday 10 Oct is worked; the 10th working day is
    16 Oct (Monday–Friday alone would give 12 Oct)."""
    due_clock.set(2026, 9, 28, 9)
    case = transfer("yunyan-xx-registrar")
    due = case.open_task("to_county_review").due_at
    assert (due if due.tzinfo else due.replace(tzinfo=UTC)) == datetime(2026, 10, 16, 9, tzinfo=CHINA)
