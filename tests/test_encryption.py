"""Encryption at rest (issue 22 item 1): the student and family tables read raw hold no plain ID number, phone
number or address; 查重, search by ID number, the province look-up, photo matching and the import still find a
student by ID number, before and after a key rotation (to SM4-GCM); SM4 round-trips; tampering is refused."""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import insert, select, text

from handlers import photos
from handlers import registration as reg
from handlers import student_import as imp
from jobs import keys
from models import bulk, crypto, dedup, key_rotation, numbers, quality
from models.base import utcnow
from models.job import Job, JobState
from models.jurisdiction import lookup_in_province, registered_in_province
from models.org import School
from models.regional import RegionalOverride
from models.student import Guardian, Student, StudentStatus, has_id_number, has_national_id
from tests.test_student_import import xlsx
from webapp.demo_rows import valid_row

SCHOOL = "nanming-xx-registrar"
ID_NUMBER = re.compile(r"\d{17}[\dX]")
PHONE = re.compile(r"1\d{10}")


def raw_rows(session, table: str) -> list[tuple]:
    """Every column of every row as stored, the 学籍号 included (a G number is "G" + the ID number, §3.6)."""
    rows = session.execute(text(f"SELECT * FROM {table}"))  # noqa: S608 -- a fixed table name
    return [tuple(row) for row in rows]


def id_numbers(session) -> set[str]:
    """The ID numbers the student and family tables hold, read through the model."""
    students = session.scalars(select(Student.id_doc_number)).all()
    return {n for n in [*students, *session.scalars(select(Guardian.id_doc_number))] if n and ID_NUMBER.fullmatch(n)}


def plain_in(rows: list[tuple], pattern: re.Pattern[str] | set[str]) -> list[str]:
    """The stored values holding ``pattern``, or (a set) any of these values: the known ID numbers, since a blind
    index's hex digits may by chance run to 18 digits and match the pattern of one."""
    if isinstance(pattern, set):
        return [str(v) for row in rows for v in row if v is not None and any(p in str(v) for p in pattern)]
    return [str(v) for row in rows for v in row if v is not None and pattern.search(str(v))]


@pytest.fixture
def rotated() -> Iterator[crypto.Keyring]:
    """The keys in force plus a new SM4 version made current (as `rotate-key --new-key --cipher sm4-gcm`
    does); the old keyring comes back afterwards."""
    before = crypto.keyring_in_force()
    sm4 = crypto.DataKey("v9", "sm4-gcm", os.urandom(16))
    keyring = crypto.install(keyring=replace(before, keys={**before.keys, "v9": sm4}, current="v9"))
    yield keyring
    crypto.install(keyring=before)
    crypto.install(None)  # back to the provider of the environment (the key file)


def test_a_raw_read_of_the_student_and_family_tables_finds_no_plain_id_number_phone_or_address(
    session, user, student_of
):
    student = student_of(SCHOOL)
    student.profile = {**student.profile, "home_address": "贵州省贵阳市南明区机密路1号", "left_behind": "否"}
    student.national_student_id = numbers.g_number(student.id_doc_number or "")  # "G" + the ID number (§3.6)
    session.flush()
    imp.commit(session, actor=user(SCHOOL), data=xlsx([valid_row(3)]), business_type="新生注册", now=utcnow())
    session.flush()
    session.flush()
    students, members = raw_rows(session, "student"), raw_rows(session, "guardian")
    assert students and members
    known = id_numbers(session)
    assert known and plain_in(students, known) == []
    assert plain_in(members, known) == [] and plain_in(members, PHONE) == []
    assert not [row for row in students if "机密路" in str(row) or "花果园" in str(row)]
    # Each value carries its key version; the profile keys that are not personal stay readable by SQL.
    stored = session.execute(text("SELECT id_doc_number, profile FROM student WHERE id = :id"), {"id": student.id})
    number, profile = stored.one()
    assert number.startswith(crypto.keyring_in_force().current + ":")
    profile = json.loads(profile) if isinstance(profile, str) else profile  # SQLite: text; PostgreSQL: JSON
    assert profile["left_behind"] == "否" and profile["home_address"].startswith("v")
    # Read through the model, everything is as it was written.
    session.expire_all()
    again = session.get_one(Student, student.id)
    assert ID_NUMBER.fullmatch(again.id_doc_number) and again.profile["home_address"] == "贵州省贵阳市南明区机密路1号"
    assert all(PHONE.fullmatch(g.phone) or g.phone for g in again.guardians)


def test_a_core_insert_encrypts_and_indexes_as_the_orm_does(session, student_of):
    model = student_of(SCHOOL)
    columns = ("name", "sex", "birth_date", "ethnicity", "id_doc_type", "school_id")
    row = {c: getattr(model, c) for c in columns} | {
        "id_doc_number": "52010220150101001X",
        "profile": {"phone": "13900000000"},
    }
    new_id = session.execute(insert(Student).returning(Student.id), [row]).scalar_one()
    raw = session.execute(
        text("SELECT id_doc_number, id_doc_index, profile FROM student WHERE id = :id"), {"id": new_id}
    )
    number, index, profile = raw.one()
    assert "52010220150101001X" not in number and "13900000000" not in profile
    assert index == crypto.id_index("52010220150101001x ")  # normalised: case and spaces
    assert session.scalar(select(Student.id).where(has_id_number("52010220150101001X"))) == new_id


def find_everywhere(session, user, student: Student) -> None:
    """Every look-up by ID number finds the student."""
    number = student.id_doc_number
    assert dedup.find(session, [number])[number] == [student.id]
    assert session.scalars(registered_in_province(user(SCHOOL), student.name, number.lower())).one().id == student.id
    school = session.scalars(select(School).where(School.org_id == student.school_id)).one()
    assert photos.find_student(session, school, f"{number}.jpg").id == student.id


def test_lookups_by_id_number_go_through_the_blind_index(session, user, student_of, login_as):
    student = student_of(SCHOOL)
    find_everywhere(session, user, student)
    page = login_as(SCHOOL).get("/students/", query_string={"q": student.id_doc_number}).get_data(as_text=True)
    assert f"/students/{student.id}" in page
    assert session.scalar(select(Student.id).where(has_id_number(""))) is None  # an empty number matches nothing


def test_after_rotation_every_value_is_under_the_new_key_and_still_found(session, user, student_of, rotated):
    student, elsewhere = student_of(SCHOOL), student_of("yunyan-xx-registrar")
    done = key_rotation.rotate(session, batch=500)
    assert done.version == "v9" and done.rows >= session.scalar(select(text("count(*)")).select_from(Student))
    numbers = session.scalars(text("SELECT id_doc_number FROM student WHERE id_doc_number <> ''")).all()
    assert numbers and all(n.startswith("v9:") for n in numbers)
    phones = session.scalars(text("SELECT phone FROM guardian WHERE phone <> ''")).all()
    assert phones and all(p.startswith("v9:") for p in phones)
    session.expire_all()
    find_everywhere(session, user, session.get_one(Student, student.id))
    # The import matches a row to the rotated record by ID number (查重 → 问题学籍).
    elsewhere = session.get_one(Student, elsewhere.id)
    row = valid_row(5, id_doc_number=elsewhere.id_doc_number, birth_date=f"{elsewhere.birth_date:%Y%m%d}")
    row["sex"] = elsewhere.sex_label
    report, committed = imp.commit(
        session, actor=user(SCHOOL), data=xlsx([row]), business_type="新生注册", now=utcnow()
    )
    assert report.ok and [other for _, other in committed.problems] == [elsewhere.id]
    # A second run finds nothing left to do.
    assert key_rotation.rotate(session).rows == 0


def test_the_import_finds_its_duplicate_after_encryption(session, user, student_of):
    existing = student_of("yunyan-xx-registrar")
    row = valid_row(5, id_doc_number=existing.id_doc_number, birth_date=f"{existing.birth_date:%Y%m%d}")
    row["sex"] = existing.sex_label
    _, committed = imp.commit(session, actor=user(SCHOOL), data=xlsx([row]), business_type="新生注册", now=utcnow())
    assert [other for _, other in committed.problems] == [existing.id]
    new = session.get_one(Student, committed.student_ids[0])
    assert new.id_doc_index == existing.id_doc_index and new.guardians[0].phone == row["m1_phone"]


def test_sm4_and_aes_round_trip_and_refuse_tampering():
    index_key = os.urandom(32)
    for key in (crypto.DataKey("v1", "sm4-gcm", os.urandom(16)), crypto.DataKey("v1", "aes-gcm", os.urandom(32))):
        keyring = crypto.Keyring({"v1": key}, "v1", index_key)
        sealed = keyring.encrypt("贵州省贵阳市南明区花果园1号")
        assert sealed.startswith("v1:") and keyring.decrypt(sealed) == "贵州省贵阳市南明区花果园1号"
        assert keyring.encrypt("13800000000") != keyring.encrypt("13800000000")  # a fresh nonce each time
        body = bytearray(base64.b64decode(sealed[3:]))
        body[-1] ^= 1
        with pytest.raises(crypto.SealBroken):
            keyring.decrypt("v1:" + base64.b64encode(bytes(body)).decode())
    with pytest.raises(ValueError, match="16"):
        crypto.Keyring({"v1": crypto.DataKey("v1", "sm4-gcm", os.urandom(32))}, "v1", index_key)


def test_a_wrong_length_id_number_is_still_flagged_by_the_quality_check(session, student_of):
    student = student_of(SCHOOL)
    student.id_doc_number = student.id_doc_number[:17]
    session.flush()
    [(flagged, labels)] = [
        (s, labels) for s, labels in quality.school_list(session, student.school_id) if s.id == student.id
    ]
    assert "身份证件号不合规" in labels
    others = [s for s, labels in quality.school_list(session, student.school_id) if "身份证件号不合规" in labels]
    assert [s.id for s in others] == [student.id]
    assert flagged.status == StudentStatus.IN_SCHOOL


def test_a_member_without_phone_or_id_keeps_empty_values_readable(session, student_of):
    member = student_of(SCHOOL).guardians[1]
    member.phone, member.id_doc_number = "", None
    session.flush()
    raw = session.execute(text("SELECT phone, id_doc_number FROM guardian WHERE id = :id"), {"id": member.id}).one()
    assert tuple(raw) == ("", None)
    assert session.scalar(select(Guardian.id).where(Guardian.id == member.id, Guardian.id_doc_number.is_(None)))


@pytest.fixture
def own_key_file(tmp_path, monkeypatch) -> Iterator[crypto.FileKeyProvider]:
    """A copy of the key file in force, named by XUEJI_DATA_KEY_FILE (the command adds versions to it)."""
    source = crypto.default_provider(os.environ)
    assert isinstance(source, crypto.FileKeyProvider)
    copy = tmp_path / "data_keys.json"
    copy.write_text(source.path.read_text())
    monkeypatch.setenv("XUEJI_DATA_KEY_FILE", str(copy))
    provider = crypto.FileKeyProvider(copy)
    crypto.install(provider)
    yield provider
    monkeypatch.undo()
    crypto.install(None)


def test_the_rotate_key_command_adds_an_sm4_version_and_re_encrypts(app, session, user, student_of, own_key_file):
    student = student_of(SCHOOL)
    result = app.test_cli_runner().invoke(args=["xueji", "rotate-key", "--new-key", "--cipher", "sm4-gcm"])
    assert result.exit_code == 0, result.output
    assert "已生成密钥版本 v2" in result.output and "已用密钥版本 v2 重新加密" in result.output
    data = json.loads(own_key_file.path.read_text())
    assert data["current"] == "v2" and data["keys"]["v2"]["cipher"] == "sm4-gcm" and "v1" in data["keys"]
    stored = session.scalar(text("SELECT id_doc_number FROM student WHERE id = :id"), {"id": student.id})
    assert stored.startswith("v2:")
    session.expire_all()
    find_everywhere(session, user, session.get_one(Student, student.id))


def test_the_rotation_job_runs_through_the_jobs_framework(app, session, rotated):
    result = app.test_cli_runner().invoke(args=["xueji", "rotate-key", "--background"])
    assert result.exit_code == 0, result.output
    job = session.scalars(select(Job).where(Job.kind == keys.ROTATE)).one()
    assert job.state == JobState.DONE and job.result["version"] == "v9" and job.result["rows"] > 0
    assert session.scalar(text("SELECT count(*) FROM guardian WHERE phone NOT LIKE 'v9:%' AND phone <> ''")) == 0


def g_numbered(session, student: Student) -> str:
    student.national_student_id = numbers.g_number(student.id_doc_number or "")
    session.flush()
    return student.national_student_id


def test_the_national_number_is_sealed_and_found_by_its_blind_index(session, user, student_of, login_as):
    """A G number ("G" + the ID number) is stored sealed with its index and plain kind; search by 学籍号, the
    province look-up of a cross-province transfer and the 学籍号 of a regional override still find it."""
    student = student_of(SCHOOL)
    number = g_numbered(session, student)
    stored, index, kind = session.execute(
        text("SELECT national_student_id, national_id_index, national_id_kind FROM student WHERE id = :id"),
        {"id": student.id},
    ).one()
    assert student.id_doc_number not in stored and stored.startswith(crypto.keyring_in_force().current + ":")
    assert (index, kind) == (crypto.id_index(number), "G")
    assert session.scalar(select(Student.id).where(has_national_id(number.lower() + " "))) == student.id
    assert session.scalar(select(Student.id).where(has_national_id(""))) is None
    page = login_as(SCHOOL).get("/students/", query_string={"q": number.lower()}).get_data(as_text=True)
    assert f"/students/{student.id}" in page
    found = lookup_in_province(session, user(SCHOOL), number.lower(), student.name)
    assert found is not None and found.student_id == student.id
    session.add(
        RegionalOverride(
            rule="quota", national_student_id=number, to_school_id=student.school_id, reason="特批",
            granted_by_id=user(SCHOOL).id,
        )
    )  # fmt: skip
    session.flush()
    raw = session.execute(text("SELECT national_student_id, national_id_index FROM regional_override")).all()
    assert raw and all(student.id_doc_number not in r.national_student_id for r in raw)
    assert session.scalar(
        select(RegionalOverride.id).where(has_national_id(number, RegionalOverride.national_id_index))
    )


def test_a_core_insert_and_copy_fill_the_national_number_index_and_kind(session, student_of):
    model = student_of(SCHOOL)
    columns = ("name", "sex", "birth_date", "ethnicity", "id_doc_type", "school_id")
    row = {c: getattr(model, c) for c in columns} | {
        "id_doc_number": None,
        "national_student_id": "J520102201501010011",
    }
    session.execute(insert(Student), [row])
    copied = {"status": StudentStatus.IN_SCHOOL, "created_at": utcnow(), "profile": {}}  # COPY: no Python defaults
    bulk.insert_rows(session, Student.__table__, [row | copied | {"national_student_id": "L52010220150101999"}])
    raw = session.execute(
        text("SELECT national_student_id, national_id_index, national_id_kind FROM student WHERE id_doc_number IS NULL")
    ).all()
    by_kind = {r.national_id_kind: r for r in raw if r.national_id_kind in {"J", "L"}}
    assert by_kind["J"].national_id_index == crypto.id_index("J520102201501010011")
    assert by_kind["L"].national_id_index == crypto.id_index("L52010220150101999")
    assert not any(r.national_student_id.startswith(("J5", "L5")) for r in raw)


def test_g_l_and_j_numbers_are_issued_and_checked_through_the_index(session, user, student_of):
    student = student_of(SCHOOL)
    l_number = numbers.new_l_number(session, "520102", student.birth_date)
    student.national_student_id = l_number
    session.flush()
    assert numbers.taken(session, l_number) and not numbers.taken(session, "L" + "0" * 18)
    # 发放正式学籍号 picks the L records by their plain kind and checks the G number is free by its index.
    assert reg.issue_g_numbers(session, actor=user("national")) >= 1
    session.flush()
    session.expire_all()
    student = session.get_one(Student, student.id)
    assert student.national_student_id == "G" + (student.id_doc_number or "")
    assert session.scalar(select(Student.national_id_kind).where(Student.id == student.id)) == "G"
    # J numbers follow their counter per (area, birth date), skipping a number already taken.
    first = numbers.new_j_number(session, "520102", student.birth_date)
    session.get_one(Student, student_of("yunyan-xx-registrar").id).national_student_id = numbers.new_j_number(
        session, "520102", student.birth_date
    )
    session.flush()
    third = numbers.new_j_number(session, "520102", student.birth_date)
    assert [int(first[15:18]), int(third[15:18])] == [1, 3] and first[:15] == third[:15]
