"""学籍异动 (F-21…F-27): every path of processes/status_change.bpmn for every type, the windows, the configuration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from models.attachment import Attachment, store_upload
from models.audit import AuditEvent
from models.errors import DomainError
from models.lifecycle import ChangeCode, StatusChangeType
from models.org import Cohort, SchoolClass
from models.student import Student, StudentStatus
from models.user import User
from models.workflow import CaseStatus, InstanceEvent

SCHOOL = "nanming-xx-registrar"
REVIEWER = "nanming-xx-reviewer"
COUNTY = "nanming-county"
SENIOR = "nanming-gz-registrar"
SEPTEMBER = datetime(2026, 9, 10, 2, 0, tzinfo=UTC)  # first month of the autumn term
NOVEMBER = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)  # neither the first nor the last month


@pytest.fixture
def clock(clock):
    """The shared engine clock, set by moment (handlers read it through their context)."""

    def set_to(moment: datetime) -> None:
        clock.now = moment

    set_to(SEPTEMBER)
    return set_to


@pytest.fixture
def flows(flows, session):
    """The shared driver, with a stored evidence file for the types that require one (休学, 死亡)."""

    def start(process_key, *, student, by, **fields):
        if fields.get("change_type") in {"suspension", "death"} and "attachment_ids" not in fields:
            upload = store_upload(session, student_id=student.id, user=by, filename="证明.pdf", data=b"%PDF-1.4")
            fields["attachment_ids"] = str(upload.id)
        return flows(process_key, student=student, by=by, **fields)

    return start


@pytest.fixture
def class_at(session, user):
    """A class of a school user's school by cohort offset (0 = youngest cohort) and class number."""

    def find(username: str, offset: int, number: int = 1) -> SchoolClass:
        school_id = user(username).org_id
        cohorts = session.scalars(
            select(Cohort).where(Cohort.school_id == school_id).order_by(Cohort.cohort_year.desc())
        ).all()
        return cohorts[offset].classes[number - 1]

    return find


def pupil_in(session, school_class: SchoolClass) -> Student:
    return session.scalars(
        select(Student).where(Student.class_id == school_class.id, Student.open_case_id.is_(None)).order_by(Student.id)
    ).first()


def approve(case, *, school_review=True):
    if school_review:
        case.submit("school_review", by=case_user(case, REVIEWER), school_decision="通过")
    case.submit("authority_review", by=case_user(case, COUNTY), decision="通过")


def case_user(case, username):
    return case.session.scalars(select(User).where(User.username == username)).one()


def status_of(session, student_id):
    session.expire_all()
    return session.get(Student, student_id)


REQUESTS = {
    "suspension": {"reason": "因病休学", "evidence": "县医院诊断证明"},
    "other_departure": {"reason": "随父母外出"},
    "death": {"reason": "溺水", "death_date": "2026-09-08", "evidence": "死亡证明 编号123"},
    "abroad": {"reason": "随父母出国", "destination_country": "新加坡", "keep_record": "是"},
}
TARGETS = {
    "suspension": StudentStatus.SUSPENDED,
    "other_departure": StudentStatus.OTHER_DEPARTURE,
    "death": StudentStatus.DECEASED,
    "abroad": StudentStatus.ABROAD,
}


@pytest.mark.parametrize("code", list(REQUESTS))
def test_each_type_goes_through_school_and_authority_review(code, flows, user, student_of, session, clock):
    student = student_of(SCHOOL)
    case = flows("status_change", student=student, by=user(SCHOOL), change_type=code, **REQUESTS[code])
    assert case.state == "待学校审核"
    assert case.seats() == [("school_review", "南明第一小学", "school_reviewer")]
    case.submit("school_review", by=user(REVIEWER), school_decision="通过")
    assert case.state == "待主管部门审核"
    assert case.seats() == [("authority_review", "南明区", "county_officer")]
    case.submit("authority_review", by=user(COUNTY), decision="通过")
    assert (case.state, case.case.status) == ("审核通过", CaseStatus.COMPLETED)
    record = status_of(session, student.id)
    assert (record.status, record.open_case_id) == (TARGETS[code], None)
    [entry] = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == case.case.id)).all()
    attached = session.scalars(select(Attachment.filename).where(Attachment.instance_id == case.case.id)).all()
    assert attached == (["证明.pdf"] if code in {"suspension", "death"} else [])
    assert entry.before["status"] == "in_school" and entry.after["status"] == TARGETS[code].value


@pytest.mark.parametrize("code", list(REQUESTS))
def test_each_type_rejected_by_the_authority_leaves_the_record(code, flows, user, student_of, session, clock):
    student = student_of(SCHOOL)
    case = flows("status_change", student=student, by=user(SCHOOL), change_type=code, **REQUESTS[code])
    case.submit("school_review", by=user(REVIEWER), school_decision="通过")
    case.submit("authority_review", by=user(COUNTY), decision="不通过", review_comment="材料不全")
    assert case.state == "审核不通过"
    assert status_of(session, student.id).status == StudentStatus.IN_SCHOOL


@pytest.mark.parametrize("code", list(REQUESTS))
def test_each_type_rejected_by_the_school_never_reaches_the_authority(code, flows, user, student_of, session, clock):
    student = student_of(SCHOOL)
    case = flows("status_change", student=student, by=user(SCHOOL), change_type=code, **REQUESTS[code])
    case.submit("school_review", by=user(REVIEWER), school_decision="不通过", school_comment="信息有误")
    assert (case.state, case.seats()) == ("审核不通过", [])
    record = status_of(session, student.id)
    assert (record.status, record.open_case_id) == (StudentStatus.IN_SCHOOL, None)


@pytest.mark.parametrize("form_key", ["school_review", "authority_review"])
def test_a_fail_without_reason_is_refused(form_key, flows, user, student_of, clock):
    case = flows(
        "status_change", student=student_of(SCHOOL), by=user(SCHOOL), change_type="abroad", **REQUESTS["abroad"]
    )
    if form_key == "authority_review":
        case.submit("school_review", by=user(REVIEWER), school_decision="通过")
        fields = {"decision": "不通过"}
    else:
        fields = {"school_decision": "不通过"}
    form = case.form_for(form_key, **fields)
    assert not form.validate()
    assert "审核不通过时必须填写原因" in str(form.errors)


def test_resumption_returns_a_suspended_student_to_a_chosen_class(flows, user, student_of, session, class_at, clock):
    student = student_of(SCHOOL)
    approve(
        flows("status_change", student=student, by=user(SCHOOL), change_type="suspension", **REQUESTS["suspension"])
    )
    target = class_at(SCHOOL, 0, 2)
    case = flows(
        "status_change",
        student=status_of(session, student.id),
        by=user(SCHOOL),
        change_type="resumption",
        reason="病愈返校",
        target_class_id=str(target.id),
    )
    approve(case)
    record = status_of(session, student.id)
    assert (record.status, record.class_id) == (StudentStatus.IN_SCHOOL, target.id)


def test_resumption_outside_the_first_month_of_a_term_is_refused(flows, user, student_of, session, class_at, clock):
    student = student_of(SCHOOL)
    approve(
        flows("status_change", student=student, by=user(SCHOOL), change_type="suspension", **REQUESTS["suspension"])
    )
    clock(NOVEMBER)
    with pytest.raises(DomainError, match="只能在每学期第一个月"):
        flows(
            "status_change",
            student=status_of(session, student.id),
            by=user(SCHOOL),
            change_type="resumption",
            reason="病愈返校",
            target_class_id=str(class_at(SCHOOL, 0).id),
        )
    assert status_of(session, student.id).open_case_id is None


def test_resumption_of_an_in_school_student_is_refused_by_the_transition_table(
    flows, user, student_of, class_at, clock
):
    with pytest.raises(DomainError, match="学籍状态「在校」不能变更为「在校」"):
        flows(
            "status_change",
            student=student_of(SCHOOL),
            by=user(SCHOOL),
            change_type="resumption",
            reason="返校",
            target_class_id=str(class_at(SCHOOL, 0).id),
        )


def test_resumption_into_another_schools_class_is_refused(flows, user, student_of, session, class_at, clock):
    student = student_of(SCHOOL)
    approve(
        flows("status_change", student=student, by=user(SCHOOL), change_type="suspension", **REQUESTS["suspension"])
    )
    with pytest.raises(DomainError, match="转入班级必须是本校的班级"):
        flows(
            "status_change",
            student=status_of(session, student.id),
            by=user(SCHOOL),
            change_type="resumption",
            reason="返校",
            target_class_id=str(class_at("yunyan-xx-registrar", 0).id),
        )


@pytest.mark.parametrize("moment", [SEPTEMBER, NOVEMBER])
def test_whole_year_types_are_open_all_year(moment, flows, user, student_of, clock):
    clock(moment)
    case = flows(
        "status_change", student=student_of(SCHOOL), by=user(SCHOOL), change_type="other_departure", reason="x"
    )
    assert case.state == "待学校审核"


def test_grade_skip_moves_to_the_next_cohorts_class_in_the_first_month(flows, user, session, class_at, clock):
    student = pupil_in(session, class_at(SCHOOL, 1))
    target = class_at(SCHOOL, 2)
    case = flows(
        "status_change",
        student=student,
        by=user(SCHOOL),
        change_type="grade_skip",
        reason="成绩优异",
        target_class_id=str(target.id),
    )
    approve(case)
    record = status_of(session, student.id)
    assert (record.status, record.class_id) == (StudentStatus.IN_SCHOOL, target.id)


def test_grade_skip_outside_the_first_month_is_refused(flows, user, session, class_at, clock):
    clock(NOVEMBER)
    with pytest.raises(DomainError, match="「跳级」只能在每学期第一个月"):
        flows(
            "status_change",
            student=pupil_in(session, class_at(SCHOOL, 1)),
            by=user(SCHOOL),
            change_type="grade_skip",
            reason="成绩优异",
            target_class_id=str(class_at(SCHOOL, 2).id),
        )


def test_grade_skip_into_a_class_two_cohorts_up_is_refused(flows, user, session, class_at, clock):
    with pytest.raises(DomainError, match="跳级的转入班级必须属于本校小学"):
        flows(
            "status_change",
            student=pupil_in(session, class_at(SCHOOL, 0)),
            by=user(SCHOOL),
            change_type="grade_skip",
            reason="成绩优异",
            target_class_id=str(class_at(SCHOOL, 2).id),
        )


def test_grade_repeat_is_refused_for_the_compulsory_stage(flows, user, session, class_at, clock):
    with pytest.raises(DomainError, match="小学阶段不允许留级"):
        flows(
            "status_change",
            student=pupil_in(session, class_at(SCHOOL, 1)),
            by=user(SCHOOL),
            change_type="grade_repeat",
            reason="成绩不合格",
            target_class_id=str(class_at(SCHOOL, 0).id),
        )


def test_grade_repeat_in_senior_stage_moves_to_the_cohort_below(flows, user, session, class_at, clock):
    clock(NOVEMBER)  # 留级: whole year
    student = pupil_in(session, class_at(SENIOR, 1))
    target = class_at(SENIOR, 0)
    case = flows(
        "status_change",
        student=student,
        by=user(SENIOR),
        change_type="grade_repeat",
        reason="病休后跟班",
        target_class_id=str(target.id),
    )
    case.submit("school_review", by=user("nanming-gz-reviewer"), school_decision="通过")
    case.submit("authority_review", by=user(COUNTY), decision="通过")
    assert status_of(session, student.id).class_id == target.id


def test_death_is_terminal_and_late_entry_warns(flows, user, student_of, session, clock):
    student = student_of(SCHOOL)
    clock(datetime(2026, 9, 30, 2, 0, tzinfo=UTC))
    fields = {**REQUESTS["death"], "death_date": "2026-09-01"}  # 10 working days end on 15 Sep
    case = flows("status_change", student=student, by=user(SCHOOL), change_type="death", **fields)
    assert case.case.summary["warning"] == "已超过死亡后10个工作日的办理期限（应于2026-09-15前办理）"
    warned = session.scalars(
        select(InstanceEvent).where(InstanceEvent.instance_id == case.case.id, InstanceEvent.title == "逾期提示")
    ).one()
    assert warned.data["fields"] == [["提示", case.case.summary["warning"]]]
    approve(case)
    assert status_of(session, student.id).status == StudentStatus.DECEASED
    with pytest.raises(DomainError, match="终止状态"):
        flows(
            "status_change",
            student=status_of(session, student.id),
            by=user(SCHOOL),
            change_type="abroad",
            **REQUESTS["abroad"],
        )


def test_death_within_ten_working_days_has_no_warning(session, clock):
    from models.business_calendar import death_deadline_warning
    from models.holidays import working_calendar

    calendar = working_calendar(session)
    assert death_deadline_warning(datetime(2026, 9, 1).date(), datetime(2026, 9, 15).date(), calendar) == ""
    assert "2026-09-15" in death_deadline_warning(datetime(2026, 9, 1).date(), datetime(2026, 9, 16).date(), calendar)


def test_the_death_deadline_runs_past_the_national_holiday(flows, user, student_of, clock):
    """Died on 28 Sep 2026: 国庆 (1–7 Oct) does not count, Saturday 10 Oct (调休上班) does: the 10th working day
    is 16 Oct, so an entry on 15 Oct gets no warning (Monday–Friday alone would end on 12 Oct)."""
    clock(datetime(2026, 10, 15, 2, 0, tzinfo=UTC))
    fields = {**REQUESTS["death"], "death_date": "2026-09-28"}
    case = flows("status_change", student=student_of(SCHOOL), by=user(SCHOOL), change_type="death", **fields)
    assert "warning" not in case.case.summary
    clock(datetime(2026, 10, 17, 2, 0, tzinfo=UTC))
    late = flows("status_change", student=student_of(SCHOOL), by=user(SCHOOL), change_type="death", **fields)
    assert late.case.summary["warning"] == "已超过死亡后10个工作日的办理期限（应于2026-10-16前办理）"


def test_death_date_in_the_future_is_refused(flows, user, student_of, clock):
    fields = {**REQUESTS["death"], "death_date": (SEPTEMBER + timedelta(days=2)).date().isoformat()}
    with pytest.raises(DomainError, match="死亡日期不能晚于今天"):
        flows("status_change", student=student_of(SCHOOL), by=user(SCHOOL), change_type="death", **fields)


def test_required_attachment_and_configured_reasons_are_enforced(flows, user, student_of, clock):
    with pytest.raises(DomainError, match="须上传佐证材料：休学证明材料"):
        flows(
            "status_change",
            student=student_of(SCHOOL),
            by=user(SCHOOL),
            change_type="suspension",
            reason="因病休学",
            attachment_ids="",
        )
    with pytest.raises(DomainError, match="异动原因须为：因病休学、因事休学、其他"):
        flows(
            "status_change",
            student=student_of(SCHOOL),
            by=user(SCHOOL),
            change_type="suspension",
            reason="想休息",
            evidence="x",
        )


def test_a_disabled_type_is_refused(flows, user, student_of, session, clock):
    session.get(StatusChangeType, ChangeCode.ABROAD).enabled = False
    session.flush()
    with pytest.raises(DomainError, match="异动类型「出国」未启用"):
        flows("status_change", student=student_of(SCHOOL), by=user(SCHOOL), change_type="abroad", **REQUESTS["abroad"])


def test_switching_school_review_off_applies_to_new_requests_only(flows, user, student_of, session, clock):
    running = flows(
        "status_change", student=student_of(SCHOOL), by=user(SCHOOL), change_type="abroad", **REQUESTS["abroad"]
    )
    session.get(StatusChangeType, ChangeCode.ABROAD).school_review = False
    session.flush()
    fresh = flows(
        "status_change", student=student_of(SCHOOL), by=user(SCHOOL), change_type="abroad", **REQUESTS["abroad"]
    )
    assert fresh.state == "待主管部门审核"
    assert fresh.seats() == [("authority_review", "南明区", "county_officer")]
    assert running.state == "待学校审核"
    running.submit("school_review", by=user(REVIEWER), school_decision="通过")
    assert running.state == "待主管部门审核"


def test_a_graduate_must_be_rejected_before_a_suspension(flows, user, student_of, session, clock):
    student = student_of(SCHOOL)
    student.status = StudentStatus.GRADUATED
    session.flush()
    with pytest.raises(DomainError, match="须先由区县驳回为在校后才能办理「休学」"):
        flows("status_change", student=student, by=user(SCHOOL), change_type="suspension", **REQUESTS["suspension"])


def test_the_request_form_asks_what_each_type_needs():
    from werkzeug.datastructures import MultiDict

    from forms.status_change import RequestForm

    for code, field in [("death", "death_date"), ("resumption", "target_class_id"), ("abroad", "destination_country")]:
        form = RequestForm(formdata=MultiDict({"change_type": code, "reason": "x"}))
        assert not form.validate()
        assert field in form.errors


def test_approval_checks_the_transition_again(flows, user, student_of, session, clock):
    student = student_of(SCHOOL)
    case = flows("status_change", student=student, by=user(SCHOOL), change_type="other_departure", reason="外出")
    case.submit("school_review", by=user(REVIEWER), school_decision="通过")
    session.get(Student, student.id).status = StudentStatus.DECEASED  # changed meanwhile (e.g. a data correction)
    session.flush()
    with pytest.raises(DomainError, match="终止状态"):
        case.submit("authority_review", by=user(COUNTY), decision="通过")
    assert case.state == "待主管部门审核"
    assert case.seats() == [("authority_review", "南明区", "county_officer")]
