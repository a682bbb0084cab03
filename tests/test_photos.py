"""照片采集 (F-55, §3.10): format, size, dimensions, naming, ZIP batches with a result per file, collection control."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from handlers import photos
from handlers import registration as reg
from models.base import utcnow
from models.errors import DomainError
from models.photo import StudentPhoto
from models.settings import PhotoCollection
from webapp.demo_rows import SCHOOL_CODE, valid_row

SCHOOL = "nanming-xx-registrar"


def jpeg(width=260, height=320, size=20_000) -> bytes:
    """A JPEG header with a baseline frame of the given size, padded to ``size`` bytes."""
    app0 = b"\xff\xe0" + (16).to_bytes(2, "big") + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + (17).to_bytes(2, "big") + b"\x08" + height.to_bytes(2, "big") + width.to_bytes(2, "big")
    sof += b"\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    body = b"\xff\xd8" + app0 + sof
    return body + b"\x00" * (size - len(body) - 2) + b"\xff\xd9"


def zip_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (jpeg(size=70 * 1024), "小于60K"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "JPG格式"),
        (jpeg(100, 120), "不小于154×189"),
        (jpeg(300, 300), "13:16"),
    ],
)
def test_bad_photos_are_refused(data, message):
    with pytest.raises(DomainError, match=message):
        photos.check_photo(data)


def test_a_good_photo_passes():
    assert photos.check_photo(jpeg()) == (260, 320)


def test_zip_matches_by_id_number_and_by_school_class_name(session, user, student_of):
    with_id = student_of(SCHOOL)
    no_id = reg.register(
        session,
        actor=user(SCHOOL),
        raw=valid_row(11, id_doc_type="其他", id_doc_number=""),
        business_type="新生注册",
        now=utcnow(),
    )
    session.flush()
    data = zip_of(
        {
            f"一年级/101/{with_id.id_doc_number}.jpg": jpeg(),
            f"无身份证/{SCHOOL_CODE}_101_{no_id.name}.jpg": jpeg(),
            "一年级/101/110101200001011237.jpg": jpeg(),
            f"{SCHOOL_CODE}_101_{no_id.name}.png": jpeg(),
            "big.jpg": jpeg(size=70 * 1024),
        }
    )
    results = photos.upload(session, actor=user(SCHOOL), filename="photos.zip", data=data)
    assert [(r.ok, r.message) for r in results][:2] == [(True, f"已匹配{with_id.name}"), (True, f"已匹配{no_id.name}")]
    assert [r.ok for r in results][2:] == [False, False, False]
    assert "没有身份证件号为" in results[2].message and ".jpg" in results[3].message and "60K" in results[4].message
    stored = set(session.scalars(select(StudentPhoto.student_id)))
    assert {with_id.id, no_id.id} <= stored


def test_collection_can_be_closed_per_level(session, user):
    county = user("nanming-county").org
    session.add(PhotoCollection(org_id=county.id, closed=True))
    session.flush()
    with pytest.raises(DomainError, match="照片采集已关闭"):
        photos.upload(session, actor=user(SCHOOL), filename="a.jpg", data=jpeg())
    assert photos.upload(session, actor=user("yunyan-xx-registrar"), filename="x.jpg", data=jpeg())[0].ok is False


def test_photo_page_uploads_a_zip_and_shows_results(login_as, student_of):
    student = student_of(SCHOOL)
    client = login_as(SCHOOL)
    assert client.get("/registration/photos").status_code == 200
    data = {"file": (io.BytesIO(zip_of({f"{student.id_doc_number}.jpg": jpeg(), "x.txt": b"x"})), "p.zip")}
    page = client.post("/registration/photos", data=data, content_type="multipart/form-data").get_data(as_text=True)
    assert f"已匹配{student.name}" in page and "文件名应以.jpg结尾" in page


def test_a_county_closes_collection_from_its_page(login_as, student_of):
    county = login_as("nanming-county")
    assert county.post("/registration/photo-control", data={"closed": "1"}).status_code == 302
    assert "已关闭" in county.get("/registration/photo-control").get_data(as_text=True)
    school = login_as(SCHOOL)
    page = school.post(
        "/registration/photos", data={"file": (io.BytesIO(jpeg()), "a.jpg")}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    assert "照片采集已关闭" in page
