"""升级 (F-38): set the moment, promote exactly once at the tick, report, undo exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from handlers import graduation, promotion
from models.audit import AuditEvent
from models.business_calendar import grade_level, grade_year
from models.errors import DomainError
from models.lifecycle import PromotionStatus
from models.org import Cohort
from models.student import Student

PROVINCE_OFFICER = "guizhou-province"
MOMENT = datetime(2027, 8, 10, 16, 0, tzinfo=UTC)  # 10 Aug 24:00 Beijing time


@pytest.fixture
def province(user):
    return user(PROVINCE_OFFICER).org_id


def test_promotion_moves_every_cohort_up_once_and_undo_moves_it_back_once(session, user, province):
    before = grade_year(session, province)
    students_before = session.scalars(select(Student)).all()
    run = promotion.schedule(session, user(PROVINCE_OFFICER), province_id=province, promote_at=MOMENT)
    assert promotion.run_due(session, MOMENT - timedelta(seconds=1)) == []
    assert grade_year(session, province) == before

    [done] = promotion.run_due(session, MOMENT)
    assert (done.id, done.status) == (run.id, PromotionStatus.DONE)
    assert grade_year(session, province) == before + 1
    assert promotion.run_due(session, MOMENT + timedelta(hours=1)) == []  # the next tick finds nothing to do
    with pytest.raises(DomainError, match="已升级，不能再次执行"):
        promotion.promote(session, run.id, actor=None, now=MOMENT)
    assert grade_year(session, province) == before + 1

    promotion.undo(session, run.id, actor=user(PROVINCE_OFFICER), now=MOMENT)
    assert grade_year(session, province) == before
    with pytest.raises(DomainError, match="已撤销，不能撤销"):
        promotion.undo(session, run.id, actor=user(PROVINCE_OFFICER), now=MOMENT)
    assert grade_year(session, province) == before
    assert session.scalars(select(Student)).all() == students_before  # no student row was touched
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity == "promotion_run", AuditEvent.entity_id == run.id)
    ).all()
    assert actions == ["升级", "撤销升级"]


def test_the_report_shows_no_grade_one_and_the_students_left_in_their_last_grade(session, user, province):
    run = promotion.schedule(session, user(PROVINCE_OFFICER), province_id=province, promote_at=MOMENT)
    promotion.promote(session, run.id, actor=None, now=MOMENT)
    report = run.report
    assert report["students"] == 144
    assert {stage: sorted(grades) for stage, grades in report["grades"].items()} == {
        "小学": ["2", "3", "4"],
        "初中": ["2", "3", "4"],
        "高中": ["2", "3", "4"],
    }
    assert (
        report["overdue_graduates"] == 32
    )  # 九年级 and 高三 (4 counties × 2 schools × 4 pupils) not graduated: 应毕业未毕业


def test_graduated_students_are_not_in_the_report(session, user, province):
    cohort = session.scalars(
        select(Cohort).where(Cohort.school_id == user("nanming-cz-registrar").org_id).order_by(Cohort.cohort_year)
    ).first()
    pupils = graduation.class_students(session, cohort.classes[0].id)
    graduation.graduate(session, user("nanming-cz-registrar"), pupils, on=MOMENT.date())
    run = promotion.schedule(session, user(PROVINCE_OFFICER), province_id=province, promote_at=MOMENT)
    promotion.promote(session, run.id, actor=None, now=MOMENT)
    assert run.report["overdue_graduates"] == 32 - len(pupils)
    assert grade_level(cohort.cohort_year, grade_year(session, province)) == 4


def test_setting_the_moment_again_moves_it_and_a_second_year_promotes_again(session, user, province):
    first = promotion.schedule(session, user(PROVINCE_OFFICER), province_id=province, promote_at=MOMENT)
    again = promotion.schedule(
        session, user(PROVINCE_OFFICER), province_id=province, promote_at=MOMENT + timedelta(days=1)
    )
    assert again.id == first.id and again.promote_at == MOMENT + timedelta(days=1)
    promotion.run_due(session, MOMENT + timedelta(days=1))
    year = grade_year(session, province)
    nxt = promotion.schedule(
        session, user(PROVINCE_OFFICER), province_id=province, promote_at=MOMENT.replace(year=2028)
    )
    assert (nxt.from_year, nxt.to_year) == (year, year + 1)
    promotion.undo(session, first.id, actor=user(PROVINCE_OFFICER), now=MOMENT)
    with pytest.raises(DomainError, match="升级设置.*已失效"):
        promotion.promote(session, nxt.id, actor=None, now=MOMENT.replace(year=2028))


def test_only_a_province_sets_the_moment(session, user):
    with pytest.raises(DomainError, match="省级"):
        promotion.schedule(
            session, user("nanming-county"), province_id=user("nanming-county").org_id, promote_at=MOMENT
        )
