"""Transfers refused before a case starts (F-29 common rules, F-33, Q-29), and who sees a transfer (§2.2)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

import engine as wf
from models.business_calendar import BusinessPeriod
from models.errors import DomainError
from models.jurisdiction import cases_visible_to, tasks_actionable_by
from models.org import OrgUnit, SchoolClass
from models.student import Student, StudentStatus
from models.workflow import ProcessInstance

FLOW = "transfer_in_province"
RECEIVING = "nanming-xx-registrar"
SENDING = "yunyan-xx-registrar"


def first_class(session, user) -> SchoolClass:
    return session.scalars(select(SchoolClass).where(SchoolClass.cohort.has(school_id=user.org_id))).first()


@pytest.fixture
def start(session, user, clock):
    """Try to start a transfer of ``student`` into the first class of 南明第一小学."""

    def attempt(student: Student, to_class: SchoolClass | None = None) -> ProcessInstance:
        receiving = user(RECEIVING)
        to_class = to_class or first_class(session, receiving)
        return wf.start(
            session,
            FLOW,
            student_id=student.id,
            actor=receiving,
            data={"to_class_id": to_class.id, "cause": "其他原因", "reason": "测试"},
            to_school_id=receiving.org_id,
        )

    return attempt


def count_cases(session) -> int:
    return session.scalar(select(func.count(ProcessInstance.id)).where(ProcessInstance.process_key == FLOW))


def refused(session, start, student, message: str, **kwargs) -> None:
    before = count_cases(session)
    with pytest.raises(DomainError, match=message):
        start(student, **kwargs)
    assert count_cases(session) == before  # nothing of the refused case is left


def test_a_problem_record_cannot_transfer(session, start, student_of):
    student = student_of(SENDING)
    student.problem_type = "2"
    session.flush()
    refused(session, start, student, r"问题学籍（身份证号重复），问题学籍不允许转学")


@pytest.mark.parametrize("status", [StudentStatus.SUSPENDED, StudentStatus.TRANSFERRED_OUT, StudentStatus.DELETED])
def test_only_in_school_students_transfer(session, start, student_of, status):
    student = student_of(SENDING)
    student.status = status
    session.flush()
    refused(session, start, student, f"学籍状态为「{status.label}」，只有在校学生才能转学")


def test_a_student_with_an_open_case_cannot_start_another(session, start, student_of):
    student = student_of(SENDING)
    start(student)
    refused(session, start, session.get(Student, student.id), "已有在办业务「省内转学：.*」（待转入区县审核）")


def test_freeze_refuses_new_transfers(session, start, student_of, clock):
    clock.set(2026, 7, 21, 0)
    refused(session, start, student_of(SENDING), r"7月21日至8月14日为业务冻结期.*不能发起转学")
    clock.set(2026, 8, 14, 23)
    refused(session, start, student_of(SENDING), "业务冻结期")


def test_a_transfer_started_before_the_freeze_can_still_be_approved(session, flows, user, student_of, clock):
    clock.set(2026, 7, 20, 16)
    receiving = user(RECEIVING)
    case = flows(
        FLOW,
        student=student_of(SENDING),
        by=receiving,
        to_school_id=receiving.org_id,
        to_class_id=str(first_class(session, receiving).id),
        cause="其他原因",
        reason="冻结前发起",
    )
    clock.set(2026, 7, 25, 10)
    case.submit("to_county_review", by=user("nanming-county"), decision="通过")
    case.submit("from_school_review", by=user(SENDING), decision="通过")
    case.submit("from_county_review", by=user("yunyan-county"), decision="通过")
    assert case.state == "转出区县审核通过"


def test_default_windows_apply_when_the_province_configures_none(session, start, student_of, clock):
    province = session.scalars(select(OrgUnit).where(OrgUnit.name == "贵州省")).one()
    session.execute(delete(BusinessPeriod).where(BusinessPeriod.org_id == province.id))
    clock.set(2026, 11, 26, 10)
    refused(
        session,
        start,
        student_of(SENDING),
        r"当前不在转学业务时间窗口内（可发起时间：3月1日至3月31日、6月1日至6月30日、9月1日至9月30日、12月1日至12月31日）",
    )
    clock.set(2026, 12, 1, 9)
    assert start(student_of(SENDING)).state_label == "待转入区县审核"


def test_a_full_class_takes_no_transfer(session, start, student_of, user):
    to_class = first_class(session, user(RECEIVING))
    in_class = session.scalar(select(func.count(Student.id)).where(Student.class_id == to_class.id))
    to_class.capacity = in_class
    session.flush()
    refused(session, start, student_of(SENDING), rf"已达班额上限（{in_class}人）", to_class=to_class)


def test_a_class_of_another_school_is_refused(session, start, student_of, user):
    other = first_class(session, user("daozhen-xx-registrar"))
    refused(session, start, student_of(SENDING), "转入班级不属于本校", to_class=other)


def test_a_student_of_the_own_school_is_refused(session, start, student_of):
    refused(session, start, student_of(RECEIVING), "已在本校就读，不能转入本校")


# -- jurisdiction ---------------------------------------------------------------------------------------------


def visible(session, user, case) -> bool:
    return session.scalars(cases_visible_to(user).where(ProcessInstance.id == case.id)).first() is not None


def test_the_parties_see_the_case_and_a_third_county_sees_nothing(session, start, student_of, user):
    case = start(student_of(SENDING))
    for insider in (RECEIVING, SENDING, "nanming-county", "yunyan-county", "guiyang-city", "guizhou-province"):
        assert visible(session, user(insider), case), insider
    for outsider in ("daozhen-county", "meitan-county", "zunyi-city", "daozhen-xx-registrar", "nanming-cz-registrar"):
        assert not visible(session, user(outsider), case), outsider
        assert session.scalars(tasks_actionable_by(user(outsider))).all() == [] or all(
            t.instance_id != case.id for t in session.scalars(tasks_actionable_by(user(outsider)))
        )
