"""Benchmark of the statistics page (F-57, issue 14): a province of --students students, then prints the time of
the recount (the periodic tick's refresh of report_count) and of the province's and a county's statistics page
through the Flask app. Asserts nothing.

    python bench/reports.py --url postgresql+psycopg://postgres@127.0.0.1/xueji_reports [--students 5000000]

The database named by --url is wiped. Students are built by ``INSERT … SELECT … generate_series`` (bench/scale.py)
with varied sexes, ethnicities, hukou types, left-behind and migrant flags, subsidies and disabilities.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.scale import PASSWORD, fill_students, percentiles, timed  # noqa: E402
from models import reports  # noqa: E402
from models.user import User  # noqa: E402
from webapp.db import make_engine  # noqa: E402
from webapp.demo_database import build_database  # noqa: E402

VARIED = {
    "sex": "CASE WHEN g % 2 = 0 THEN '1' ELSE '2' END",
    "ethnicity": "CASE WHEN g % 6 = 0 THEN '苗族' ELSE '汉族' END",
    "problem_type": "CASE WHEN g % 97 = 0 THEN '2' ELSE NULL END",
    "profile": (
        "(t.profile::jsonb || jsonb_build_object("
        "'is_migrant_child', CASE WHEN g % 3 = 0 THEN '是' ELSE '否' END, "
        "'left_behind', (ARRAY['非留守儿童', '单亲留守儿童', '双亲留守儿童'])[g % 3 + 1], "
        "'hukou_type', CASE WHEN g % 4 = 0 THEN '非农业户口' ELSE '农业户口' END, "
        "'receives_subsidy', CASE WHEN g % 5 = 0 THEN '是' ELSE '否' END, "
        "'disability_type', CASE WHEN g % 7 = 0 THEN '视力残疾' ELSE '无残疾' END))::json"
    ),
}


def add_schools(session: Session, count: int) -> None:
    """``count`` more primary schools spread over the demo province's counties, each with a 2026 cohort of six
    classes, so that the students spread over a province's worth of schools (built in SQL like the students)."""
    session.execute(
        text(
            "CREATE TEMP TABLE bench_county AS SELECT row_number() OVER (ORDER BY o.id) - 1 AS k, o.id, o.path, "
            "o.division_code FROM org_unit o JOIN org_unit p ON p.id = o.parent_id "
            "JOIN org_unit g ON g.id = p.parent_id JOIN app_user u ON u.org_id = g.id "
            "WHERE o.level = 'county' AND u.username = 'guizhou-province'"
        )
    )
    counties = session.scalar(text("SELECT count(*) FROM bench_county"))
    first = session.scalar(text("SELECT max(id) FROM org_unit")) + 1
    session.execute(
        text(
            "INSERT INTO org_unit (level, name, division_code, parent_id, path, is_municipality) "
            "SELECT 'school', '基准学校' || g, c.division_code, c.id, c.path, false "
            "FROM generate_series(0, :n - 1) g JOIN bench_county c ON c.k = g % :counties"
        ),
        {"n": count, "counties": counties},
    )
    session.execute(text("UPDATE org_unit SET path = path || id || '/' WHERE id >= :first"), {"first": first})
    session.execute(
        text(
            "INSERT INTO school (org_id, school_code, school_type, stages, record_authority_id, name_en, address) "
            "SELECT id, lpad((9000000000 + id)::text, 10, '0'), '小学', 'primary', parent_id, '无', '' "
            "FROM org_unit WHERE id >= :first"
        ),
        {"first": first},
    )
    session.execute(
        text(
            "INSERT INTO cohort (school_id, stage, cohort_year) SELECT id, 'primary', 2026 FROM org_unit WHERE id >= :f"
        ),
        {"f": first},
    )
    session.execute(
        text(
            "INSERT INTO school_class (cohort_id, class_no, name, class_type) "
            "SELECT c.id, n::text, '一年级(' || n || ')班', '普通班' FROM cohort c "
            "CROSS JOIN generate_series(1, 6) n WHERE c.school_id >= :f"
        ),
        {"f": first},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("XUEJI_BENCH_DATABASE_URL", ""))
    parser.add_argument("--students", type=int, default=5_000_000)
    parser.add_argument("--schools", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="measure the database a previous run built (no wipe)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to show the bench still runs")
    args = parser.parse_args()
    if args.smoke:
        args.students, args.schools, args.runs = 2000, 30, 3
    if not args.url.startswith("postgresql"):
        parser.error("needs --url postgresql+psycopg://… (the data is built with PostgreSQL's generate_series)")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    if args.reuse:
        db = make_engine(args.url)
    else:
        print("building:", flush=True)
        db = timed("demo world and diagrams", lambda: build_database(args.url, students=300))
        with Session(db) as session:
            timed(f"{args.schools:,} more schools", lambda: add_schools(session, args.schools))
            timed(f"{args.students:,} students", lambda: fill_students(session, args.students, VARIED))
            session.commit()
            session.execute(text("ANALYZE"))
            session.commit()
    with Session(db) as session:
        total = session.scalar(text("SELECT count(*) FROM student"))
        schools = session.scalar(text("SELECT count(*) FROM school"))
        print(f"students in the database: {total:,} in {schools:,} schools")
        rows = timed("recount (report_count, the tick's refresh)", lambda: reports.refresh(session))
        session.commit()
        print(f"recount wrote {rows:,} rows")
        county = session.scalars(select(User).where(User.username == "nanming-county")).one()
        county_id = county.org_id
    from webapp import create_app

    app = create_app(
        {"DATABASE_URL": args.url, "WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": False, "SECRET_KEY": "b"}
    )
    client = app.test_client()
    client.post("/login", data={"username": "guizhou-province", "password": PASSWORD})
    for label, url in (
        ("province statistics page", "/reports/"),
        ("county statistics page", f"/reports/?org={county_id}"),
    ):
        assert client.get(url).status_code == 200
        p50, p95 = percentiles(lambda url=url: client.get(url), runs=args.runs)
        print(f"{label} ({total:,} students): p50 {p50:.1f} ms, p95 {p95:.1f} ms", flush=True)
    export_p50, _ = percentiles(lambda: client.get("/reports/export/standard"), runs=args.runs)
    print(f"province standard report export: p50 {export_p50:.1f} ms")
    db.dispose()


if __name__ == "__main__":
    main()
