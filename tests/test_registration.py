"""F-07, F-09, F-11…F-14: single registration, 查重 at entry, school review and 上报, 核办, national numbers."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from stdnum.cn import ric

from handlers import registration as reg
from models.audit import AuditEvent
from models.base import utcnow
from models.errors import DomainError
from models.numbers import new_j_number
from models.settings import RegistrationOpening
from models.student import DedupStatus, RegistrationState, Student, StudentStatus
from webapp.demo_rows import valid_row

SCHOOL = "nanming-xx-registrar"
COUNTY = "nanming-county"


@pytest.fixture
def register(session, user):
    def do(n=0, by=SCHOOL, business_type="新生注册", **overrides):
        student = reg.register(
            session, actor=user(by), raw=valid_row(n, **overrides), business_type=business_type, now=utcnow()
        )
        session.flush()
        return student

    return do


def test_a_valid_registration_is_saved_and_passes_dedup_but_is_not_in_school(register):
    student = register()
    assert (student.status, student.registration_state, student.dedup_status) == (
        StudentStatus.REGISTERING,
        RegistrationState.DEDUP_OK,
        DedupStatus.OK,
    )
    assert student.dedup_label == "查重无问题"
    assert [g.name for g in student.guardians] == ["测试父", "测试母"]
    assert student.profile["distance_km"] == "1.5"
    assert student.national_student_id is None


def test_invalid_checksum_blocks_saving_with_the_v02_message(register, session):
    with pytest.raises(reg.RegistrationRefused, match="校验位错误") as err:
        register(id_doc_number="110101200001011234")
    assert ("id_doc_number", "V-02") in {(p.field, p.rule) for p in err.value.problems}


def test_same_id_as_an_existing_record_is_a_type_2_problem_on_both(register, session, student_of):
    existing = student_of(SCHOOL)
    student = register(
        id_doc_number=existing.id_doc_number,
        birth_date=f"{existing.birth_date:%Y%m%d}",
        sex=existing.sex_label,
    )
    assert (student.dedup_status, student.registration_state, student.problem_type) == (
        DedupStatus.PROBLEM,
        RegistrationState.DEDUP_PROBLEM,
        "2",
    )
    session.refresh(existing)
    assert existing.problem_type == "2"


def test_no_id_and_same_name_sex_birth_date_is_type_3(register):
    first = register(3, id_doc_type="其他", id_doc_number="")
    second = register(3, id_doc_type="其他", id_doc_number="")
    assert first.dedup_status == DedupStatus.OK
    assert (second.dedup_status, second.problem_type) == (DedupStatus.PROBLEM, "3")
    assert first.problem_type == "3"


def test_deleted_records_do_not_count_as_duplicates(register, session, student_of):
    existing = student_of(SCHOOL)
    existing.status = StudentStatus.DELETED
    session.flush()
    student = register(
        id_doc_number=existing.id_doc_number, birth_date=f"{existing.birth_date:%Y%m%d}", sex=existing.sex_label
    )
    assert student.dedup_status == DedupStatus.OK


def test_review_submit_and_approval_give_an_l_number(register, session, user):
    students = [register(n) for n in range(25)]  # more than the legacy 20 per page
    ids = [s.id for s in students]
    with pytest.raises(DomainError, match="学校补充意见"):
        reg.school_review(session, actor=user(SCHOOL), student_ids=ids, comment=" ")
    assert reg.school_review(session, actor=user(SCHOOL), student_ids=ids, comment="已核对无误").done == ids
    assert reg.submit(session, actor=user(SCHOOL), student_ids=ids).done == ids
    assert {s.registration_label for s in students} == {"待核办"}
    outcome = reg.authority_review(session, actor=user(COUNTY), student_ids=ids, passed=True, reason="", now=utcnow())
    assert outcome.done == ids
    for s in students:
        assert s.status == StudentStatus.IN_SCHOOL
        assert re.fullmatch(rf"L520102{s.birth_date:%Y%m%d}\d{{4}}", s.national_student_id)
    assert len({s.national_student_id for s in students}) == 25
    [entry] = session.scalars(
        select(AuditEvent).where(AuditEvent.entity_id == ids[0], AuditEvent.action == "学籍注册核办通过")
    ).all()
    assert entry.after["national_student_id"] == students[0].national_student_id


def test_problem_records_cannot_be_reviewed(register, session, user, student_of):
    existing = student_of(SCHOOL)
    student = register(
        id_doc_number=existing.id_doc_number, birth_date=f"{existing.birth_date:%Y%m%d}", sex=existing.sex_label
    )
    outcome = reg.school_review(session, actor=user(SCHOOL), student_ids=[student.id], comment="ok")
    assert outcome.done == [] and "查重有问题" in outcome.refused[student.id]


def test_county_fail_returns_with_reason_and_the_school_resubmits(register, session, user):
    student = register()
    reg.school_review(session, actor=user(SCHOOL), student_ids=[student.id], comment="ok")
    reg.submit(session, actor=user(SCHOOL), student_ids=[student.id])
    with pytest.raises(DomainError, match="必须填写原因"):
        reg.authority_review(
            session, actor=user(COUNTY), student_ids=[student.id], passed=False, reason="", now=utcnow()
        )
    reg.authority_review(
        session, actor=user(COUNTY), student_ids=[student.id], passed=False, reason="地址不详", now=utcnow()
    )
    assert (student.registration_label, student.return_reason, student.status) == (
        "已驳回",
        "地址不详",
        StudentStatus.REGISTERING,
    )
    reg.school_review(session, actor=user(SCHOOL), student_ids=[student.id], comment="已补充地址")
    reg.submit(session, actor=user(SCHOOL), student_ids=[student.id])
    reg.authority_review(session, actor=user(COUNTY), student_ids=[student.id], passed=True, reason="", now=utcnow())
    assert student.status == StudentStatus.IN_SCHOOL


def test_another_county_cannot_decide(register, session, user):
    student = register()
    reg.school_review(session, actor=user(SCHOOL), student_ids=[student.id], comment="ok")
    reg.submit(session, actor=user(SCHOOL), student_ids=[student.id])
    outcome = reg.authority_review(
        session, actor=user("yunyan-county"), student_ids=[student.id], passed=True, reason="", now=utcnow()
    )
    assert outcome.done == [] and student.registration_state == RegistrationState.SUBMITTED


def test_in_school_registration_is_closed_until_a_province_opens_it(register, session, user):
    with pytest.raises(DomainError, match="在校生注册未开放"):
        register(business_type="在校生注册")
    school = user(SCHOOL).org
    session.add(RegistrationOpening(org_id=school.id, open_until=utcnow() + timedelta(days=3)))
    session.flush()
    assert register(business_type="在校生注册").registration_type == "在校生注册"


def test_homeroom_teacher_registers_only_own_class(register):
    assert register(by="nanming-xx-teacher", class_no="101").school_class.class_no == "101"
    with pytest.raises(reg.RegistrationRefused, match="班主任只能导入本班学生"):
        register(1, by="nanming-xx-teacher", class_no="102")


def test_school_code_must_be_the_schools_own(register):
    with pytest.raises(reg.RegistrationRefused, match="学校标识码应为本校"):
        register(school_code="2152010301")


def test_g_numbers_for_clean_in_school_l_records(register, session, user):
    student = register()
    reg.school_review(session, actor=user(SCHOOL), student_ids=[student.id], comment="ok")
    reg.submit(session, actor=user(SCHOOL), student_ids=[student.id])
    reg.authority_review(session, actor=user(COUNTY), student_ids=[student.id], passed=True, reason="", now=utcnow())
    assert reg.issue_g_numbers(session, actor=user("national")) == 1
    assert student.national_student_id == "G" + student.id_doc_number


def test_j_number_check_digit_matches_appendix_c(session):
    assert ric.calc_check_digit("110105200801015018") == "8"  # J110105200801015018 (Appendix C)
    number = new_j_number(session, "110105", date(2008, 1, 1))
    assert number[:18] == "J11010520080101001"
    assert number[-1] == ric.calc_check_digit(number[1:])


def test_pending_registrations_are_not_in_school_students(register, session):
    student = register()
    in_school = session.scalars(select(Student.id).where(Student.status == StudentStatus.IN_SCHOOL)).all()
    assert student.id not in in_school


def test_an_expired_opening_closes_in_school_registration_again(register, session, user):
    school = user(SCHOOL).org
    session.add(RegistrationOpening(org_id=school.id, open_until=utcnow() - timedelta(minutes=1)))
    session.flush()
    with pytest.raises(DomainError, match="在校生注册未开放"):
        register(business_type="在校生注册")


def test_a_province_wide_opening_covers_its_schools(register, session, user):
    province = user("guizhou-province").org
    session.add(RegistrationOpening(org_id=province.id, open_until=utcnow() + timedelta(days=1)))
    session.flush()
    assert register(business_type="在校生注册").registration_type == "在校生注册"
