"""Retention (issue 22 item 7): records whose pupil left more than the configured years ago are anonymised; a dry
run lists them and changes nothing; the rest of the registry is untouched."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select, text

from handlers import retention
from models.audit import AuditEvent
from models.student import Guardian, Student

LATER = datetime(2040, 9, 1, tzinfo=UTC)  # 13 years after the graduates fixture's July 2027


def raw(session, student_id):
    """The stored values, read past the ORM as anyone with database access would."""
    student = session.execute(
        text("SELECT name, id_doc_number, national_student_id, birth_date FROM student WHERE id = :id"),
        {"id": student_id},
    ).one()
    members = session.execute(
        text("SELECT name, phone, id_doc_number FROM guardian WHERE student_id = :id"), {"id": student_id}
    ).all()
    return student, members


def test_a_dry_run_lists_and_the_job_anonymises_records_past_retention(session, graduates, student_of, app):
    pupil, other = graduates[0], student_of("nanming-xx-registrar")
    name, number = pupil.name, pupil.id_doc_number
    assert retention.due(session, LATER.date(), 20) == []  # 13 years: not yet past a 20-year period
    dry = retention.run(session, LATER, 10, dry_run=True)
    assert {d.student_id for d in dry} == {g.id for g in graduates}
    assert dry[0].left_on == date(2027, 7, 1)
    session.expire_all()
    assert session.get(Student, pupil.id).name == name  # the dry run changed nothing

    done = retention.run(session, LATER, 10, dry_run=False)
    session.commit()
    assert len(done) == len(graduates)
    stored, members = raw(session, pupil.id)
    assert stored[0] == "已匿名" and stored[1] is None and stored[2] is None
    assert str(stored[3]).startswith(f"{pupil.birth_date.year}-01-01")
    assert all(m[0] == "已匿名" and m[1] == "" and m[2] is None for m in members) and len(members) == 2
    dump = " ".join(str(v) for v in (*stored, *[c for m in members for c in m]))
    assert number not in dump and name not in dump
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "student.anonymise", AuditEvent.entity_id == pupil.id)
    ).one()
    assert number not in str(event.after) and "id_doc_number" in event.after["fields"]
    # Pupils still at school keep everything; a second run finds nothing more.
    session.expire_all()
    assert session.get(Student, other.id).name == other.name and other.id_doc_number
    assert session.scalars(select(Guardian).where(Guardian.student_id == other.id)).first().name != "已匿名"
    assert retention.run(session, LATER, 10, dry_run=False) == []


def test_the_command_dry_run_prints_what_it_would_touch(app, graduates, session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["xueji", "retention", "--dry-run", "--years", "0"])
    assert result.exit_code != 0 and "保存年限" in result.output
    result = runner.invoke(args=["xueji", "retention", "--dry-run", "--years", "1"])
    # The real clock is before the fixture's graduation + 1 year only until July 2028; either way nothing changes.
    assert result.exit_code == 0 and "试运行" in result.output
    session.expire_all()
    assert all(session.get(Student, g.id).anonymised_at is None for g in graduates)
