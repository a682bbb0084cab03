"""误操作删除 (F-19): every path of processes/mistaken_deletion.bpmn, engine and database, no web layer."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import engine as wf
from models.audit import AuditEvent
from models.errors import DomainError
from models.student import Student, StudentStatus
from models.workflow import CaseStatus, InstanceEvent

SCHOOL = "nanming-xx-registrar"
COUNTY = "nanming-county"


@pytest.fixture
def case(flows, user, student_of):
    return flows("mistaken_deletion", student=student_of(SCHOOL), by=user(SCHOOL), reason="同一学生重复录入")


def audit_of(session, student_id):
    """The record's deletions in the audit trail (the demo world has other entries about some pupils, e.g. the
    parents' registration codes)."""
    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity == "student", AuditEvent.entity_id == student_id)
        .where(AuditEvent.action == "误操作删除")
    ).all()


def test_request_waits_for_the_county_as_untreated(case, session):
    assert case.state == "未处理"
    assert case.seats() == [("county_review", "南明区", "county_officer")]
    student = session.get(Student, case.case.student_id)
    assert student.status == StudentStatus.IN_SCHOOL
    assert student.open_case_id == case.case.id


def test_county_deletes_and_the_record_stays_queryable(case, session, user):
    case.submit("county_review", by=user(COUNTY), decision="删除")
    assert case.state == "已删除"
    assert case.case.status == CaseStatus.COMPLETED
    assert case.seats() == []
    student = session.get(Student, case.case.student_id)
    assert (student.status, student.open_case_id) == (StudentStatus.DELETED, None)
    assert student.deleted_at is not None
    [entry] = audit_of(session, student.id)
    assert (entry.action, entry.before, entry.after) == (
        "误操作删除",
        {"status": "in_school"},
        {"status": "deleted", "reason": "同一学生重复录入"},
    )
    assert entry.actor.username == COUNTY and entry.instance_id == case.case.id


def test_county_rejects_and_school_cancels_so_the_student_stays_in_school(case, session, user):
    case.submit("county_review", by=user(COUNTY), decision="驳回", review_comment="该生确在本校就读")
    assert case.state == "已驳回"
    assert case.seats() == [("school_decision", "南明第一小学", "school_registrar")]
    case.submit("school_decision", by=user(SCHOOL), action="取消申请")
    assert case.state == "已取消"
    assert case.case.status == CaseStatus.COMPLETED
    student = session.get(Student, case.case.student_id)
    assert (student.status, student.open_case_id) == (StudentStatus.IN_SCHOOL, None)
    assert audit_of(session, student.id) == []


def test_rejected_request_resubmitted_with_a_new_reason_then_deleted(case, session, user):
    case.submit("county_review", by=user(COUNTY), decision="驳回", review_comment="请说明原因")
    case.submit("school_decision", by=user(SCHOOL), action="重新提交", reason="系统中重复注册两次，保留另一条")
    assert case.state == "未处理"
    assert case.seats() == [("county_review", "南明区", "county_officer")]
    case.submit("county_review", by=user(COUNTY), decision="删除")
    [entry] = audit_of(session, case.case.student_id)
    assert entry.after["reason"] == "系统中重复注册两次，保留另一条"
    steps = session.scalars(
        select(InstanceEvent.bpmn_id)
        .where(InstanceEvent.instance_id == case.case.id, InstanceEvent.bpmn_id.is_not(None))
        .order_by(InstanceEvent.id)
    ).all()
    assert steps == [
        "check_request",
        "county_review",
        "school_decision",
        "county_review",
        "delete_record",
        "end_deleted",
    ]


@pytest.mark.parametrize(
    ("bpmn_id", "fields", "error_field"),
    [
        ("county_review", {"decision": "驳回"}, "review_comment"),
        ("county_review", {}, "decision"),
        ("county_review", {"decision": "批准"}, "decision"),
    ],
)
def test_county_form_refuses_incomplete_decisions(case, bpmn_id, fields, error_field):
    form = case.form_for(bpmn_id, **fields)
    assert not form.validate()
    assert error_field in form.errors


def test_resubmission_needs_a_reason(case, user):
    case.submit("county_review", by=user(COUNTY), decision="驳回", review_comment="材料不全")
    form = case.form_for("school_decision", action="重新提交")
    assert not form.validate()
    assert form.errors["reason"] == ["重新提交时必须填写删除原因"]


def test_a_student_with_an_open_case_gets_no_second_one(case, session, user):
    student = session.get(Student, case.case.student_id)
    with pytest.raises(DomainError, match="已有在办业务"):
        wf.start(session, "mistaken_deletion", student_id=student.id, actor=user(SCHOOL), data={"reason": "x"})


def test_after_cancelling_a_new_request_can_be_made(case, session, user, flows):
    case.submit("county_review", by=user(COUNTY), decision="驳回", review_comment="不同意")
    case.submit("school_decision", by=user(SCHOOL), action="取消申请")
    student = session.get(Student, case.case.student_id)
    again = flows("mistaken_deletion", student=student, by=user(SCHOOL), reason="再次申请")
    assert again.state == "未处理"


def test_a_deleted_record_cannot_be_requested_again(case, session, user):
    case.submit("county_review", by=user(COUNTY), decision="删除")
    with pytest.raises(DomainError, match="已删除.*不能申请误操作删除"):
        wf.start(
            session,
            "mistaken_deletion",
            student_id=case.case.student_id,
            actor=user(SCHOOL),
            data={"reason": "再删一次"},
        )


def test_only_the_county_of_the_school_may_act(case, user):
    with pytest.raises(DomainError):
        case.submit("county_review", by=user("yunyan-county"), decision="删除")
    with pytest.raises(DomainError):
        case.submit("county_review", by=user(SCHOOL), decision="删除")
    assert case.state == "未处理"


def test_a_completed_task_cannot_be_completed_again(case, user, session):
    task = case.open_task("county_review")
    case.submit("county_review", by=user(COUNTY), decision="驳回", review_comment="不同意")
    with pytest.raises(wf.TaskAlreadyHandled, match="该任务已被处理"):
        wf.complete(session, task.id, actor=user(COUNTY), data={"decision": "删除"})
    assert case.state == "已驳回"
