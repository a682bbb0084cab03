"""The reviewer's verbs on real diagrams, engine and database: 退回, 撤回, 认领, 转办, 委派, 加签, 抄送, 催办, opinions,
due dates and escalation. The cross-county transfer (four parties) and the problem-record flow carry them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

import engine as wf
from forms import FORMS
from models.audit import AuditEvent
from models.errors import DomainError, NotFound
from models.jurisdiction import case_or_404, tasks_actionable_by
from models.org import SchoolClass
from models.student import Student
from models.user import User, UserRole
from models.workbench import CaseCopy, NoticeKind, Notification
from models.workflow import CaseStatus, InboxTask, InstanceEvent, SignMode, TaskKind, TaskStatus

FLOW = "transfer_in_province"
TO_SCHOOL = "nanming-xx-registrar"  # 南明第一小学, receiving
FROM_SCHOOL = "yunyan-xx-registrar"  # 云岩第一小学, sending (another county: 跨区县)
PASS = {"decision": "通过"}


@pytest.fixture
def transfer(flows, user, student_of, session, clock):
    def start(reason: str = "家庭搬迁至南明区"):
        receiving = user(TO_SCHOOL)
        school_class = session.scalars(
            select(SchoolClass).where(SchoolClass.cohort.has(school_id=receiving.org_id))
        ).first()
        return flows(
            FLOW,
            student=student_of(FROM_SCHOOL),
            by=receiving,
            to_school_id=receiving.org_id,
            to_class_id=str(school_class.id),
            cause="房产变更",
            reason=reason,
        )

    return start


@pytest.fixture
def colleague(session, user):
    """Another user of the same organisation with the same roles as ``username``."""

    def make(username: str, name: str = "同事") -> User:
        base = user(username)
        other = User(
            username=f"{username}-2", full_name=f"{base.org.name}{name}", password_hash="x", org_id=base.org_id
        )
        other.role_rows = [UserRole(role=r) for r in base.roles]
        session.add(other)
        session.commit()  # an engine call that refuses rolls back whatever is not committed
        return other

    return make


def row(case, bpmn_id: str) -> InboxTask:
    return case.open_task(bpmn_id)


def services(session, case, bpmn_id: str) -> int:
    return session.scalar(
        select(func.count()).where(
            InstanceEvent.instance_id == case.case.id, InstanceEvent.kind == "service", InstanceEvent.bpmn_id == bpmn_id
        )
    )


def resubmit_start(session, case, by, **fields):
    start_row = row(case, "start")
    form = FORMS[start_row.form_key](MultiDict(fields))
    form.to_class_id.choices = [(int(fields["to_class_id"]), "班级")]
    assert form.validate(), form.errors
    wf.complete(session, start_row.id, actor=by, data=form.to_task_data(), display=form.display_lines())
    session.expire_all()


def target_uuid(session, case, task_row, actor, bpmn_id):
    found = {t.bpmn_id: t for t in wf.return_targets(session, task_row.id, actor=actor)}
    return found[bpmn_id].task_uuid


# -- 退回 -----------------------------------------------------------------------------------------------------


def test_return_to_the_initiator_then_resubmit_goes_through_to_the_end_once(transfer, session, user):
    case = transfer(reason="第一次填写的理由")
    county = user("nanming-county")
    task = row(case, "to_county_review")
    targets = wf.return_targets(session, task.id, actor=county)
    assert [(t.bpmn_id, t.blocked) for t in targets] == [("start", "")]
    assert targets[0].done_by == user(TO_SCHOOL).full_name

    wf.send_back(session, task.id, actor=county, target_uuid=targets[0].task_uuid, reason="转学理由不充分，请补充")
    session.expire_all()
    assert case.state == "已退回发起人"
    assert case.seats() == [("start", "南明第一小学", "school_registrar")]
    back = row(case, "start")
    assert back.claimed_by_id == user(TO_SCHOOL).id
    assert "转学理由不充分，请补充" in back.notice
    assert back.draft["data"]["reason"] == "第一次填写的理由"
    assert session.get(InboxTask, task.id).status == TaskStatus.DONE
    returned = session.scalars(
        select(InstanceEvent).where(InstanceEvent.instance_id == case.case.id, InstanceEvent.kind == "returned")
    ).one()
    assert ["退回原因", "转学理由不充分，请补充"] in returned.data["fields"]
    assert session.scalar(
        select(Notification).where(Notification.user_id == user(TO_SCHOOL).id, Notification.kind == NoticeKind.RETURNED)
    )

    resubmit_start(
        session,
        case,
        user(TO_SCHOOL),
        to_class_id=str(back.draft["data"]["to_class_id"]),
        cause="户籍变更",
        reason="补充：已购房并落户",
    )
    assert case.state == "待转入区县审核"
    case.submit("to_county_review", by=county, **PASS)
    case.submit("from_school_review", by=user(FROM_SCHOOL), **PASS)
    case.submit("from_county_review", by=user("yunyan-county"), **PASS)
    assert case.case.status == CaseStatus.COMPLETED
    student = session.get(Student, case.case.student_id)
    assert student.school.name == "南明第一小学" and student.open_case_id is None
    moves = session.scalars(select(AuditEvent).where(AuditEvent.entity_id == student.id, AuditEvent.action == "转学"))
    assert len(moves.all()) == 1  # the move ran once
    assert services(session, case, "check_request") == 2  # the check is repeatable and ran again
    resubmitted = session.get(InboxTask, back.id)
    assert (resubmitted.status, resubmitted.completed_by_id) == (TaskStatus.DONE, user(TO_SCHOOL).id)


def test_return_to_the_previous_step_prefills_and_goes_on(transfer, session, user):
    case = transfer()
    county = user("nanming-county")
    case.submit("to_county_review", by=county, decision="通过", comment="同意转入")
    school = user(FROM_SCHOOL)
    task = row(case, "from_school_review")
    uuid = target_uuid(session, case, task, school, "to_county_review")
    wf.send_back(session, task.id, actor=school, target_uuid=uuid, reason="请核实转入班级")
    session.expire_all()
    assert case.state == "待转入区县审核"
    again = row(case, "to_county_review")
    assert again.claimed_by_id == county.id
    assert again.draft["data"] == {"decision": "通过", "comment": "同意转入"}
    case.submit("to_county_review", by=county, **PASS)
    assert case.state == "待转出学校审核"
    assert case.states().count("待转入区县审核") == 2


def test_problem_record_return_to_the_school_and_refusal_to_cross_a_registry_change(
    session, user, student_of, flows, proof_file
):
    from bpmn_tests.test_problem_record import duplicate_of

    existing = student_of("yunyan-xx-registrar")
    new = duplicate_of(session, user, existing)
    session.flush()
    case = flows("problem_record", student=new, by=user("nanming-xx-registrar"), other_student=str(existing.id))
    school, county = user("nanming-xx-registrar"), user("nanming-county")
    case.submit("a_action", by=school, action="佐证", statement="第一次说明", evidence_ids=proof_file(school))
    review = row(case, "a_review")
    targets = {t.bpmn_id: t for t in wf.return_targets(session, review.id, actor=county)}
    # The start marked both records as problem records: sending the case back there would do it twice.
    assert "标记问题学籍" in targets["start"].blocked
    with pytest.raises(DomainError, match="标记问题学籍"):
        wf.send_back(session, review.id, actor=county, target_uuid=targets["start"].task_uuid, reason="重来")
    wf.send_back(session, review.id, actor=county, target_uuid=targets["a_action"].task_uuid, reason="证明不清晰")
    session.expire_all()
    back = row(case, "a_action")
    assert back.draft["data"]["statement"] == "第一次说明" and back.claimed_by_id == school.id
    assert session.get(Student, new.id).problem_state == "佐证待核办"
    case.submit("a_action", by=school, action="佐证", statement="补充说明", evidence_ids=proof_file(school))
    case.submit("a_review", by=county, **PASS)
    case.submit("b_action", by=user("yunyan-xx-registrar"), action="删除", statement="重复注册")
    assert case.state == "已解决"
    assert session.get(Student, new.id).problem_type is None
    opened = session.scalars(
        select(AuditEvent).where(AuditEvent.entity_id == new.id, AuditEvent.instance_id == case.case.id)
    ).all()
    assert [e.action for e in opened].count("问题学籍解除") == 1


@pytest.fixture
def proof_file(session):
    from models.attachment import Attachment

    def upload(by):
        attachment = Attachment(kind="户口簿", filename="hukou.jpg", content_type="image/jpeg", size=3, data=b"jpg")
        attachment.uploaded_by_id = by.id
        attachment.student_id = session.scalars(select(Student.id)).first()
        session.add(attachment)
        session.flush()
        return str(attachment.id)

    return upload


# -- 撤回 -----------------------------------------------------------------------------------------------------


def test_initiator_withdraws_before_the_next_step_acts(transfer, session, user):
    case = transfer()
    school = user(TO_SCHOOL)
    assert wf.can_withdraw(session, case.case, school) == ""
    assert wf.withdraw(session, case.case.id, actor=school) == "转入学校提交转学申请"
    session.expire_all()
    assert case.seats() == [("start", "南明第一小学", "school_registrar")]
    assert row(case, "start").claimed_by_id == school.id


def test_reviewer_withdraws_own_approval_then_not_after_the_next_acted(transfer, session, user):
    case = transfer()
    county = user("nanming-county")
    case.submit("to_county_review", by=county, decision="通过", comment="同意")
    wf.withdraw(session, case.case.id, actor=county)
    session.expire_all()
    assert case.state == "待转入区县审核"
    assert row(case, "to_county_review").draft["data"]["comment"] == "同意"
    case.submit("to_county_review", by=county, **PASS)
    case.submit("from_school_review", by=user(FROM_SCHOOL), **PASS)
    with pytest.raises(DomainError, match="下一步已有人办理"):
        wf.withdraw(session, case.case.id, actor=county)
    assert case.state == "待转出区县审核"


def test_withdraw_refused_once_the_next_step_is_claimed(transfer, session, user):
    case = transfer()
    wf.claim(session, row(case, "to_county_review").id, actor=user("nanming-county"))
    with pytest.raises(DomainError, match="已被认领"):
        wf.withdraw(session, case.case.id, actor=user(TO_SCHOOL))
    assert case.state == "待转入区县审核"


# -- 认领 / 转办 / 委派 ----------------------------------------------------------------------------------------


def test_claim_one_holder_a_second_claim_refused_and_a_superior_takes_it_back(transfer, session, user, colleague):
    case = transfer()
    first, second = user("nanming-county"), colleague("nanming-county")
    task = row(case, "to_county_review")
    wf.claim(session, task.id, actor=second)
    with pytest.raises(DomainError, match="已由南明区同事认领"):
        wf.claim(session, task.id, actor=first)
    form = case.form_for("to_county_review", **PASS)
    assert form.validate()
    with pytest.raises(DomainError, match="认领办理"):
        wf.complete(session, task.id, actor=first, data=form.to_task_data())
    # Still listed for the colleague, with its holder.
    assert session.scalars(tasks_actionable_by(first).where(InboxTask.id == task.id)).one().claimed_by_id == second.id
    with pytest.raises(NotFound):
        wf.unclaim(session, task.id, actor=user("yunyan-county"))
    wf.unclaim(session, task.id, actor=user("guiyang-city"))  # the superior of 南明区
    session.expire_all()
    assert session.get(InboxTask, task.id).claimed_by_id is None
    wf.claim(session, task.id, actor=first)
    case.submit("to_county_review", by=first, **PASS)
    assert case.state == "待转出学校审核"


def test_reassign_within_the_seat_only(transfer, session, user, colleague):
    case = transfer()
    county, other = user("nanming-county"), colleague("nanming-county")
    task = row(case, "to_county_review")
    with pytest.raises(DomainError, match="本单位具有相同角色"):
        wf.reassign(session, task.id, actor=county, to_user_id=user("nanming-xx-registrar").id)
    wf.reassign(session, task.id, actor=county, to_user_id=other.id, note="我出差")
    session.expire_all()
    assert session.get(InboxTask, task.id).claimed_by_id == other.id
    case.submit("to_county_review", by=other, **PASS)
    assert case.state == "待转出学校审核"
    event = session.scalars(
        select(InstanceEvent).where(InstanceEvent.instance_id == case.case.id, InstanceEvent.kind == "reassigned")
    ).one()
    assert ["转办给", other.full_name] in event.data["fields"] and event.user_id == county.id


def test_delegate_acts_then_the_delegator_confirms(transfer, session, user):
    case = transfer()
    county, delegate = user("nanming-county"), user("nanming-xx-reviewer")  # a school of the county's subtree
    task = row(case, "to_county_review")
    wf.delegate(session, task.id, actor=county, to_user_id=delegate.id, note="请先核实")
    with pytest.raises(DomainError, match="认领办理"):
        case.submit("to_county_review", by=county, **PASS)
    case.submit("to_county_review", by=delegate, decision="通过", comment="核实无误")
    assert case.state == "待转入区县审核"  # not completed: back to the delegator
    back = row(case, "to_county_review")
    assert back.claimed_by_id == county.id and back.delegated_by_id is None
    assert back.draft["data"]["comment"] == "核实无误"
    case.submit("to_county_review", by=county, **PASS)
    assert case.state == "待转出学校审核"


# -- 加签 -----------------------------------------------------------------------------------------------------


def test_add_signer_before_me(transfer, session, user):
    case = transfer()
    county, city = user("nanming-county"), user("guiyang-city")
    task = row(case, "to_county_review")
    sign_row = wf.add_signer(session, task.id, actor=county, signer_id=city.id, mode=SignMode.BEFORE, note="请把关")
    with pytest.raises(DomainError, match="等待加签人"):
        case.submit("to_county_review", by=county, **PASS)
    assert session.scalars(tasks_actionable_by(city).where(InboxTask.kind == TaskKind.SIGN)).one().id == sign_row.id
    wf.sign(session, sign_row.id, actor=city, agree=True, opinion="可以")
    session.expire_all()
    assert "加签人贵阳市学籍主管同意" in row(case, "to_county_review").notice
    case.submit("to_county_review", by=county, **PASS)
    assert case.state == "待转出学校审核"


@pytest.mark.parametrize("agree", [True, False])
def test_add_signer_after_me(transfer, session, user, colleague, agree):
    case = transfer()
    county, other = user("nanming-county"), colleague("nanming-county")
    task = row(case, "to_county_review")
    sign_row = wf.add_signer(
        session, task.id, actor=county, signer_id=other.id, mode=SignMode.AFTER, data={**PASS, "comment": "同意"}
    )
    assert case.state == "待转入区县审核"
    wf.sign(session, sign_row.id, actor=other, agree=agree, opinion="" if agree else "材料不全")
    session.expire_all()
    if agree:
        assert case.state == "待转出学校审核"
        done = session.get(InboxTask, task.id)
        assert (done.status, done.completed_by_id) == (TaskStatus.DONE, county.id)
    else:
        back = row(case, "to_county_review")
        assert "材料不全" in back.notice and back.draft["data"]["comment"] == "同意"


def test_signer_must_be_within_jurisdiction(transfer, session, user):
    case = transfer()
    with pytest.raises(DomainError, match="不在可选范围"):
        wf.add_signer(
            session,
            row(case, "to_county_review").id,
            actor=user("nanming-county"),
            signer_id=user("dongcheng-county").id,
            mode=SignMode.BEFORE,
        )


# -- 抄送, 意见, 催办 ----------------------------------------------------------------------------------------


def test_copy_gives_read_and_comment_not_act(transfer, session, user):
    case = transfer()
    county, copied = user("nanming-county"), user("guiyang-city")
    with pytest.raises(NotFound):
        case_or_404(session, user("dongcheng-county"), case.case.id)
    with pytest.raises(DomainError, match="不在可选范围"):
        wf.copy_case(session, case.case.id, actor=county, user_ids=[user("dongcheng-county").id])
    wf.copy_case(session, case.case.id, actor=county, user_ids=[copied.id], note="请知悉")
    assert session.scalars(select(CaseCopy).where(CaseCopy.user_id == copied.id)).one().read_at is None
    assert case_or_404(session, copied, case.case.id).id == case.case.id
    wf.comment(session, case.case.id, actor=copied, text="已阅，注意学位")
    with pytest.raises(NotFound):
        case.submit("to_county_review", by=copied, **PASS)
    comments = session.scalars(
        select(InstanceEvent).where(InstanceEvent.instance_id == case.case.id, InstanceEvent.kind == "comment")
    ).all()
    assert [(c.user_id, c.data["fields"]) for c in comments] == [(copied.id, [["意见", "已阅，注意学位"]])]


def test_urge_once_an_hour_by_initiator_or_superior(transfer, session, user, clock):
    case = transfer()
    task = row(case, "to_county_review")
    with pytest.raises(NotFound):
        wf.urge(session, task.id, actor=user("yunyan-county"), now=clock.now)
    wf.urge(session, task.id, actor=user(TO_SCHOOL), note="家长着急", now=clock.now)
    notes = session.scalars(
        select(Notification).where(
            Notification.user_id == user("nanming-county").id, Notification.kind == NoticeKind.URGED
        )
    ).all()
    assert len(notes) == 1 and "催办" in notes[0].text
    with pytest.raises(DomainError, match="一小时内已催办"):
        wf.urge(session, task.id, actor=user("guiyang-city"), now=clock.now + timedelta(minutes=59))
    wf.urge(session, task.id, actor=user("guiyang-city"), now=clock.now + timedelta(minutes=61))


# -- due dates ---------------------------------------------------------------------------------------------------


def test_due_soon_overdue_and_escalation_by_tick(transfer, session, user):
    case = transfer()
    task = row(case, "to_county_review")
    assert task.due_at is not None
    wf.tick(session, now=task.due_at - timedelta(hours=2))
    wf.tick(session, now=task.due_at - timedelta(hours=1))  # reminded once
    county, city = user("nanming-county"), user("guiyang-city")

    def kinds(who):
        return sorted(n.kind for n in session.scalars(select(Notification).where(Notification.user_id == who.id)))

    assert kinds(county).count(NoticeKind.DUE_SOON) == 1
    wf.tick(session, now=task.due_at + timedelta(hours=1))
    wf.tick(session, now=task.due_at + timedelta(hours=2))
    assert kinds(county).count(NoticeKind.OVERDUE) == 1
    assert kinds(city) == [NoticeKind.OVERDUE]  # escalated to the superior organisation, once
    escalated = session.scalars(
        select(InstanceEvent).where(InstanceEvent.instance_id == case.case.id, InstanceEvent.kind == "escalated")
    ).one()
    assert "贵阳市" in escalated.title


# -- bulk ---------------------------------------------------------------------------------------------------------


def test_bulk_approval_reports_each_item_and_one_refusal_undoes_nothing(transfer, session, user, student_of):
    cases = [transfer() for _ in range(3)]
    county = user("nanming-county")
    ids = [row(c, "to_county_review").id for c in cases]
    # One of them is taken by someone else meanwhile: it is refused, the others go on.
    other = User(username="x-county-2", full_name="南明区同事", password_hash="x", org_id=county.org_id)
    other.role_rows = [UserRole(role="county_officer")]
    session.add(other)
    session.flush()
    wf.claim(session, ids[1], actor=other)
    results = wf.bulk_approve(session, ids, actor=county, opinion="同意")
    assert [(r.task_id, r.done) for r in results] == [(ids[0], True), (ids[1], False), (ids[2], True)]
    assert "认领" in results[1].message
    session.expire_all()
    assert [c.state for c in cases] == ["待转出学校审核", "待转入区县审核", "待转出学校审核"]


# -- the same verbs on the problem-record flow (two schools, two counties, a common superior) --------------------


@pytest.fixture
def problem_case(session, user, student_of, flows):
    from bpmn_tests.test_problem_record import duplicate_of

    existing = student_of("yunyan-xx-registrar")
    new = duplicate_of(session, user, existing)
    session.flush()
    return flows("problem_record", student=new, by=user("nanming-xx-registrar"), other_student=str(existing.id))


def test_problem_record_withdraw_delegate_sign_copy_and_urge(problem_case, session, user, proof_file, clock):
    case, school, county = problem_case, user("nanming-xx-registrar"), user("nanming-county")
    case.submit("a_action", by=school, action="佐证", statement="第一次", evidence_ids=proof_file(school))
    # 撤回: 登记佐证 only restates the form, so the school may take its step back while the county has not acted.
    assert wf.withdraw(session, case.case.id, actor=school) == "本校问题学籍处理"
    session.expire_all()
    assert row(case, "a_action").draft["data"]["statement"] == "第一次"
    case.submit("a_action", by=school, action="佐证", statement="第二次", evidence_ids=proof_file(school))
    review = row(case, "a_review")
    # 催办 by the initiating school; 抄送 to the city; 委派 to the school's reviewer; 加签 after by the city.
    wf.urge(session, review.id, actor=school, now=clock.now)
    wf.copy_case(session, case.case.id, actor=county, user_ids=[user("guiyang-city").id])
    wf.delegate(session, review.id, actor=county, to_user_id=user("nanming-xx-reviewer").id)
    case.submit("a_review", by=user("nanming-xx-reviewer"), decision="通过", comment="证明清楚")
    sign_row = wf.add_signer(
        session, review.id, actor=county, signer_id=user("guiyang-city").id, mode=SignMode.AFTER, data=PASS
    )
    wf.sign(session, sign_row.id, actor=user("guiyang-city"), agree=True, opinion="")
    session.expire_all()
    assert session.get(Student, case.case.student_id).problem_state == "佐证通过"
    kinds = session.scalars(
        select(InstanceEvent.kind).where(InstanceEvent.instance_id == case.case.id).order_by(InstanceEvent.id)
    ).all()
    for kind in ("withdrawn", "urged", "copied", "delegated", "sign_added", "signed"):
        assert kind in kinds
    assert case.seats() == [("b_action", "云岩第一小学", "school_registrar")]
