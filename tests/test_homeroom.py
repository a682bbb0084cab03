"""班主任 (F-05): a homeroom teacher sees and edits only the students of the classes it leads: another class's
student is 404 by id, on its page and on every route that changes it, and its photo cannot be replaced."""

from __future__ import annotations

import io

from sqlalchemy import select

from models.org import SchoolClass
from models.photo import StudentPhoto
from models.student import Student, StudentStatus
from tests.test_photos import jpeg

TEACHER = "nanming-xx-teacher"


def students_in_and_out(session, teacher):
    own = set(session.scalars(select(SchoolClass.id).where(SchoolClass.homeroom_teacher_id == teacher.id)))
    pupils = session.scalars(
        select(Student).where(
            Student.school_id == teacher.org_id,
            Student.status == StudentStatus.IN_SCHOOL,
            Student.id_doc_number.is_not(None),
        )
    ).all()
    mine = next(s for s in pupils if s.class_id in own)
    other = next(s for s in pupils if s.class_id not in own)
    return mine, other


def test_another_class_is_not_there_for_the_teacher(login_as, session, user):
    mine, other = students_in_and_out(session, user(TEACHER))
    client = login_as(TEACHER)
    assert client.get(f"/students/{mine.id}").status_code == 200
    for url in (f"/students/{other.id}", f"/students/{other.id}/start/key_data_change"):
        assert client.get(url).status_code == 404
    assert client.post(f"/students/{other.id}/start/key_data_change", data={}).status_code == 404
    assert client.post(f"/students/{other.id}/class", data={"class_id": str(mine.class_id)}).status_code in (403, 404)
    session.expire_all()
    assert session.get(Student, other.id).class_id == other.class_id


def test_teacher_uploads_photos_of_own_class_only(login_as, session, user):
    mine, other = students_in_and_out(session, user(TEACHER))
    client = login_as(TEACHER)
    for pupil in (mine, other):
        upload = {"file": (io.BytesIO(jpeg()), f"{pupil.id_doc_number}.jpg")}
        page = client.post("/registration/photos", data=upload, content_type="multipart/form-data")
        assert page.status_code == 200
    assert "班主任只能上传本班学生的照片" in page.get_data(as_text=True)
    session.expire_all()
    assert session.get(StudentPhoto, mine.id) is not None and session.get(StudentPhoto, other.id) is None
    registrar = login_as("nanming-xx-registrar")  # the registrar uploads for the whole school
    upload = {"file": (io.BytesIO(jpeg()), f"{other.id_doc_number}.jpg")}
    registrar.post("/registration/photos", data=upload, content_type="multipart/form-data")
    session.expire_all()
    assert session.get(StudentPhoto, other.id) is not None
