"""关键数据变更 (F-18, F-51): every path of processes/key_data_change.bpmn, engine and database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.attachment import Attachment
from models.audit import AuditEvent
from models.errors import DomainError
from models.settings import ControlledField
from models.student import Student, StudentStatus
from webapp.demo_rows import id_number

SCHOOL = "nanming-xx-registrar"
REVIEWER = "nanming-xx-reviewer"
COUNTY = "nanming-county"


@pytest.fixture
def proof(session, user, student):
    row = Attachment(kind="户口簿", filename="hukou.pdf", content_type="application/pdf", size=4, data=b"%PDF")
    row.uploaded_by_id, row.student_id = user(SCHOOL).id, student.id
    session.add(row)
    session.flush()
    return str(row.id)


@pytest.fixture
def student(student_of):
    return student_of(SCHOOL)


def new_number_for(student, seq=480):
    return id_number(student.birth_date, male=student.sex == "1", seq=seq)


def audit_of(session, student_id):
    return session.scalars(
        select(AuditEvent).where(AuditEvent.entity_id == student_id, AuditEvent.action == "关键数据变更")
    ).all()


def test_id_number_change_needs_school_review_and_county_approval(flows, session, user, student, proof):
    old_number, new_number = student.id_doc_number, new_number_for(student)
    case = flows(
        "key_data_change",
        student=student,
        by=user(SCHOOL),
        new_id_doc_number=new_number,
        reason="派出所更正",
        evidence_ids=proof,
    )
    assert case.state == "待学校审核"
    assert case.seats() == [("school_review", "南明第一小学", "school_reviewer")]
    case.submit("school_review", by=user(REVIEWER), decision="通过")
    assert case.seats() == [("county_review", "南明区", "county_officer")]
    assert session.get(Student, student.id).id_doc_number == old_number
    case.submit("county_review", by=user(COUNTY), decision="通过")
    assert case.state == "审核通过"
    assert session.get(Student, student.id).id_doc_number == new_number
    [entry] = audit_of(session, student.id)
    assert (entry.before, entry.after) == ({"id_doc_number": old_number}, {"id_doc_number": new_number})


def test_nationality_is_approved_by_the_city(flows, session, user, student, proof):
    case = flows(
        "key_data_change", student=student, by=user(SCHOOL), new_nationality="加拿大", reason="入籍", evidence_ids=proof
    )
    case.submit("school_review", by=user(REVIEWER), decision="通过")
    case.submit("county_review", by=user(COUNTY), decision="通过")
    assert case.state == "待市级审核"
    assert case.seats() == [("city_review", "贵阳市", "city_officer")]
    case.submit("city_review", by=user("guiyang-city"), decision="通过")
    assert session.get(Student, student.id).nationality == "加拿大"


def test_configured_level_moves_a_field_to_the_city(flows, session, user, student, proof):
    session.get(ControlledField, "name").approval_level = "city"
    session.flush()
    case = flows(
        "key_data_change", student=student, by=user(SCHOOL), new_name="王改名", reason="改名", evidence_ids=proof
    )
    case.submit("school_review", by=user(REVIEWER), decision="通过")
    case.submit("county_review", by=user(COUNTY), decision="通过")
    assert case.state == "待市级审核"


@pytest.mark.parametrize(
    ("step", "by"), [("school_review", REVIEWER), ("county_review", COUNTY), ("city_review", "guiyang-city")]
)
def test_a_rejection_at_any_level_leaves_the_record_unchanged(flows, session, user, student, proof, step, by):
    case = flows(
        "key_data_change", student=student, by=user(SCHOOL), new_nationality="加拿大", reason="入籍", evidence_ids=proof
    )
    for earlier, who in (("school_review", REVIEWER), ("county_review", COUNTY)):
        if earlier == step:
            break
        case.submit(earlier, by=user(who), decision="通过")
    case.submit(step, by=user(by), decision="不通过", comment="材料不全")
    assert case.state == "审核不通过"
    assert session.get(Student, student.id).nationality == "中国"
    assert audit_of(session, student.id) == []


def test_birth_date_change_must_agree_with_the_id_number(flows, user, student, proof):
    with pytest.raises(DomainError, match="出生日期与身份证件号不一致"):
        flows(
            "key_data_change",
            student=student,
            by=user(SCHOOL),
            new_birth_date="20000101",
            reason="x",
            evidence_ids=proof,
        )


def test_a_changed_id_that_duplicates_another_record_becomes_a_problem(
    flows, session, user, student, student_of, proof
):
    other = session.scalars(select(Student).where(Student.sex == student.sex, Student.id != student.id)).first()
    case = flows(
        "key_data_change",
        student=student,
        by=user(SCHOOL),
        new_id_doc_number=other.id_doc_number,
        new_birth_date=f"{other.birth_date:%Y%m%d}",
        reason="更正",
        evidence_ids=proof,
    )
    case.submit("school_review", by=user(REVIEWER), decision="通过")
    case.submit("county_review", by=user(COUNTY), decision="通过")
    session.expire_all()
    assert session.get(Student, student.id).problem_type == "2"
    assert session.get(Student, other.id).problem_type == "2"


def test_only_in_school_students_may_apply(flows, session, user, student, proof):
    student.status = StudentStatus.GRADUATED
    session.flush()
    with pytest.raises(DomainError, match="须为在校学生"):
        flows("key_data_change", student=student, by=user(SCHOOL), new_name="新名", reason="x", evidence_ids=proof)


def test_the_request_needs_proof_and_a_change(flows, user, student):
    from werkzeug.datastructures import MultiDict

    from forms.key_data_change import RequestForm

    form = RequestForm(formdata=MultiDict({"reason": "x"}))
    assert not form.validate()
    assert set(form.errors) == {"evidence_ids", "new_name"}
