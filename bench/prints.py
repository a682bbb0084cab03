"""Benchmark of the prints: the 学生花名册 of a whole school of --students students (the batch print job's work:
read every class, lay out one PDF), one class's roster and one 学籍卡片 through the Flask app. Asserts nothing.

    python bench/prints.py --url postgresql+psycopg://postgres@127.0.0.1/xueji_prints [--students 3000]
    python bench/prints.py --url sqlite:////tmp/prints.sqlite3

The database named by --url is wiped.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pypdf import PdfReader  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.scale import PASSWORD, percentiles, timed  # noqa: E402
from handlers import prints  # noqa: E402
from models.bulk import insert_rows  # noqa: E402
from models.org import Cohort, SchoolClass  # noqa: E402
from models.student import Student, StudentStatus  # noqa: E402
from models.user import User  # noqa: E402
from webapp.demo_database import build_database  # noqa: E402

REGISTRAR = "nanming-xx-registrar"


def fill_school(session: Session, count: int) -> tuple[int, int, int]:
    """``count`` more students in the registrar's school, spread over its classes; (school, a class, a student)."""
    school_id = session.scalars(select(User.org_id).where(User.username == REGISTRAR)).one()
    classes = session.scalars(select(SchoolClass.id).join(Cohort).where(Cohort.school_id == school_id)).all()
    template = session.scalars(
        select(Student).where(Student.school_id == school_id, Student.status == StudentStatus.IN_SCHOOL)
    ).first()
    # Not the template's blind indexes and number kind: those follow each row's own numbers (computed on insert).
    derived = {c.name for c in Student.__table__.columns if {"blind_index_of", "kind_of"} & set(c.info)}
    columns = [c.name for c in Student.__table__.columns if c.name not in {"id", "updated_at", *derived}]
    base = {name: getattr(template, Student.__mapper__.get_property_by_column(Student.__table__.c[name]).key)
            for name in columns}  # fmt: skip
    rows = [
        {
            **base,
            "name": f"测试学生{n:04d}",
            "id_doc_number": None,
            "national_student_id": f"G9{n:017d}",
            "class_id": classes[n % len(classes)],
            "open_case_id": None,
        }
        for n in range(count)
    ]
    insert_rows(session, Student.__table__, rows)
    session.commit()
    return school_id, classes[0], template.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", default=os.environ.get("XUEJI_BENCH_DATABASE_URL", "sqlite:////tmp/xueji-prints.sqlite3")
    )
    parser.add_argument("--students", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to show the bench still runs")
    args = parser.parse_args()
    if args.smoke:
        args.students, args.runs = 60, 2
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"database: {args.url.split(':')[0]}")
    db = timed("demo world and diagrams", lambda: build_database(args.url, students=300))
    with Session(db) as session:
        school_id, class_id, student_id = timed(
            f"{args.students:,} students", lambda: fill_school(session, args.students)
        )
        on_roster = len(
            session.scalars(
                select(Student.id).where(Student.school_id == school_id, Student.status.in_(prints.ON_ROSTER))
            ).all()
        )
        begin = time.perf_counter()
        rosters = prints.school_rosters(session, school_id)
        read = time.perf_counter() - begin
        data = prints.pdf([prints.roster_story(r) for r in rosters], title="学生花名册", mark="bench")
        total = time.perf_counter() - begin
        pages = len(PdfReader(BytesIO(data)).pages)
        print(
            f"roster PDF of a school of {on_roster:,} students ({len(rosters)} classes): {total:.2f} s "
            f"(reading {read:.2f} s), {pages} pages, {len(data) // 1024} KB",
            flush=True,
        )
    from webapp import create_app

    app = create_app(
        {"DATABASE_URL": args.url, "WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": False, "SECRET_KEY": "b"}
    )
    client = app.test_client()
    client.post("/login", data={"username": REGISTRAR, "password": PASSWORD})
    for label, url in (("one class's roster", f"/prints/classes/{class_id}/roster.pdf"),
                       ("one record card", f"/prints/students/{student_id}/card.pdf")):  # fmt: skip
        assert client.get(url).status_code == 200
        p50, p95 = percentiles(lambda url=url: client.get(url), runs=args.runs)
        print(f"{label} through the app: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    db.dispose()


if __name__ == "__main__":
    main()
