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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("XUEJI_BENCH_DATABASE_URL", ""))
    parser.add_argument("--students", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to show the bench still runs")
    args = parser.parse_args()
    if args.smoke:
        args.students, args.runs = 2000, 3
    if not args.url.startswith("postgresql"):
        parser.error("needs --url postgresql+psycopg://… (the data is built with PostgreSQL's generate_series)")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print("building:", flush=True)
    db = timed("demo world and diagrams", lambda: build_database(args.url, students=300))
    with Session(db) as session:
        timed(f"{args.students:,} students", lambda: fill_students(session, args.students, VARIED))
        session.commit()
        session.execute(text("ANALYZE"))
        session.commit()
        total = session.scalar(text("SELECT count(*) FROM student"))
        print(f"students in the database: {total:,}")
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
        print(f"{label} ({args.students:,} students): p50 {p50:.1f} ms, p95 {p95:.1f} ms", flush=True)
    export_p50, _ = percentiles(lambda: client.get("/reports/export/standard"), runs=args.runs)
    print(f"province standard report export: p50 {export_p50:.1f} ms")
    db.dispose()


if __name__ == "__main__":
    main()
