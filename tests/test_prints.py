"""Prints: the 学籍卡片 and the 学生花名册 are A4 PDFs that open and contain the student's name; a homeroom teacher
prints only the own class; the whole school's rosters are a job whose PDF is downloaded from the job page."""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfReader
from sqlalchemy import select

from models.access_log import AccessLog
from models.job import Job, JobState
from models.org import Cohort, SchoolClass
from models.student import Student, StudentStatus

A4_POINTS = (595, 842)


def _pdf(response) -> PdfReader:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(BytesIO(response.data))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == A4_POINTS
    return reader


def _text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def test_record_card_contains_the_student(session, login_as, student_of):
    pupil = student_of("nanming-xx-registrar")
    client = login_as("nanming-xx-registrar")
    assert f"/prints/students/{pupil.id}/card.pdf" in client.get(f"/students/{pupil.id}").text
    text = _text(_pdf(client.get(f"/prints/students/{pupil.id}/card.pdf")))
    assert "学籍卡片" in text and pupil.name in text and pupil.national_student_id in text
    logged = session.scalars(select(AccessLog).where(AccessLog.page == "学籍卡片打印")).all()
    assert [row.student_id for row in logged] == [pupil.id]
    assert login_as("yunyan-xx-registrar").get(f"/prints/students/{pupil.id}/card.pdf").status_code == 404


def test_class_roster_lists_every_student_of_the_class(session, login_as, student_of):
    pupil = student_of("nanming-xx-registrar")
    klass = session.get(SchoolClass, pupil.class_id)
    names = session.scalars(
        select(Student.name).where(Student.class_id == klass.id, Student.status == StudentStatus.IN_SCHOOL)
    ).all()
    client = login_as("nanming-xx-registrar")
    assert f"/prints/classes/{klass.id}/roster.pdf" in client.get("/prints/").text
    text = _text(_pdf(client.get(f"/prints/classes/{klass.id}/roster.pdf")))
    assert "学生花名册" in text and f"共 {len(names)} 人" in text
    for name in names:
        assert name in text


def test_a_homeroom_teacher_prints_the_own_class_only(session, login_as, user):
    teacher = user("nanming-xx-teacher")
    classes = session.scalars(
        select(SchoolClass).join(Cohort).where(Cohort.school_id == teacher.org_id).order_by(SchoolClass.id)
    ).all()
    own = next(k for k in classes if k.homeroom_teacher_id == teacher.id)
    other = next(k for k in classes if k.homeroom_teacher_id != teacher.id)
    client = login_as("nanming-xx-teacher")
    _pdf(client.get(f"/prints/classes/{own.id}/roster.pdf"))
    assert client.get(f"/prints/classes/{other.id}/roster.pdf").status_code == 404


def test_whole_school_rosters_as_a_job(session, login_as, user):
    registrar = user("nanming-xx-registrar")
    names = session.scalars(
        select(Student.name).where(
            Student.school_id == registrar.org_id,
            Student.status == StudentStatus.IN_SCHOOL,
            Student.class_id.is_not(None),
        )
    ).all()
    client = login_as("nanming-xx-registrar")
    started = client.post("/prints/school", data={"what": "roster"})
    assert started.status_code == 302
    job = session.scalars(select(Job).where(Job.kind == "prints.school")).one()
    assert job.state == JobState.DONE and job.result["students"] == len(names)
    assert f"/prints/jobs/{job.id}.pdf" in client.get(f"/jobs/{job.id}").text
    text = _text(_pdf(client.get(f"/prints/jobs/{job.id}.pdf")))
    for name in names:
        assert name in text
    assert login_as("yunyan-xx-registrar").get(f"/prints/jobs/{job.id}.pdf").status_code == 404


def test_whole_school_cards_as_a_job(session, login_as, user):
    registrar = user("nanming-xx-registrar")
    count = len(
        session.scalars(
            select(Student.id).where(Student.school_id == registrar.org_id, Student.status == StudentStatus.IN_SCHOOL)
        ).all()
    )
    client = login_as("nanming-xx-registrar")
    client.post("/prints/school", data={"what": "cards"})
    job = session.scalars(select(Job).where(Job.kind == "prints.school")).one()
    reader = _pdf(client.get(f"/prints/jobs/{job.id}.pdf"))
    assert _text(reader).count("学籍卡片") >= count
    assert client.post("/prints/school", data={"what": "nonsense"}).status_code == 400
