"""地区限制规则包「北京条件」(F-65): checked when a transfer starts and when a school admits, switched on per province,
passed only with an authority's audited override (特批)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from handlers import parameters, regional_rules
from handlers.regional_rules import Candidate, Entry
from models.attachment import store_upload
from models.audit import AuditEvent
from models.errors import DomainError
from models.org import Cohort, SchoolClass, Stage
from models.regional import GradeQuota, RegionalOverride, SchoolAdmissionProfile, records_in_grade
from models.student import Student, StudentStatus
from models.workflow import ProcessInstance
from webapp.admissions import admit_graduate

RECEIVING = "dongcheng-xx-registrar"  # 东城区的小学
REVIEWER = "dongcheng-xx-reviewer"
SENDING = "xicheng-xx-registrar"
COUNTY = "dongcheng-county"
CITY = "beijing-province"
FLOW = "transfer_in_province"


@pytest.fixture
def pack(session, user):
    """北京 switches the pack on (基本系统设置); other provinces keep it off."""
    parameters.save_settings(session, user(CITY), {"beijing_rules": "是"})
    session.commit()


def target_class(session, user, username=RECEIVING) -> SchoolClass:
    return session.scalars(
        select(SchoolClass)
        .join(Cohort, Cohort.id == SchoolClass.cohort_id)
        .where(Cohort.school_id == user(username).org_id)
        .order_by(Cohort.cohort_year.desc(), SchoolClass.class_no)
    ).first()


def fill_quota(session, cohort_id: int, free: int = 0) -> None:
    session.merge(GradeQuota(cohort_id=cohort_id, quota=records_in_grade(session, cohort_id) + free))
    session.commit()


def start(flows, user, session, student, target, by=RECEIVING):
    return flows(
        FLOW,
        student=student,
        by=user(by),
        to_school_id=user(by).org_id,
        to_class_id=str(target.id),
        cause="房产变更",
        reason="家庭搬迁",
    )


def cases(session) -> int:
    return session.scalar(select(func.count(ProcessInstance.id)))


def test_the_quota_blocks_a_transfer_when_full_and_an_override_with_a_reason_passes_and_is_audited(
    pack, flows, user, student_of, session, clock
):
    target = target_class(session, user)
    fill_quota(session, target.cohort_id)
    student, before = student_of(SENDING), cases(session)
    with pytest.raises(DomainError, match="学籍总量已满") as refused:
        start(flows, user, session, student, target)
    assert "特批" in refused.value.message
    assert cases(session) == before  # nothing half-written
    override = regional_rules.grant_override(
        session, user(COUNTY), rule="quota", to_school_id=target.cohort.school_id, student_id=student.id, reason="随迁"
    )
    session.commit()
    case = start(flows, user, session, student, target)
    assert case.state == "待转入区县审核"
    session.refresh(override)
    assert override.used_instance_id == case.case.id
    actions = session.execute(
        select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.after).where(
            AuditEvent.entity == "regional_override", AuditEvent.entity_id == override.id
        )
    ).all()
    assert [(a, actor) for a, actor, _ in actions] == [
        ("地区限制特批", user(COUNTY).id),
        ("地区限制特批使用", user(RECEIVING).id),
    ]
    assert actions[0][2]["reason"] == "随迁" and actions[1][2]["rule"] == "学籍总量"


def test_a_used_override_does_not_open_the_door_twice(pack, flows, user, student_of, session, clock):
    target = target_class(session, user)
    fill_quota(session, target.cohort_id)
    student = student_of(SENDING)
    regional_rules.grant_override(
        session, user(COUNTY), rule="quota", to_school_id=target.cohort.school_id, student_id=student.id, reason="特殊"
    )
    session.commit()
    start(flows, user, session, student, target)
    other = student_of(SENDING)
    with pytest.raises(DomainError, match="学籍总量已满"):
        start(flows, user, session, other, target)


@pytest.mark.parametrize(
    ("who", "reason", "message"),
    [
        (COUNTY, " ", "特批须填写理由"),
        ("xicheng-county", "随迁", "只有接收学校的学籍主管部门及其上级可以特批"),
        (RECEIVING, "随迁", "只有接收学校的学籍主管部门及其上级可以特批"),
    ],
)
def test_an_override_needs_a_reason_and_an_authority_above_the_school(session, user, student_of, who, reason, message):
    with pytest.raises(DomainError, match=message):
        regional_rules.grant_override(
            session,
            user(who),
            rule="quota",
            to_school_id=user(RECEIVING).org_id,
            student_id=student_of(SENDING).id,
            reason=reason,
        )


def test_the_pack_is_off_unless_the_province_switches_it_on(flows, user, student_of, session, clock):
    target = target_class(session, user)
    fill_quota(session, target.cohort_id)
    start(flows, user, session, student_of(SENDING), target)  # pack off in Beijing
    parameters.save_settings(session, user(CITY), {"beijing_rules": "是"})
    guizhou = target_class(session, user, "nanming-xx-registrar")
    fill_quota(session, guizhou.cohort_id)
    case = start(flows, user, session, student_of("yunyan-xx-registrar"), guizhou, by="nanming-xx-registrar")
    assert case.state  # Guizhou's transfers do not see Beijing's pack


def _status_change(flows, user, session, student, code, **fields):
    if code == "suspension":
        upload = store_upload(session, student_id=student.id, user=user(RECEIVING), filename="证明.pdf", data=b"%PDF-")
        fields["attachment_ids"] = str(upload.id)
    case = flows("status_change", student=student, by=user(RECEIVING), change_type=code, **fields)
    case.submit("school_review", by=user(REVIEWER), school_decision="通过")
    case.submit("authority_review", by=user(COUNTY), decision="通过")
    session.expire_all()
    return session.get(Student, student.id)


def test_suspension_and_resumption_do_not_consume_the_quota(pack, flows, user, student_of, session, clock):
    target = target_class(session, user)
    fill_quota(session, target.cohort_id)
    pupil = session.scalars(select(Student).where(Student.class_id == target.id).order_by(Student.id)).first()
    suspended = _status_change(flows, user, session, pupil, "suspension", reason="因病休学", evidence="诊断证明")
    assert suspended.status == StudentStatus.SUSPENDED
    start(flows, user, session, student_of(SENDING), target)  # 休学 freed a place
    resumed = _status_change(
        flows, user, session, suspended, "resumption", reason="病愈返校", target_class_id=str(target.id)
    )
    assert resumed.status == StudentStatus.IN_SCHOOL  # 复学 takes the student's place back, full or not


def test_a_foreign_student_needs_the_qualification_and_a_plan(pack, flows, user, student_of, session, clock):
    target = target_class(session, user)
    student = student_of(SENDING)
    student.nationality = "美国"
    session.commit()
    with pytest.raises(DomainError, match="没有接收外籍学生的资格"):
        start(flows, user, session, student, target)
    profile = SchoolAdmissionProfile(school_id=user(RECEIVING).org_id, foreign_qualified=True, foreign_plan=0)
    session.add(profile)
    session.commit()
    with pytest.raises(DomainError, match="外籍学生计划已满"):
        start(flows, user, session, student, target)
    profile.foreign_plan = 1
    session.commit()
    assert start(flows, user, session, student, target).state == "待转入区县审核"


def test_a_transfer_from_an_ordinary_to_a_model_school_is_limited(pack, flows, user, student_of, session, clock):
    session.add(SchoolAdmissionProfile(school_id=user(RECEIVING).org_id, is_model_school=True))
    session.commit()
    student = student_of(SENDING)
    with pytest.raises(DomainError, match="由非示范校转入示范校"):
        start(flows, user, session, student, target_class(session, user))
    session.add(SchoolAdmissionProfile(school_id=user(SENDING).org_id, is_model_school=True))
    session.commit()
    assert start(flows, user, session, student, target_class(session, user)).state == "待转入区县审核"


def test_senior_students_without_local_hukou_are_limited(pack, session, user):
    school_id = user(RECEIVING).org_id
    entry = Entry(school_id, Stage.SENIOR, None, "转学")
    outsider = Candidate("张三", student_id=1, hukou_code="520102000000")
    local = Candidate("李四", student_id=2, hukou_code="110101000000")
    assert "非本市户籍高中学生" in regional_rules.refusals(session, outsider, entry)["non_local_senior"]
    assert regional_rules.refusals(session, local, entry) == {}
    assert regional_rules.refusals(session, outsider, Entry(school_id, Stage.PRIMARY, None, "转学")) == {}


def test_an_admission_is_checked_too(session, user, graduates):
    """南明第一中学's graduates admitted by 南明一中 (senior), with the pack on in 贵州 and a non-local hukou."""
    registrar = user("nanming-gz-registrar")
    parameters.save_settings(session, user("guizhou-province"), {"beijing_rules": "是"})
    graduate = graduates[0]
    graduate.hukou_code = "110101000000"
    session.commit()
    with pytest.raises(DomainError, match="非本市户籍高中学生"):
        admit_graduate(session, registrar, student_id=graduate.id, school_id=registrar.org_id, stage=Stage.SENIOR)
    regional_rules.grant_override(
        session,
        user("nanming-county"),
        rule="non_local_senior",
        to_school_id=registrar.org_id,
        student_id=graduate.id,
        reason="随迁子女，符合就读条件",
    )
    session.commit()
    admission, _ = admit_graduate(
        session, registrar, student_id=graduate.id, school_id=registrar.org_id, stage=Stage.SENIOR
    )
    assert admission.id is not None
    used = session.scalars(select(RegionalOverride).where(RegionalOverride.student_id == graduate.id)).one()
    assert used.used_at is not None
