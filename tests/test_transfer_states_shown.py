"""Every verbatim state of domain.md F-30 (省市内转学) and F-31 (跨省转学) is shown in the UI on some path:
the paths run through the engine, the pages are read as the national officer (who sees every case)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

import engine as wf
from handlers import HANDLERS
from models.errors import DomainError
from models.org import OrgUnit, SchoolClass, Stage
from models.transfer_rules import CityReviewRule, OutboundReview, TransferScope
from models.workflow import ProcessInstance
from webapp.transfers import CROSS_PROVINCE_STATES, IN_PROVINCE_STATES

PASS = {"decision": "通过"}
FAIL = {"decision": "不通过", "comment": "不符合条件"}


def first_class(session, school_id: int) -> SchoolClass:
    return session.scalars(select(SchoolClass).where(SchoolClass.cohort.has(school_id=school_id))).first()


@pytest.fixture
def in_province(flows, user, student_of, session, clock):
    def start(sending: str, receiving: str):
        by = user(receiving)
        return flows(
            "transfer_in_province",
            student=student_of(sending),
            by=by,
            to_school_id=by.org_id,
            to_class_id=str(first_class(session, by.org_id).id),
            cause="其他原因",
            reason="测试",
        )

    return start


@pytest.fixture
def cross(flows, user, student_of, session, clock):
    def start(sending: str, receiving: str, **override: str):
        by = user(receiving)
        student = student_of(sending)
        fields = {
            "from_province_id": str(session.get(OrgUnit, student.school_id).ancestor_ids()[1]),
            "student_name": student.name,
            "national_student_id": student.national_student_id,
            "to_class_id": str(first_class(session, by.org_id).id),
            "reason": "测试",
            **override,
        }
        return flows("transfer_cross_province_in", student=None, by=by, to_school_id=by.org_id, **fields)

    return start


def run_in_province_paths(in_province, user) -> None:
    chain = [
        ("to_county_review", "nanming-county"),
        ("from_school_review", "yunyan-gz-registrar"),
        ("from_county_review", "yunyan-county"),
        ("city_review", "guiyang-city"),
    ]
    for failing_at in range(5):  # fail at each step, and (5th row) pass all the way
        case = in_province("yunyan-gz-registrar", "nanming-gz-registrar")
        for index, (step, by) in enumerate(chain):
            case.submit(step, by=user(by), **(FAIL if index == failing_at else PASS))
            if index == failing_at:
                break
    in_province("yunyan-xx-registrar", "nanming-xx-registrar")  # left open: 待转入区县审核


def run_cross_province_paths(cross, user, session, monkeypatch) -> None:
    steps = [
        ("school_review", "yunyan-xx-registrar"),
        ("county_review", "yunyan-county"),
        ("city_review", "guiyang-city"),
        ("province_review", "guizhou-province"),
    ]
    for failing_at in range(5):
        case = cross("yunyan-xx-registrar", "dongcheng-xx-registrar")
        case.submit("to_county_review", by=user("dongcheng-county"), **PASS)
        case.submit("to_city_review", by=user("beijing-province"), **PASS)
        out = case.other_side()
        for index, (step, by) in enumerate(steps):
            out.submit(step, by=user(by), **(FAIL if index == failing_at else PASS))
            if index == failing_at:
                break
        else:
            case.submit("pull", by=user("dongcheng-xx-registrar"), action="调档")
    revoked = cross("yunyan-xx-registrar", "dongcheng-xx-registrar")
    revoked.submit("to_county_review", by=user("dongcheng-county"), **FAIL)
    revoked = cross("yunyan-xx-registrar", "dongcheng-xx-registrar")
    revoked.submit("to_county_review", by=user("dongcheng-county"), **PASS)
    revoked.submit("to_city_review", by=user("beijing-province"), **PASS)
    revoked.submit("await_sending", by=user("dongcheng-xx-registrar"), action="撤销转学申请", revoke_reason="不转了")
    invalid = cross("yunyan-xx-registrar", "dongcheng-xx-registrar", student_name="查无此人")
    invalid.submit("to_county_review", by=user("dongcheng-county"), **PASS)
    invalid.submit("to_city_review", by=user("beijing-province"), **PASS)

    def broken(ctx, **_kwargs):
        raise DomainError("转出省系统异常")

    monkeypatch.setitem(HANDLERS, "xp.validate_request", broken)
    stuck = cross("yunyan-xx-registrar", "dongcheng-xx-registrar")
    stuck.submit("to_county_review", by=user("dongcheng-county"), **PASS)
    stuck.submit("to_city_review", by=user("beijing-province"), **PASS)
    monkeypatch.undo()
    wf.relay(session, stuck.case.id, "xp_status", {"state": "异常结束", "reason": "学期切换"})
    cross("yunyan-xx-registrar", "dongcheng-xx-registrar")  # left open: 转入学校审核通过


def test_every_verbatim_state_is_shown(in_province, cross, user, session, login_as, monkeypatch):
    session.add(OutboundReview(org_id=user("guizhou-province").org_id, city_review=True, province_review=True))
    session.add(  # the receiving municipality reviews primary-stage transfers in too (rule table, F-31 step 3)
        CityReviewRule(
            org_id=user("beijing-province").org_id,
            stage=Stage.PRIMARY,
            scope=TransferScope.CROSS_PROVINCE,
            city_review=True,
        )
    )
    session.flush()
    run_in_province_paths(in_province, user)
    run_cross_province_paths(cross, user, session, monkeypatch)

    client = login_as("national")
    shown = ""
    for case_id in session.scalars(select(ProcessInstance.id).where(ProcessInstance.process_key.like("transfer%"))):
        page = client.get(f"/cases/{case_id}").get_data(as_text=True)
        shown += "\n".join(re.findall(r"状态：([^<\s]+)", page)) + "\n"
        shown += "\n".join(re.findall(r'data-testid="case-state">([^<]+)<', page)) + "\n"
    seen = set(shown.split())
    missing = [s for s in IN_PROVINCE_STATES + CROSS_PROVINCE_STATES if s not in seen]
    assert missing == []
    assert len(set(IN_PROVINCE_STATES)) == 12 and len(set(CROSS_PROVINCE_STATES)) == 20
