"""照片采集 (F-55, §3.10): JPEG only (by signature), < 60 KB, ≥ 154 × 189 px at 13:16 (±3 %), named
``<身份证件号>.jpg`` or ``<学校标识码>_<班号>_<姓名>.jpg`` for students without an ID number; one photo or a ZIP
of them, with a result per file."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.errors import DomainError
from models.jurisdiction import SCHOOL_WIDE_ROLES, students_visible_to
from models.org import Cohort, OrgUnit, School, SchoolClass
from models.photo import StudentPhoto
from models.settings import photo_collection_open
from models.student import Student, StudentStatus, has_id_number
from models.user import User

MAX_BYTES = 61_440  # "< 60K" read as 60 KiB
MIN_WIDTH, MIN_HEIGHT = 154, 189  # 26 × 32 mm at 150 dpi
ASPECT, TOLERANCE = 13 / 16, 0.03
MAX_FILES = 5000
SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


@dataclass(frozen=True)
class FileResult:
    filename: str
    ok: bool
    message: str


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the JPEG frame header; None when the bytes are not a JPEG."""
    if not data.startswith(b"\xff\xd8"):
        return None
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker in SOF_MARKERS:
            return int.from_bytes(data[i + 7 : i + 9], "big"), int.from_bytes(data[i + 5 : i + 7], "big")
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return None


def check_photo(data: bytes) -> tuple[int, int]:
    """§3.10 rules; raises ``DomainError`` with the reason."""
    size = jpeg_size(data)
    if size is None:
        raise DomainError("照片须为JPG格式")
    if len(data) >= MAX_BYTES:
        raise DomainError(f"照片文件应小于60K（实际{len(data) // 1024}K）")
    width, height = size
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        raise DomainError(f"照片尺寸应不小于{MIN_WIDTH}×{MIN_HEIGHT}像素（实际{width}×{height}）")
    if abs(width / height - ASPECT) > ASPECT * TOLERANCE:
        raise DomainError(f"照片宽高比应为13:16（26mm×32mm），实际{width}×{height}")
    return width, height


def find_student(session: Session, school: School, filename: str) -> Student:
    """Match a file name to a student of the school by the naming rules of §3.10."""
    stem, suffix = PurePosixPath(filename).stem.strip(), PurePosixPath(filename).suffix.lower()
    if suffix not in (".jpg", ".jpeg"):
        raise DomainError("文件名应以.jpg结尾")
    alive = (Student.school_id == school.org_id, Student.status != StudentStatus.DELETED)
    if "_" not in stem:
        student = session.scalar(select(Student).where(has_id_number(stem), *alive))
        if student is None:
            raise DomainError(f"本校没有身份证件号为{stem}的学生")
        return student
    parts = stem.split("_", 2)
    if len(parts) != 3 or parts[0] != school.school_code:
        raise DomainError("无身份证件号学生的照片应命名为“学校标识码_班号_姓名.jpg”，且学校标识码为本校")
    _, class_no, name = parts
    student = session.scalar(
        select(Student)
        .join(SchoolClass, SchoolClass.id == Student.class_id)
        .join(Cohort, Cohort.id == SchoolClass.cohort_id)
        .where(SchoolClass.class_no == class_no, Student.name == name, Student.id_doc_number.is_(None), *alive)
    )
    if student is None:
        raise DomainError(f"本校{class_no}班没有名为{name}的无身份证件号学生")
    return student


def save_one(session: Session, actor: User, school: School, filename: str, data: bytes) -> FileResult:
    try:
        student = find_student(session, school, filename)
        if not actor.roles & SCHOOL_WIDE_ROLES and not _in_own_class(session, actor, student):
            raise DomainError(f"班主任只能上传本班学生的照片（{student.name}不在您的班级）")  # F-05
        width, height = check_photo(data)
    except DomainError as err:
        return FileResult(filename, False, err.message)
    photo = session.get(StudentPhoto, student.id) or StudentPhoto(student_id=student.id)
    photo.data, photo.width, photo.height, photo.uploaded_by_id = data, width, height, actor.id
    session.add(photo)
    return FileResult(filename, True, f"已匹配{student.name}")


def _in_own_class(session: Session, actor: User, student: Student) -> bool:
    """Whether a homeroom teacher sees ``student`` (a student of one of the teacher's classes)."""
    visible = students_visible_to(actor).where(Student.id == student.id).with_only_columns(Student.id)
    return session.scalar(visible) is not None


def upload(session: Session, *, actor: User, filename: str, data: bytes) -> list[FileResult]:
    """One JPEG, or a ZIP whose paths follow the naming rules; per-file results, matched photos stored."""
    school = session.get(School, actor.org_id)
    if school is None:
        raise DomainError("只有学校用户可以上传照片")
    if not photo_collection_open(session, session.get_one(OrgUnit, actor.org_id)):
        raise DomainError("照片采集已关闭")
    if not filename.lower().endswith(".zip"):
        return [save_one(session, actor, school, PurePosixPath(filename).name, data)]
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise DomainError("不是有效的ZIP文件") from exc
    members = [m for m in archive.infolist() if not m.is_dir()][:MAX_FILES]
    results = []
    for member in members:
        name = PurePosixPath(member.filename).name
        if member.file_size >= MAX_BYTES:
            results.append(FileResult(member.filename, False, "照片文件应小于60K"))
            continue
        results.append(save_one(session, actor, school, name, archive.read(member)))
    return results
