"""数据质量核查 (F-58): a county opens a campaign; each school sees its list; a fix through an existing flow (the
photo upload page) takes the record off the list; the dashboard's numbers equal counts made here independently."""

from __future__ import annotations

import io
from datetime import date, timedelta

from sqlalchemy import select

from models.audit import AuditEvent
from models.org import OrgUnit
from models.photo import StudentPhoto
from models.quality import QualityCampaign, progress, school_list
from models.student import Guardian, Student, StudentStatus
from tests.test_photos import jpeg

COUNTY, SCHOOL = "nanming-county", "nanming-xx-registrar"


def needs_fixing(session, student: Student) -> bool:
    """The F-58 checks, written out on the ORM objects (not the SQL of models/quality.py)."""
    guardians = len(session.scalars(select(Guardian.id).where(Guardian.student_id == student.id)).all())
    missing = student.class_id is None or not student.hukou_code or not student.birthplace_code or guardians < 2
    invalid = student.id_doc_type == "1" and len(student.id_doc_number or "") not in (0, 18)
    no_photo = session.get(StudentPhoto, student.id) is None
    return missing or invalid or no_photo or not student.id_doc_number or student.problem_type is not None


def expected_by_school(session, county_id: int) -> dict[int, int]:
    county = session.get_one(OrgUnit, county_id)
    counts: dict[int, int] = {}
    students = session.scalars(select(Student).where(Student.status == StudentStatus.IN_SCHOOL)).all()
    for student in students:
        if student.school.path.startswith(county.path) and needs_fixing(session, student):
            counts[student.school_id] = counts.get(student.school_id, 0) + 1
    return counts


def open_campaign(client, scope_id: int, **extra):
    deadline = (date.today() + timedelta(days=30)).isoformat()
    data = {"title": "2026年秋季数据质量核查", "scope_id": str(scope_id), "deadline": deadline, **extra}
    return client.post("/quality/", data=data)


def test_campaign_lists_fixes_and_tracks_progress(login_as, session, user, student_of):
    county = user(COUNTY)
    school_id = user(SCHOOL).org_id
    # The demo's records lack the birthplace and hukou codes; this one is complete but for its photo.
    complete = student_of(SCHOOL)
    complete.birthplace_code = complete.hukou_code = "520102000000"
    pupil = session.scalars(
        select(Student).where(Student.school_id == school_id, Student.id != complete.id).limit(1)
    ).one()
    pupil.problem_type = "1"  # an open problem record
    session.flush()
    response = open_campaign(login_as(COUNTY), county.org_id)
    assert response.status_code == 302
    campaign = session.scalars(select(QualityCampaign)).one()
    expected = expected_by_school(session, county.org_id)
    assert expected.get(school_id, 0) > 0
    rows = progress(session, campaign, county.org)
    assert {r.org_id: (r.found, r.left) for r in rows} == {s: (n, n) for s, n in expected.items()}
    dashboard = login_as(COUNTY).get(f"/quality/{campaign.id}").get_data(as_text=True)
    assert "南明第一小学" in dashboard and f'data-testid="left-{school_id}">{expected[school_id]}<' in dashboard

    school = login_as(SCHOOL)
    page = school.get(f"/quality/{campaign.id}").get_data(as_text=True)
    assert f'data-testid="quality-left">{expected[school_id]}<' in page and "问题学籍" in page
    listed = dict(school_list(session, school_id))
    assert listed[complete] == ["无照片"] and "问题学籍" in listed[pupil]
    only_photo = complete
    upload = {"file": (io.BytesIO(jpeg()), f"{only_photo.id_doc_number}.jpg")}
    assert school.post("/registration/photos", data=upload, content_type="multipart/form-data").status_code == 200
    session.expire_all()
    assert session.get(StudentPhoto, only_photo.id) is not None
    [mine] = [r for r in progress(session, campaign, county.org) if r.org_id == school_id]
    assert (mine.found, mine.left, mine.fixed) == (expected[school_id], expected[school_id] - 1, 1)
    assert only_photo.id not in {s.id for s, _ in school_list(session, school_id)}
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "开启数据质量核查")).one()


def test_scope_deadline_and_jurisdiction(login_as, session, user):
    county = user(COUNTY)
    client = login_as(COUNTY)
    past = open_campaign(client, county.org_id, deadline="2020-01-01")
    assert past.status_code == 422 and "截止日期不能早于今天" in past.get_data(as_text=True)
    other = user("yunyan-county").org_id
    assert "请选择核查范围" in open_campaign(client, other).get_data(as_text=True)
    assert session.scalars(select(QualityCampaign)).all() == []
    open_campaign(client, county.org_id)
    campaign = session.scalars(select(QualityCampaign)).one()
    assert login_as("yunyan-county").get(f"/quality/{campaign.id}").status_code == 404
    assert login_as("yunyan-xx-registrar").get(f"/quality/{campaign.id}").status_code == 404
    city = login_as("guiyang-city")
    assert city.get(f"/quality/{campaign.id}").status_code == 200  # the city follows its county's campaign
    assert city.get(f"/quality/{campaign.id}?org={other}").status_code == 404  # but not outside its scope
    assert city.post(f"/quality/{campaign.id}/close").status_code == 302
    session.expire_all()
    assert session.get(QualityCampaign, campaign.id).closed_at is None  # only the opener closes it
    login_as(COUNTY).post(f"/quality/{campaign.id}/close")
    session.expire_all()
    assert session.get(QualityCampaign, campaign.id).closed_at is not None
