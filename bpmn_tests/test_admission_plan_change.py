"""招生计划数设置 / 变更申请 / 变更核办 (F-39) and the over-plan warning (Q-25)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from handlers import graduation
from models import admission as adm
from models.admission import AdmissionPlan
from models.base import utcnow
from models.org import Cohort, Stage
from webapp.admissions import admit_graduate

SCHOOL = "nanming-gz-registrar"
COUNTY = "nanming-county"
YEAR = utcnow().year


def planned(session, user) -> int | None:
    session.expire_all()
    plan = session.scalars(
        select(AdmissionPlan).where(AdmissionPlan.school_id == user(SCHOOL).org_id, AdmissionPlan.year == YEAR)
    ).first()
    return plan.planned if plan else None


def test_county_sets_the_plan_and_an_approved_change_updates_it(session, user, flows):
    adm.set_plan(session, user(COUNTY), user(SCHOOL).org_id, year=YEAR, stage=Stage.SENIOR, planned=300)
    case = flows(
        "admission_plan_change",
        student=None,
        by=user(SCHOOL),
        to_school_id=user(SCHOOL).org_id,
        year=str(YEAR),
        stage="senior",
        planned="320",
        reason="新增两个班",
    )
    assert case.seats() == [("county_review", "南明区", "county_officer")]
    assert case.state == "待核办"
    case.submit("county_review", by=user(COUNTY), decision="通过")
    assert case.state == "已通过"
    assert planned(session, user) == 320


def test_a_rejected_change_leaves_the_plan_unchanged(session, user, flows):
    adm.set_plan(session, user(COUNTY), user(SCHOOL).org_id, year=YEAR, stage=Stage.SENIOR, planned=300)
    case = flows(
        "admission_plan_change",
        student=None,
        by=user(SCHOOL),
        to_school_id=user(SCHOOL).org_id,
        year=str(YEAR),
        stage="senior",
        planned="400",
        reason="扩招",
    )
    assert not case.form_for("county_review", decision="不通过").validate()
    case.submit("county_review", by=user(COUNTY), decision="不通过", comment="校舍不足")
    assert case.state == "未通过"
    assert planned(session, user) == 300


def test_admissions_over_the_plan_warn(session, user):
    school_id = user(SCHOOL).org_id
    junior = user("nanming-cz-registrar")
    cohort = session.scalars(
        select(Cohort).where(Cohort.school_id == junior.org_id).order_by(Cohort.cohort_year)
    ).first()
    pupils = graduation.class_students(session, cohort.classes[0].id)
    graduation.graduate(session, junior, pupils, on=date(2027, 7, 1))
    adm.set_plan(session, user(COUNTY), school_id, year=YEAR, stage=Stage.SENIOR, planned=1)
    session.commit()
    admit_graduate(session, user(SCHOOL), student_id=pupils[0].id, school_id=school_id, stage=Stage.SENIOR)
    assert adm.plan_warning(session, school_id, YEAR, Stage.SENIOR) is None
    admit_graduate(session, user(SCHOOL), student_id=pupils[1].id, school_id=school_id, stage=Stage.SENIOR)
    assert adm.plan_warning(session, school_id, YEAR, Stage.SENIOR) == "录取人数2已超过招生计划数1"


def test_plan_pages(session, user, login_as, client):
    from models.org import School

    login_as(COUNTY)
    code = session.get(School, user(SCHOOL).org_id).school_code
    client.post("/admissions/plans", data={"school_code": code, "year": str(YEAR), "stage": "senior", "planned": "200"})
    assert planned(session, user) == 200
    client.post(
        "/admissions/plans", data={"school_code": "0000000000", "year": str(YEAR), "stage": "senior", "planned": "9"}
    )
    login_as(SCHOOL)
    page = client.get("/admissions/plans").get_data(as_text=True)
    assert 'data-testid="plan-change"' in page and "200" in page
    data = {"year": str(YEAR), "stage": "senior", "planned": "210", "reason": "新增一个班"}
    response = client.post("/admissions/plans/change", data=data)
    assert response.status_code == 302 and "/cases/" in response.location
