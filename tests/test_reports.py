"""统计报表 (F-57): the statistics page's numbers equal counts taken here, independently, from the students; the
drill-down stays in the user's subtree; every table exports to Excel with the watermark; the tick recounts."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from io import BytesIO
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from jobs import periodic
from models import reports
from models.base import utcnow
from models.org import OrgLevel, OrgUnit
from models.photo import StudentPhoto
from models.student import Student, StudentStatus
from models.workflow import CaseStatus, ProcessInstance


def _vary(session: Session) -> None:
    """Give the demo's students different values (the demo copies one profile), so that each count means
    something."""
    students = session.scalars(select(Student).where(Student.status == StudentStatus.IN_SCHOOL).order_by(Student.id))
    for n, pupil in enumerate(students):
        pupil.profile = {
            **(pupil.profile or {}),
            "is_migrant_child": "是" if n % 3 == 0 else "否",
            "left_behind": ("非留守儿童", "单亲留守儿童", "双亲留守儿童")[n % 3],
            "hukou_type": "农业户口" if n % 4 else "非农业户口",
            "receives_subsidy": "是" if n % 5 == 0 else "否",
            "disability_type": "视力残疾" if n % 7 == 0 else "无残疾",
        }
        if n % 6 == 0:
            pupil.ethnicity = "苗族"
        if n % 11 == 0:
            pupil.problem_type = "2"
        if n % 9 == 0:
            session.add(StudentPhoto(student_id=pupil.id, data=b"x", width=358, height=441))
    session.flush()


def _expected(session: Session, unit: OrgUnit) -> dict[str, int]:
    """The standard report's figures for ``unit``, counted in Python from the records themselves."""
    pupils = session.scalars(
        select(Student)
        .join(OrgUnit, OrgUnit.id == Student.school_id)
        .where(OrgUnit.path.startswith(unit.path), Student.status == StudentStatus.IN_SCHOOL)
    ).all()
    photos = set(session.scalars(select(StudentPhoto.student_id)))
    count: Counter[str] = Counter()
    for p in pupils:
        profile = p.profile or {}
        count["在校生"] += 1
        count["男"] += p.sex == "1"
        count["女"] += p.sex == "2"
        count["少数民族"] += p.ethnicity != "汉族"
        count["随迁子女"] += profile.get("is_migrant_child") == "是"
        count["留守儿童"] += profile.get("left_behind") in ("单亲留守儿童", "双亲留守儿童")
        count["农业户口"] += profile.get("hukou_type") == "农业户口"
        count["非农业户口"] += profile.get("hukou_type") == "非农业户口"
        count["享受一补"] += profile.get("receives_subsidy") == "是"
        count["残疾"] += profile.get("disability_type", "无残疾") != "无残疾"
        count["问题学籍"] += p.problem_type is not None
        count["已采集照片"] += p.id in photos
    count["班级数"] = len({p.class_id for p in pupils if p.class_id})
    return dict(count)


def _sheet(response: Any) -> list[list[Any]]:
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.data))
    sheet = book.active
    assert "仅供工作使用" in sheet.oddHeader.center.text  # the export's watermark
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_standard_report_equals_independent_counts(session, login_as, user):
    _vary(session)
    reports.refresh(session)
    province = user("guizhou-province").org
    client = login_as("guizhou-province")
    page = client.get("/reports/")
    assert page.status_code == 200
    assert 'data-chart="' in page.text and "/vendor/echarts/echarts.min.js" in page.text

    rows = _sheet(client.get("/reports/export/standard"))
    headers, body = rows[0], rows[1:]
    cities = session.scalars(select(OrgUnit).where(OrgUnit.parent_id == province.id).order_by(OrgUnit.id)).all()
    assert [row[0] for row in body] == [c.name for c in cities] + [f"{province.name}（合计）"]
    for unit, row in zip([*cities, province], body, strict=True):
        shown = dict(zip(headers, row, strict=True))
        expected = _expected(session, unit)
        assert expected["在校生"] > 0
        for label, value in expected.items():
            assert shown[label] == value, (unit.name, label)


def test_drill_down_to_a_school_and_not_beyond_the_subtree(session, login_as, user):
    reports.refresh(session)
    county = user("nanming-county").org
    client = login_as("guizhou-province")
    school = session.scalars(
        select(OrgUnit).where(OrgUnit.parent_id == county.id, OrgUnit.level == OrgLevel.SCHOOL).order_by(OrgUnit.id)
    ).first()
    page = client.get(f"/reports/?org={county.id}")
    assert f"/reports/?org={school.id}" in page.text  # each school of the county is a drill-down link
    school_page = client.get(f"/reports/?org={school.id}")
    assert school_page.status_code == 200 and f"{school.name} 统计报表" in school_page.text
    rows = _sheet(client.get(f"/reports/export/standard?org={school.id}"))
    assert rows[1][rows[0].index("在校生")] == _expected(session, school)["在校生"]

    other = login_as("yunyan-county")  # a neighbouring county sees neither 南明区 nor its schools
    assert other.get(f"/reports/?org={county.id}").status_code == 404
    assert other.get(f"/reports/export/standard?org={school.id}").status_code == 404
    registrar = login_as("nanming-xx-registrar")
    assert registrar.get("/reports/").status_code == 200


def test_pending_business_by_type_equals_open_cases(session, login_as, user, student_of, flows):
    flows(
        "mistaken_deletion", student=student_of("nanming-xx-registrar"), by=user("nanming-xx-registrar"), reason="录错"
    )
    county = user("nanming-county").org
    open_cases = session.scalars(
        select(ProcessInstance)
        .join(OrgUnit, OrgUnit.id == ProcessInstance.org_id)
        .where(ProcessInstance.status == CaseStatus.OPEN, OrgUnit.path.startswith(county.path))
    ).all()
    expected = Counter(case.process_key for case in open_cases)
    found = {key: counts for key, counts in reports.pending_by_age(session, county, utcnow())}
    assert {key: sum(counts) for key, counts in found.items()} == dict(expected)
    assert found["mistaken_deletion"][0] >= 1  # started just now: the youngest bucket

    rows = _sheet(login_as("nanming-county").get("/reports/export/pending"))
    assert rows[0][:2] == ["业务类型", "在办合计"]
    assert sum(row[1] for row in rows[1:]) == len(open_cases)


def test_the_tick_recounts_when_the_figures_are_old(session, user):
    now = utcnow()
    assert periodic.tick(session, now, report_minutes=60).reports  # none yet: counted
    assert not periodic.tick(session, now + timedelta(minutes=5), report_minutes=60).reports
    assert periodic.tick(session, now + timedelta(minutes=61), report_minutes=60).reports
    county = user("nanming-county").org
    assert reports.standard(session, county).total.get("students") == _expected(session, county)["在校生"]


def test_refresh_button_runs_a_job(session, login_as):
    client = login_as("guizhou-province")
    response = client.post("/reports/refresh")
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    assert reports.refreshed_at(session) is not None
    assert login_as("nanming-county").post("/reports/refresh").status_code == 403
