"""问题学籍处理 (F-16) and 仲裁 (F-17): every path of processes/problem_record.bpmn, engine and database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers import registration as reg
from models.attachment import Attachment
from models.audit import AuditEvent
from models.base import utcnow
from models.errors import DomainError
from models.student import RegistrationState, Student, StudentStatus
from models.workflow import CaseStatus
from webapp.demo_rows import id_number, valid_row

A = "nanming-xx-registrar"  # the new registration's school (南明区)
B = "yunyan-xx-registrar"  # the existing record's school (云岩区, same city 贵阳市)
SAME_COUNTY_B = "nanming-cz-registrar"


def duplicate_of(session, user, existing, **overrides):
    """A new registration at school A carrying the existing record's ID number (查重 type 2)."""
    row = valid_row(
        id_doc_number=existing.id_doc_number,
        birth_date=f"{existing.birth_date:%Y%m%d}",
        sex=existing.sex_label,
        name=existing.name,
        **overrides,
    )
    return reg.register(session, actor=user(A), raw=row, business_type="新生注册", now=utcnow())


@pytest.fixture
def pair(session, user, student_of, flows):
    def make(other_school=B):
        existing = student_of(other_school)
        new = duplicate_of(session, user, existing)
        session.flush()
        case = flows("problem_record", student=new, by=user(A), other_student=str(existing.id))
        return case, new.id, existing.id

    return make


@pytest.fixture
def proof(session, user):
    def upload(by=A, student_id=None):
        any_student = session.scalars(select(Student.id).order_by(Student.id)).first()
        row = Attachment(kind="户口簿", filename="hukou.jpg", content_type="image/jpeg", size=3, data=b"jpg")
        row.uploaded_by_id, row.student_id = user(by).id, student_id or any_student
        session.add(row)
        session.flush()
        return str(row.id)

    return upload


def record(session, student_id):
    session.expire_all()
    return session.get(Student, student_id)


def test_situation_1_both_sides_must_process(pair, session):
    case, a, b = pair()
    assert case.state == "待处理"
    assert case.seats() == [
        ("a_action", "南明第一小学", "school_registrar"),
        ("b_action", "云岩第一小学", "school_registrar"),
    ]
    for student_id in (a, b):
        assert (record(session, student_id).problem_type, record(session, student_id).problem_state) == ("2", "未处理")
    assert record(session, a).registration_state == RegistrationState.DEDUP_PROBLEM


def test_situation_3_one_side_deleted_the_other_must_still_process_then_evidence_resolves(pair, session, user, proof):
    case, a, b = pair()
    case.submit("a_action", by=user(A), action="删除", statement="该生实际在云岩第一小学就读")
    deleted = record(session, a)
    assert (deleted.status, deleted.problem_state) == (StudentStatus.DELETED, "已删除")
    assert case.seats() == [("b_action", "云岩第一小学", "school_registrar")]
    case.submit("b_action", by=user(B), action="佐证", statement="本校学生信息无误", evidence_ids=proof(B))
    assert case.seats() == [("b_review", "云岩区", "county_officer")]
    case.submit("b_review", by=user("yunyan-county"), decision="通过")
    assert case.state == "已解决" and case.case.status == CaseStatus.COMPLETED
    kept = record(session, b)
    assert (kept.problem_type, kept.problem_state, kept.status) == (None, "佐证通过", StudentStatus.IN_SCHOOL)
    # The deleted record stays queryable, with its problem flag (F-16 acceptance).
    assert session.scalars(select(Student).where(Student.id == a, Student.status == StudentStatus.DELETED)).one()


def test_situation_2_one_side_evidence_approved_the_other_unprocessed_then_deletes(pair, session, user, proof):
    case, a, b = pair()
    case.submit("a_action", by=user(A), action="佐证", statement="本校学生信息无误", evidence_ids=proof())
    case.submit("a_review", by=user("nanming-county"), decision="通过")
    assert record(session, a).problem_state == "佐证通过"
    assert case.seats() == [("b_action", "云岩第一小学", "school_registrar")]
    case.submit("b_action", by=user(B), action="删除", statement="重复注册")
    assert case.state == "已解决"
    new = record(session, a)
    assert (new.problem_type, new.registration_state) == (None, RegistrationState.DEDUP_OK)
    assert record(session, b).status == StudentStatus.DELETED
    attachment = session.scalars(select(Attachment).where(Attachment.instance_id == case.case.id)).one()
    assert attachment.student_id == a


def test_situation_4_all_evidence_approved_goes_to_the_common_superior(pair, session, user, proof):
    case, a, b = pair()
    case.submit("a_action", by=user(A), action="佐证", statement="无误", evidence_ids=proof())
    case.submit("b_action", by=user(B), action="佐证", statement="无误", evidence_ids=proof(B))
    case.submit("a_review", by=user("nanming-county"), decision="通过")
    case.submit("b_review", by=user("yunyan-county"), decision="通过")
    assert case.state == "待仲裁"
    assert case.seats() == [("arbitration", "贵阳市", "city_officer")]
    with pytest.raises(DomainError, match="最多只能一方通过"):
        case.submit("arbitration", by=user("guiyang-city"), decision_a="通过", decision_b="通过", comment="都对")
    case.submit("arbitration", by=user("guiyang-city"), decision_a="通过", decision_b="不通过", comment="公安证明A正确")
    assert case.state == "仲裁完成"
    assert (record(session, a).problem_type, record(session, a).problem_state) == (None, "仲裁通过")
    assert (record(session, b).problem_type, record(session, b).problem_state) == ("2", "仲裁未通过")


def test_same_county_schools_are_arbitrated_by_the_county(pair, user, proof):
    case, _, _ = pair(SAME_COUNTY_B)
    case.submit("a_action", by=user(A), action="佐证", statement="无误", evidence_ids=proof())
    case.submit("b_action", by=user(SAME_COUNTY_B), action="佐证", statement="无误", evidence_ids=proof(SAME_COUNTY_B))
    case.submit("a_review", by=user("nanming-county"), decision="通过")
    case.submit("b_review", by=user("nanming-county"), decision="通过")
    assert case.seats() == [("arbitration", "南明区", "county_officer")]


def test_rejected_evidence_means_that_side_processes_again_then_correction_resolves(pair, session, user, proof):
    case, a, b = pair()
    case.submit("a_action", by=user(A), action="佐证", statement="无误", evidence_ids=proof())
    case.submit("a_review", by=user("nanming-county"), decision="不通过", comment="证明不足")
    assert record(session, a).problem_state == "佐证未通过"
    assert case.seats() == [
        ("a_action", "南明第一小学", "school_registrar"),
        ("b_action", "云岩第一小学", "school_registrar"),
    ]
    case.submit("b_action", by=user(B), action="删除", statement="重复")
    assert case.state == "待处理" and case.seats() == [("a_action", "南明第一小学", "school_registrar")]
    old = record(session, a)
    old_number, new_number = old.id_doc_number, id_number(old.birth_date, male=old.sex == "1", seq=470)
    case.submit(
        "a_action",
        by=user(A),
        action="变更",
        statement="派出所更正身份证号",
        new_id_doc_number=new_number,
        evidence_ids=proof(),
    )
    case.submit("a_review", by=user("nanming-county"), decision="通过")
    assert case.state == "已解决"
    changed = record(session, a)
    assert (changed.id_doc_number, changed.problem_type) == (new_number, None)
    entry = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_id == a, AuditEvent.action == "问题学籍处理")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert entry.before["id_doc_number"] == old_number and entry.after["id_doc_number"] == new_number


def test_correction_that_removes_the_conflict_resolves_both(pair, session, user, proof):
    case, a, b = pair()
    old = record(session, a)
    new_number = id_number(old.birth_date, male=old.sex == "1", seq=471)
    case.submit(
        "a_action", by=user(A), action="变更", statement="更正", new_id_doc_number=new_number, evidence_ids=proof()
    )
    case.submit("b_action", by=user(B), action="佐证", statement="无误", evidence_ids=proof(B))
    case.submit("b_review", by=user("yunyan-county"), decision="通过")
    assert case.seats() == [("a_review", "南明区", "county_officer")]
    case.submit("a_review", by=user("nanming-county"), decision="通过")
    assert case.state == "已解决"
    assert record(session, a).problem_type is None and record(session, b).problem_type is None


def test_rejected_correction_leaves_the_data_and_the_side_acts_again(pair, session, user, proof):
    case, a, _ = pair()
    case.submit("a_action", by=user(A), action="变更", statement="更正", new_name="张改", evidence_ids=proof())
    case.submit("a_review", by=user("nanming-county"), decision="不通过", comment="无依据")
    assert ("a_action", "南明第一小学", "school_registrar") in case.seats()
    assert (record(session, a).name, record(session, a).problem_state) != ("张改", "变更通过")


def test_an_approved_correction_that_still_collides_must_process_again(pair, session, user, proof):
    case, a, _ = pair()
    case.submit("a_action", by=user(A), action="变更", statement="更正姓名", new_name="张改", evidence_ids=proof())
    case.submit("a_review", by=user("nanming-county"), decision="通过")
    changed = record(session, a)
    assert (changed.name, changed.problem_state, changed.problem_type) == ("张改", "变更后仍重复", "2")
    assert ("a_action", "南明第一小学", "school_registrar") in case.seats()


def test_type_3_duplicates_may_both_pass_arbitration(session, user, flows, proof):
    first = reg.register(
        session,
        actor=user(A),
        raw=valid_row(9, id_doc_type="其他", id_doc_number=""),
        business_type="新生注册",
        now=utcnow(),
    )
    second = reg.register(
        session,
        actor=user(A),
        raw=valid_row(9, id_doc_type="其他", id_doc_number=""),
        business_type="新生注册",
        now=utcnow(),
    )
    session.flush()
    case = flows("problem_record", student=second, by=user(A), other_student=str(first.id))
    assert record(session, first.id).problem_type == "3"
    for side in ("a", "b"):
        case.submit(f"{side}_action", by=user(A), action="佐证", statement="不同的两个学生", evidence_ids=proof())
        case.submit(f"{side}_review", by=user("nanming-county"), decision="通过")
    case.submit("arbitration", by=user("nanming-county"), decision_a="通过", decision_b="通过", comment="双胞胎")
    assert case.state == "仲裁完成"
    assert record(session, first.id).problem_type is None and record(session, second.id).problem_type is None


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"action": "佐证", "statement": "无误"}, "evidence_ids"),
        ({"action": "变更", "statement": "更正", "evidence_ids": "1"}, "new_name"),
        ({"action": "删除"}, "statement"),
        ({"statement": "x"}, "action"),
    ],
)
def test_action_form_refuses_incomplete_actions(pair, fields, error_field):
    case, _, _ = pair()
    form = case.form_for("a_action", **fields)
    assert not form.validate() and error_field in form.errors


def test_a_bad_corrected_id_is_refused_and_nothing_changes(pair, user, proof):
    case, _, _ = pair()
    with pytest.raises(DomainError, match="校验位错误"):
        case.submit(
            "a_action",
            by=user(A),
            action="变更",
            statement="更正",
            new_id_doc_number="110101200001011234",
            evidence_ids=proof(),
        )
    assert case.seats()[0] == ("a_action", "南明第一小学", "school_registrar")


def test_only_the_schools_of_the_case_may_act(pair, user):
    case, _, _ = pair()
    with pytest.raises(DomainError):
        case.submit("b_action", by=user(A), action="删除", statement="不是我的")
    with pytest.raises(DomainError):
        case.submit("a_action", by=user("meitan-xx-registrar"), action="删除", statement="外校")


def test_a_type_1_record_may_only_be_deleted_or_corrected(pair, session, user, proof):
    case, a, _ = pair()
    record(session, a).problem_type = "1"  # 身份证号错误 (national identity check)
    session.flush()
    with pytest.raises(DomainError, match="只能删除或变更"):
        case.submit("a_action", by=user(A), action="佐证", statement="无误", evidence_ids=proof())
    assert record(session, a).problem_state == "未处理"
