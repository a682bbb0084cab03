"""跨省转学 (F-31, F-32): the receiving and the sending diagram in two provinces, talking only through the
exchange. Every path: reviews on both sides, optional steps on and off, validation failure and 重新提交申请,
revoke, 调档, 异常结束 and 打回 by the relay."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import engine as wf
from models.errors import DomainError
from models.exchange import ExchangeMessage, MessageStatus
from models.jurisdiction import cases_visible_to
from models.org import OrgUnit, SchoolClass, Stage
from models.student import Student, StudentStatus
from models.transfer_rules import CityReviewRule, OutboundReview, TransferScope
from models.workflow import CaseStatus, InstanceEvent, ProcessInstance

IN = "transfer_cross_province_in"
PASS = {"decision": "通过"}
GZ_SCHOOL, GZ_COUNTY = "nanming-xx-registrar", "nanming-county"
BJ_SCHOOL, BJ_COUNTY, BJ = "dongcheng-xx-registrar", "dongcheng-county", "beijing-province"


def fail(reason: str) -> dict[str, str]:
    return {"decision": "不通过", "comment": reason}


def province(session, name: str) -> OrgUnit:
    return session.scalars(select(OrgUnit).where(OrgUnit.name == name)).one()


def first_class(session, school_id: int) -> SchoolClass:
    return session.scalars(select(SchoolClass).where(SchoolClass.cohort.has(school_id=school_id))).first()


@pytest.fixture
def apply(flows, user, session, clock):
    """The receiving registrar applies for ``student`` (of the other province) by number + name."""

    def start(student: Student, receiving: str = GZ_SCHOOL, *, name: str | None = None, number: str | None = None):
        by = user(receiving)
        sending = session.get(OrgUnit, student.school_id).ancestor_ids()[1]
        return flows(
            IN,
            student=None,
            by=by,
            to_school_id=by.org_id,
            from_province_id=str(sending),
            student_name=name or student.name,
            national_student_id=number or student.national_student_id,
            to_class_id=str(first_class(session, by.org_id).id),
            reason="随父母工作调动",
        )

    return start


@pytest.fixture
def bj_student(student_of) -> Student:
    return student_of(BJ_SCHOOL)


def to_sending_school(apply, bj_student, user):
    case = apply(bj_student)
    assert case.state == "转入学校审核通过"
    assert case.seats() == [("to_county_review", "南明区", "county_officer")]
    case.submit("to_county_review", by=user(GZ_COUNTY), **PASS)
    return case


def test_compulsory_transfer_in_walks_to_the_archive(apply, bj_student, user, session):
    case = to_sending_school(apply, bj_student, user)
    assert case.state == "等待转出学校审核"  # sent, validated and forwarded by the exchange at once
    out = case.other_side()
    assert out.case.process_key == "transfer_cross_province_out"
    assert out.seats() == [("school_review", "东城第一小学", "school_registrar")]
    assert out.case.student_id == bj_student.id
    assert case.seats() == [("await_sending", "南明第一小学", "school_registrar")]

    out.submit("school_review", by=user(BJ_SCHOOL), **PASS)
    assert case.state == "转出学校审核通过"
    assert out.seats() == [("county_review", "东城区", "county_officer")]
    out.submit("county_review", by=user(BJ_COUNTY), **PASS)
    assert (case.state, out.state) == ("等待转入学校调档", "等待转入学校调档")
    assert case.seats() == [("pull", "南明第一小学", "school_registrar")]

    case.submit("pull", by=user(GZ_SCHOOL), action="调档")
    assert (case.state, out.state) == ("学籍调档完毕", "学籍调档完毕")
    assert case.case.status == out.case.status == CaseStatus.COMPLETED
    session.expire_all()
    old = session.get(Student, bj_student.id)
    assert (old.status, old.open_case_id) == (StudentStatus.TRANSFERRED_OUT, None)
    new = session.get(Student, case.case.student_id)
    assert (new.status, new.school.name, new.national_student_id) == (
        StudentStatus.IN_SCHOOL,
        "南明第一小学",
        bj_student.national_student_id,
    )
    assert [g.name for g in new.guardians] == [g.name for g in old.guardians]
    assert case.states() == [
        "转入学校审核通过",
        "转学申请已发往转出省",
        "等待转出学校审核",
        "转出学校审核通过",
        "转出区县审核通过",
        "等待转入学校调档",
        "调档申请已发往转出省",
        "学籍调档完毕",
    ]


def test_configured_city_and_province_steps_of_the_sending_side(apply, user, session, student_of):
    session.add(OutboundReview(org_id=province(session, "贵州省").id, city_review=True, province_review=True))
    session.flush()
    case = apply(student_of("yunyan-xx-registrar"), BJ_SCHOOL)
    case.submit("to_county_review", by=user(BJ_COUNTY), **PASS)
    out = case.other_side()
    for step, reviewer, seat, seen in [
        (
            "school_review",
            "yunyan-xx-registrar",
            ("school_review", "云岩第一小学", "school_registrar"),
            "转出学校审核通过",
        ),
        ("county_review", "yunyan-county", ("county_review", "云岩区", "county_officer"), "转出区县审核通过"),
        ("city_review", "guiyang-city", ("city_review", "贵阳市", "city_officer"), "转出地市审核通过"),
        ("province_review", "guizhou-province", ("province_review", "贵州省", "province_officer"), "等待转入学校调档"),
    ]:
        assert out.seats() == [seat]
        out.submit(step, by=user(reviewer), **PASS)
        assert case.state == seen
    assert "转出省级审核通过" in case.states()


@pytest.mark.parametrize(
    ("passed", "step", "reviewer", "end_state"),
    [
        (0, "school_review", "yunyan-xx-registrar", "转出学校审核不通过"),
        (1, "county_review", "yunyan-county", "转出区县审核不通过"),
        (2, "city_review", "guiyang-city", "转出地市审核不通过"),
        (3, "province_review", "guizhou-province", "转出省级审核不通过"),
    ],
)
def test_a_sending_side_rejection_ends_both_cases(apply, user, session, student_of, passed, step, reviewer, end_state):
    session.add(OutboundReview(org_id=province(session, "贵州省").id, city_review=True, province_review=True))
    session.flush()
    student = student_of("yunyan-xx-registrar")
    case = apply(student, BJ_SCHOOL)
    case.submit("to_county_review", by=user(BJ_COUNTY), **PASS)
    out = case.other_side()
    chain = [
        ("school_review", "yunyan-xx-registrar"),
        ("county_review", "yunyan-county"),
        ("city_review", "guiyang-city"),
    ]
    for done, by in chain[:passed]:
        out.submit(done, by=user(by), **PASS)
    out.submit(step, by=user(reviewer), **fail("家长未确认"))
    assert (case.state, out.state) == (end_state, end_state)
    assert case.case.status == out.case.status == CaseStatus.COMPLETED
    session.expire_all()
    stays = session.get(Student, student.id)
    assert (stays.status, stays.open_case_id, stays.school.name) == (StudentStatus.IN_SCHOOL, None, "云岩第一小学")
    [message] = session.scalars(
        select(ExchangeMessage).where(
            ExchangeMessage.correlation == case.case.correlation_key,
            ExchangeMessage.payload["state"].as_string() == end_state,
        )
    ).all()
    assert message.payload["reason"] == "家长未确认"


def test_the_receiving_county_rejects(apply, bj_student, user, session):
    case = apply(bj_student)
    case.submit("to_county_review", by=user(GZ_COUNTY), **fail("不符合转入条件"))
    assert case.state == "转入区县审核不通过"
    assert (
        session.scalars(select(ExchangeMessage).where(ExchangeMessage.correlation == case.case.correlation_key)).all()
        == []
    )


@pytest.fixture
def city_reviews_primary(session):
    rule = CityReviewRule(
        org_id=province(session, "贵州省").id, stage=Stage.PRIMARY, scope=TransferScope.CROSS_PROVINCE, city_review=True
    )
    session.add(rule)
    session.flush()


def test_city_review_of_the_receiving_side_when_the_rule_says_so(apply, bj_student, user, city_reviews_primary):
    case = apply(bj_student)
    case.submit("to_county_review", by=user(GZ_COUNTY), **PASS)
    assert case.state == "转入区县审核通过"
    assert case.seats() == [("to_city_review", "贵阳市", "city_officer")]
    case.submit("to_city_review", by=user("guiyang-city"), **PASS)
    assert case.state == "等待转出学校审核"


def test_the_receiving_city_rejects(apply, bj_student, user, city_reviews_primary):
    case = apply(bj_student)
    case.submit("to_county_review", by=user(GZ_COUNTY), **PASS)
    case.submit("to_city_review", by=user("guiyang-city"), **fail("名额已满"))
    assert case.state == "市级审核不通过"


def test_senior_stage_goes_to_the_receiving_city_by_default(apply, user, session, student_of):
    # A senior-stage class of the receiving school (a Guizhou student going to Beijing would need one there).
    receiving = user("nanming-gz-registrar")
    case = apply(student_of(BJ_SCHOOL), "nanming-gz-registrar")
    case.submit("to_county_review", by=user(GZ_COUNTY), **PASS)
    assert case.seats() == [("to_city_review", "贵阳市", "city_officer")]
    assert receiving.org.name == "南明高级中学"


@pytest.mark.parametrize(
    ("name", "number", "reason"),
    [
        ("王不对", None, "学生姓名与全国学籍号不符"),
        (None, "G110101201001010000", "学籍号在转出省不存在!"),
    ],
)
def test_validation_fails_then_the_school_resubmits(apply, bj_student, user, session, name, number, reason):
    case = apply(bj_student, name=name, number=number)
    case.submit("to_county_review", by=user(GZ_COUNTY), **PASS)
    assert case.state == "转出省校验未通过"
    assert case.seats() == [("resubmit", "南明第一小学", "school_registrar")]
    assert case.other_side().state == "转出省校验未通过"
    assert case.other_side().case.student_id is None
    assert session.get(Student, bj_student.id).open_case_id is None
    form = case.form_for("resubmit", action="重新提交申请")
    assert not form.validate() and "national_student_id" in form.errors
    case.submit(
        "resubmit",
        by=user(GZ_SCHOOL),
        action="重新提交申请",
        student_name=bj_student.name,
        national_student_id=bj_student.national_student_id,
    )
    assert case.state == "转入学校审核通过"  # again through the county
    case.submit("to_county_review", by=user(GZ_COUNTY), **PASS)
    assert case.state == "等待转出学校审核"
    first_request = session.scalars(
        select(ExchangeMessage)
        .where(ExchangeMessage.correlation == case.case.correlation_key)
        .order_by(ExchangeMessage.id)
    ).first()
    assert first_request.name == "xp_request"
    invalid = session.scalars(
        select(ExchangeMessage).where(
            ExchangeMessage.correlation == case.case.correlation_key, ExchangeMessage.name == "xp_status"
        )
    ).first()
    assert invalid.payload == {"state": "转出省校验未通过", "reason": reason}


def test_a_validation_failure_may_be_abandoned(apply, bj_student, user):
    case = apply(bj_student, name="王不对")
    case.submit("to_county_review", by=user(GZ_COUNTY), **PASS)
    case.submit("resubmit", by=user(GZ_SCHOOL), action="放弃申请")
    assert case.state == "转出省校验未通过"
    assert case.case.status == CaseStatus.COMPLETED


def test_revoke_while_the_sending_school_reviews(apply, bj_student, user, session, flows):
    case = to_sending_school(apply, bj_student, user)
    out = case.other_side()
    case.submit("await_sending", by=user(GZ_SCHOOL), action="撤销转学申请", revoke_reason="家长改变主意")
    assert (case.state, out.state) == ("转学撤销完毕", "转学撤销完毕")
    assert out.seats() == [] and case.seats() == []
    assert "转学撤销申请已发往转出省" in case.states()
    assert session.get(Student, bj_student.id).open_case_id is None
    again = apply(session.get(Student, bj_student.id))  # a new application may be made
    assert again.state == "转入学校审核通过"


@pytest.mark.parametrize(
    ("step", "reviewer", "state"),
    [("school_review", BJ_SCHOOL, "转出学校审核不通过"), ("county_review", BJ_COUNTY, "转出区县审核不通过")],
)
def test_a_revoke_crossing_a_sending_side_rejection_ends_the_case_rejected(
    apply, bj_student, user, session, monkeypatch, step, reviewer, state
):
    case = to_sending_school(apply, bj_student, user)
    out = case.other_side()
    if step == "county_review":
        out.submit("school_review", by=user(BJ_SCHOOL), **PASS)
    monkeypatch.setattr("engine.api.deliver", lambda session, limit=1000: 0)  # both messages in flight at once
    case.submit("await_sending", by=user(GZ_SCHOOL), action="撤销转学申请", revoke_reason="家长改变主意")
    out.submit(step, by=user(reviewer), **fail("不同意转出"))
    monkeypatch.undo()
    wf.deliver(session)
    session.expire_all()
    assert (case.state, out.state) == (state, state)
    assert case.case.status == out.case.status == CaseStatus.COMPLETED and case.seats() == []
    revoke = session.scalars(
        select(ExchangeMessage).where(
            ExchangeMessage.correlation == case.case.correlation_key, ExchangeMessage.name == "xp_revoke"
        )
    ).one()
    assert revoke.status == MessageStatus.UNDELIVERABLE  # the sending case had ended: nothing left to revoke


def test_revoke_instead_of_the_pull(apply, bj_student, user, session):
    case = to_sending_school(apply, bj_student, user)
    out = case.other_side()
    out.submit("school_review", by=user(BJ_SCHOOL), **PASS)
    out.submit("county_review", by=user(BJ_COUNTY), **PASS)
    form = case.form_for("pull", action="撤销转学申请")
    assert not form.validate() and form.errors["revoke_reason"] == ["撤销时必须填写撤销原因"]
    case.submit("pull", by=user(GZ_SCHOOL), action="撤销转学申请", revoke_reason="已在本地入学")
    assert (case.state, out.state) == ("转学撤销完毕", "转学撤销完毕")
    assert session.get(Student, bj_student.id).status == StudentStatus.IN_SCHOOL


@pytest.fixture
def stuck(apply, bj_student, user, session, monkeypatch):
    """A request the sending province could not take (its validation failed with an error): it stays
    转学申请已发往转出省 and the exchange keeps the message as failed."""

    def broken(ctx, **_kwargs):
        raise DomainError("转出省系统异常：附件无法读取")

    monkeypatch.setitem(__import__("handlers").HANDLERS, "xp.validate_request", broken)
    case = apply(bj_student)
    case.submit("to_county_review", by=user(GZ_COUNTY), **PASS)
    monkeypatch.undo()
    assert case.state == "转学申请已发往转出省"
    [message] = session.scalars(
        select(ExchangeMessage).where(ExchangeMessage.correlation == case.case.correlation_key)
    ).all()
    assert (message.status, message.error) == (MessageStatus.FAILED, "转出省系统异常：附件无法读取")
    return case


def test_the_relay_ends_a_stuck_request_abnormally(stuck, session):
    wf.relay(session, stuck.case.id, "xp_status", {"state": "异常结束", "reason": "学期切换，未校验的申请结束"})
    assert stuck.state == "异常结束"
    assert stuck.case.status == CaseStatus.COMPLETED


def test_a_stuck_request_returned_by_the_relay_is_resubmitted(stuck, session, user, bj_student):
    wf.relay(session, stuck.case.id, "xp_status", {"state": "打回", "reason": "由本级系统统一打回"})
    assert stuck.state == "转出省校验未通过"
    stuck.submit(
        "resubmit",
        by=user(GZ_SCHOOL),
        action="重新提交申请",
        student_name=bj_student.name,
        national_student_id=bj_student.national_student_id,
    )
    stuck.submit("to_county_review", by=user(GZ_COUNTY), **PASS)
    assert stuck.state == "等待转出学校审核"


def test_each_province_sees_only_its_own_side(apply, bj_student, user, session):
    case = to_sending_school(apply, bj_student, user)
    out = case.other_side()

    def sees(username: str) -> set[int]:
        ids = {case.case.id, out.case.id}
        return set(
            session.scalars(
                select(ProcessInstance.id)
                .where(ProcessInstance.id.in_(ids))
                .where(ProcessInstance.id.in_(cases_visible_to(user(username)).with_only_columns(ProcessInstance.id)))
            )
        )

    assert sees(GZ_SCHOOL) == sees(GZ_COUNTY) == sees("guizhou-province") == {case.case.id}
    assert sees(BJ_SCHOOL) == sees(BJ_COUNTY) == sees(BJ) == {out.case.id}
    assert sees("yunyan-county") == sees("xicheng-county") == set()
    assert sees("national") == {case.case.id, out.case.id}


def test_an_own_province_student_is_refused_for_cross_province(apply, student_of, bj_student):
    own = student_of("yunyan-xx-registrar")
    with pytest.raises(DomainError, match="在本省就读，请使用省内转学"):
        apply(bj_student, GZ_SCHOOL, name=own.name, number=own.national_student_id)


def test_the_own_province_cannot_be_the_sending_province(apply, student_of):
    with pytest.raises(DomainError, match="请选择学生现在就读的其他省份"):
        apply(student_of("yunyan-xx-registrar"), GZ_SCHOOL)


def test_the_reason_of_the_other_province_is_in_the_history(apply, bj_student, user, session):
    case = to_sending_school(apply, bj_student, user)
    case.other_side().submit("school_review", by=user(BJ_SCHOOL), **fail("该生已办理休学"))
    arrived = session.scalars(
        select(InstanceEvent).where(InstanceEvent.instance_id == case.case.id, InstanceEvent.kind == "message")
    ).all()
    assert arrived[-1].title == "收到消息：跨省转学（转出）"
    assert arrived[-1].data["fields"] == [["反馈", "转出学校审核不通过"], ["原因", "该生已办理休学"]]


@pytest.mark.parametrize("passed", [0, 1, 2, 3])
def test_revoke_reaches_the_sending_side_at_every_review(apply, user, session, student_of, passed):
    session.add(OutboundReview(org_id=province(session, "贵州省").id, city_review=True, province_review=True))
    session.flush()
    student = student_of("yunyan-xx-registrar")
    case = apply(student, BJ_SCHOOL)
    case.submit("to_county_review", by=user(BJ_COUNTY), **PASS)
    out = case.other_side()
    chain = [
        ("school_review", "yunyan-xx-registrar"),
        ("county_review", "yunyan-county"),
        ("city_review", "guiyang-city"),
    ]
    for step, by in chain[:passed]:
        out.submit(step, by=user(by), **PASS)
    case.submit("await_sending", by=user(BJ_SCHOOL), action="撤销转学申请", revoke_reason="家长撤回")
    assert (case.state, out.state) == ("转学撤销完毕", "转学撤销完毕")
    assert out.seats() == [] and case.seats() == []
    session.expire_all()
    assert session.get(Student, student.id).open_case_id is None
