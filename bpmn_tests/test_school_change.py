"""学校合并、撤销 / 更名 / 校区增撤 (F-50): processes/school_change.bpmn through the engine and the database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from handlers import orgs
from models.admission import county_school_id
from models.audit import AuditEvent
from models.errors import DomainError
from models.org import Campus, Cohort, School, SchoolClass, Stage
from models.student import Student, StudentStatus
from models.user import User
from models.workflow import CaseStatus, ProcessInstance

COUNTY, CITY = "nanming-county", "guiyang-city"
PRIMARY, JUNIOR = "nanming-xx-registrar", "nanming-cz-registrar"


@pytest.fixture
def schools(session, user):
    """(南明第一小学, 南明第一中学), with no open case at either (the demo may leave some)."""
    primary, junior = (session.get_one(School, user(name).org_id) for name in (PRIMARY, JUNIOR))
    for case in session.scalars(
        select(ProcessInstance).where(
            ProcessInstance.status == CaseStatus.OPEN,
            ProcessInstance.org_id.in_([primary.org_id, junior.org_id]),
        )
    ):
        case.status = CaseStatus.CANCELLED
    session.flush()
    return primary, junior


@pytest.fixture
def change(flows, user):
    def start(school, **fields):
        return flows(
            "school_change", student=None, by=user(COUNTY), to_school_id=school.org_id, reason="县政府文件", **fields
        )

    return start


def count(session, school_id, *, status=None):
    query = select(func.count(Student.id)).where(Student.school_id == school_id)
    if status is not None:
        query = query.where(Student.status == status)
    return session.scalar(query)


def test_merge_moves_records_and_classes_and_voids_the_code(session, user, schools, change):
    primary, junior = schools
    year = session.scalar(select(func.max(Cohort.cohort_year)).where(Cohort.school_id == junior.org_id))
    # the receiving school already has a junior cohort of that year with a class 101: the moved one is renumbered
    taken = Cohort(school_id=primary.org_id, stage=Stage.JUNIOR, cohort_year=year)
    session.add(taken)
    session.flush()
    session.add(SchoolClass(cohort_id=taken.id, class_no="101", name="七(1)班"))
    session.flush()
    moving, in_school = count(session, junior.org_id), count(session, junior.org_id, status=StudentStatus.IN_SCHOOL)
    before = count(session, primary.org_id)
    junior_classes = session.scalar(
        select(func.count(SchoolClass.id)).join(Cohort).where(Cohort.school_id == junior.org_id)
    )
    same_year = session.scalar(
        select(func.count(SchoolClass.id))
        .join(Cohort)
        .where(Cohort.school_id == junior.org_id, Cohort.cohort_year == year)
    )
    assert moving > 0 and in_school > 0 and junior_classes > 0 and same_year > 0
    case = change(junior, kind="合并", target_code=primary.school_code)
    assert case.state == "待市级审核"
    assert case.seats() == [("city_review", "贵阳市", "city_officer")]
    case.submit("city_review", by=user(CITY), decision="通过")
    assert case.state == "已办结"
    session.expire_all()
    assert count(session, junior.org_id) == 0 and count(session, primary.org_id) == before + moving
    assert session.scalar(select(func.count(Cohort.id)).where(Cohort.school_id == junior.org_id)) == 0
    numbers = session.scalars(select(SchoolClass.class_no).where(SchoolClass.cohort_id == taken.id)).all()
    assert "101" in numbers and len(numbers) == len(set(numbers)) == 1 + same_year  # none lost, none twice
    assert Stage.JUNIOR in session.get(School, primary.org_id).stage_list
    merged = session.get(School, junior.org_id)
    assert (merged.closed_reason, merged.merged_into_id) == ("合并", primary.org_id) and merged.closed_at
    assert session.get(School, primary.org_id).school_code == primary.school_code  # the receiving school keeps its
    assert not session.scalar(select(User).where(User.username == JUNIOR)).active
    history = session.scalars(select(AuditEvent).where(AuditEvent.action == "学校合并", AuditEvent.entity == "student"))
    assert len(history.all()) == moving


def test_a_voided_code_is_never_reused(session, user, schools, change):
    primary, junior = schools
    case = change(junior, kind="合并", target_code=primary.school_code)
    case.submit("city_review", by=user(CITY), decision="通过")
    # the organisation import refuses the code for a new or an updated school
    province = session.get_one(School, primary.org_id).org.parent.parent.parent
    world = orgs._world(session, province, [junior.school_code])
    row = {"school_code": junior.school_code}
    assert orgs._code_errors(row, world) == [
        ("学校标识码", "该学校标识码所属学校已合并或撤销，标识码已作废，不能再使用")
    ]
    # nor can the closed school be merged into, changed again or named as a receiving school
    with pytest.raises(DomainError, match="已合并"):
        change(primary, kind="撤销", target_code=junior.school_code)
    with pytest.raises(DomainError, match="不能再变更"):
        change(junior, kind="更名", new_name="新名字")
    with pytest.raises(DomainError, match="学校标识码已作废"):  # nor admit students by its code
        county_school_id(session, user(COUNTY), junior.school_code)


def test_closure_hands_the_records_to_the_designated_school(session, user, schools, change):
    primary, junior = schools
    with pytest.raises(DomainError, match="名在校生，撤销前须指定接收学校"):
        change(junior, kind="撤销")
    moving = count(session, junior.org_id)
    case = change(junior, kind="撤销", target_code=primary.school_code)
    case.submit("city_review", by=user(CITY), decision="通过")
    session.expire_all()
    closed = session.get(School, junior.org_id)
    assert (closed.closed_reason, closed.merged_into_id) == ("撤销", None)
    assert count(session, junior.org_id) == 0 and moving > 0
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "学校撤销")).first() is not None


def test_refused_while_business_is_pending(session, user, schools, change, flows, student_of):
    primary, junior = schools
    pupil = student_of(JUNIOR)
    flows("mistaken_deletion", student=pupil, by=user(JUNIOR), reason="重复录入")
    with pytest.raises(DomainError, match="尚有在办业务"):
        change(junior, kind="合并", target_code=primary.school_code)
    assert session.get(School, junior.org_id).closed_at is None


def test_business_started_during_the_review_blocks_the_merge(session, user, schools, change, flows, student_of):
    primary, junior = schools
    case = change(junior, kind="合并", target_code=primary.school_code)
    flows("mistaken_deletion", student=student_of(JUNIOR), by=user(JUNIOR), reason="重复录入")
    with pytest.raises(DomainError, match="尚有在办业务"):
        case.submit("city_review", by=user(CITY), decision="通过")


def test_city_refusal_changes_nothing(session, user, schools, change):
    primary, junior = schools
    moving = count(session, junior.org_id)
    case = change(junior, kind="合并", target_code=primary.school_code)
    case.submit("city_review", by=user(CITY), decision="不通过", comment="材料不全")
    assert case.state == "未通过"
    session.expire_all()
    assert count(session, junior.org_id) == moving and session.get(School, junior.org_id).closed_at is None


def test_rename_keeps_the_code_and_campuses_are_filed(session, user, schools, change):
    primary, _junior = schools
    code = primary.school_code
    case = change(primary, kind="更名", new_name="南明实验小学")
    assert case.state == "已办结"  # a filing: no review
    session.expire_all()
    renamed = session.get(School, primary.org_id)
    assert (renamed.name, renamed.school_code) == ("南明实验小学", code)
    change(primary, kind="增设校区", campus_name="东校区", campus_address_code="520102001001", campus_manager="李明")
    assert session.scalar(select(Campus.manager).where(Campus.school_id == primary.org_id, Campus.name == "东校区"))
    with pytest.raises(DomainError, match="已有校区"):
        change(primary, kind="增设校区", campus_name="东校区", campus_address_code="520102001001")
    change(primary, kind="撤销校区", campus_name="东校区")
    session.expire_all()
    assert session.scalar(select(Campus.id).where(Campus.school_id == primary.org_id, Campus.name == "东校区")) is None
