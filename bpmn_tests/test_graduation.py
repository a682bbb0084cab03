"""毕业 (F-35…F-37) with 在办业务清理 (F-34): the class with a pending case, senior approval, rejection."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

import engine as wf
from handlers import graduation
from models import jurisdiction
from models.errors import DomainError, NotFound
from models.lifecycle import GraduateRejection
from models.org import Cohort
from models.student import Student, StudentStatus
from models.workflow import CaseStatus, InboxTask, InstanceEvent, TaskStatus

JUNIOR = "nanming-cz-registrar"
SENIOR = "nanming-gz-registrar"
COUNTY = "nanming-county"
TODAY = date(2027, 7, 1)


@pytest.fixture
def final_class(session, user):
    """The first class of the oldest cohort of a school (九年级 / 高三 in the demo world)."""

    def find(username: str):
        cohort = session.scalars(
            select(Cohort).where(Cohort.school_id == user(username).org_id).order_by(Cohort.cohort_year)
        ).first()
        return cohort.classes[0]

    return find


def reload(session, students):
    session.expire_all()
    return [session.get(Student, s.id) for s in students]


def test_a_class_with_a_pending_case_is_refused_by_name_then_graduates_after_cleanup(session, user, flows, final_class):
    school_class = final_class(JUNIOR)
    pupils = graduation.class_students(session, school_class.id)
    assert len(pupils) == 2
    pending = pupils[0]
    case = flows("status_change", student=pending, by=user(JUNIOR), change_type="other_departure", reason="随父母外出")

    with pytest.raises(DomainError, match=f"以下学生有在办业务，须办结或清理后才能毕业：{pending.name}（学籍异动"):
        graduation.graduate(session, user(JUNIOR), graduation.class_students(session, school_class.id), on=TODAY)
    assert all(s.status == StudentStatus.IN_SCHOOL for s in reload(session, pupils))

    wf.cancel(session, case.case.id, actor=user(COUNTY), reason="毕业前在办业务清理")
    assert (case.state, case.case.status) == ("已撤销", CaseStatus.CANCELLED)
    assert case.seats() == []
    assert session.get(Student, pending.id).open_case_id is None

    count = graduation.graduate(session, user(JUNIOR), graduation.class_students(session, school_class.id), on=TODAY)
    session.flush()
    assert count == 2
    assert [(s.status, s.graduated_on) for s in reload(session, pupils)] == [(StudentStatus.GRADUATED, TODAY)] * 2


def test_cleanup_closes_inbox_rows_and_records_who_cleaned(session, user, flows, student_of):
    case = flows(
        "status_change",
        student=student_of(JUNIOR),
        by=user(JUNIOR),
        change_type="abroad",
        reason="出国",
        destination_country="日本",
    )
    task = case.open_task("school_review")
    wf.cancel(session, case.case.id, actor=user(JUNIOR), reason="申请有误")
    assert session.get(InboxTask, task.id).status == TaskStatus.CANCELLED
    event = session.scalars(
        select(InstanceEvent).where(InstanceEvent.instance_id == case.case.id, InstanceEvent.kind == "cancelled")
    ).one()
    assert (event.user.username, event.state_label, event.data["fields"]) == (
        JUNIOR,
        "已撤销",
        [["清理原因", "申请有误"]],
    )
    with pytest.raises(DomainError, match="已办结"):
        wf.cancel(session, case.case.id, actor=user(JUNIOR), reason="again")
    with pytest.raises(wf.TaskAlreadyHandled):
        wf.complete(session, task.id, actor=user("nanming-cz-reviewer"), data={"school_decision": "通过"})


def test_who_may_clean_up(session, user, flows, student_of):
    case = flows(
        "status_change",
        student=student_of(JUNIOR),
        by=user(JUNIOR),
        change_type="abroad",
        reason="出国",
        destination_country="日本",
    )
    for allowed in (JUNIOR, COUNTY):
        assert jurisdiction.cleanable_case_or_404(session, user(allowed), case.case.id).id == case.case.id
    for refused in ("yunyan-county", "nanming-xx-registrar", "nanming-cz-reviewer", "guiyang-city"):
        with pytest.raises(NotFound):
            jurisdiction.cleanable_case_or_404(session, user(refused), case.case.id)


def test_students_not_in_school_or_not_graduating_are_refused(session, user, final_class):
    pupils = graduation.class_students(session, final_class(JUNIOR).id)
    pupils[0].status = StudentStatus.SUSPENDED
    session.flush()
    with pytest.raises(DomainError, match=f"以下学生不是在校状态，不能毕业：{pupils[0].name}（休学）"):
        graduation.graduate(session, user(JUNIOR), pupils, on=TODAY)
    young = session.scalars(
        select(Student).where(Student.school_id == user(JUNIOR).org_id).order_by(Student.id)
    ).first()
    with pytest.raises(DomainError, match="不在毕业年级"):
        graduation.graduate(session, user(JUNIOR), [young], on=TODAY)


def test_senior_graduation_needs_the_authority_and_supports_three_outcomes(session, user, flows, final_class):
    a, b = graduation.class_students(session, final_class(SENIOR).id)
    with pytest.raises(DomainError, match="高中阶段毕业须报学籍主管部门核办"):
        graduation.graduate(session, user(SENIOR), [a], on=TODAY)
    first = flows("senior_graduation", student=a, by=user(SENIOR), outcome="结业")
    assert first.seats() == [("authority_review", "南明区", "county_officer")]
    first.submit("authority_review", by=user(COUNTY), decision="通过")
    assert (first.state, session.get(Student, a.id).status) == ("审核通过", StudentStatus.COMPLETED)
    second = flows("senior_graduation", student=b, by=user(SENIOR), outcome="毕业")
    second.submit("authority_review", by=user(COUNTY), decision="不通过", review_comment="成绩未录入")
    assert (second.state, session.get(Student, b.id).status) == ("审核不通过", StudentStatus.IN_SCHOOL)


def test_incomplete_needs_one_year_and_compulsory_students_do_not_use_the_senior_flow(
    session, user, flows, final_class
):
    young = session.scalars(
        select(Student).where(Student.school_id == user(SENIOR).org_id).order_by(Student.id)
    ).first()
    with pytest.raises(DomainError, match="在校不满一年，不能肄业"):
        flows("senior_graduation", student=young, by=user(SENIOR), outcome="肄业")
    junior = graduation.class_students(session, final_class(JUNIOR).id)[0]
    with pytest.raises(DomainError, match="义务教育阶段由学校直接办理毕业"):
        flows("senior_graduation", student=junior, by=user(JUNIOR), outcome="毕业")


def test_graduation_information_accepts_only_the_fifteen_destinations(session, user, final_class):
    pupils = graduation.class_students(session, final_class(JUNIOR).id)
    graduation.graduate(session, user(JUNIOR), pupils, on=TODAY)
    graduation.set_graduation_info(session, user(JUNIOR), pupils[0], destination="普通高中", certificate_no="2027001")
    assert pupils[0].graduation_destination == "普通高中"
    with pytest.raises(DomainError, match="毕业去向须为"):
        graduation.set_graduation_info(session, user(JUNIOR), pupils[1], destination="留学")
    assert len(graduation.DESTINATIONS) == 15


def test_county_rejects_a_graduate_back_to_in_school_and_it_is_listed(session, user, flows, final_class):
    pupils = graduation.class_students(session, final_class(JUNIOR).id)
    graduation.graduate(session, user(JUNIOR), pupils, on=TODAY)
    graduation.reject_graduates(session, user(COUNTY), [pupils[0]], reason="姓名有误，需修改后重新毕业")
    session.flush()
    assert (pupils[0].status, pupils[0].graduated_on) == (StudentStatus.IN_SCHOOL, None)
    [row] = session.scalars(select(GraduateRejection).where(GraduateRejection.student_id == pupils[0].id)).all()
    assert (row.former_status, row.graduated_on, row.rejected_by.username) == (StudentStatus.GRADUATED, TODAY, COUNTY)
    with pytest.raises(DomainError, match="不是毕业生，不能驳回"):
        graduation.reject_graduates(session, user(COUNTY), [pupils[0]], reason="again")
    # back in school, the student can now get a suspension or graduate again (F-37 acceptance)
    graduation.graduate(session, user(JUNIOR), [pupils[0]], on=TODAY)
    assert pupils[0].status == StudentStatus.GRADUATED


def test_graduating_after_30_july_warns():
    assert graduation.deadline_warning(date(2027, 7, 30)) == ""
    assert graduation.deadline_warning(date(2027, 7, 31)) == "已超过7月30日的毕业办理期限，请尽快完成毕业"
    assert graduation.deadline_warning(date(2027, 9, 2)) == ""
