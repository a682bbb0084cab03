"""Benchmark: 升级 (F-38) of a province with 1,000,000 in-school students on PostgreSQL (goal: under 30 s).

    python bench/promotion.py [--students 1000000] [--smoke] \
        [--url postgresql+psycopg://postgres@127.0.0.1/xueji_bench_i6]

Builds the demo world, adds the students set-based in SQL (generate_series), then times setting the moment,
the promotion at the tick (one PromotionRun row + the per-grade report over every student) and its undo, each
committed. Prints the figures; asserts nothing about time. ``--smoke``: 2,000 students in the tests' small world, to
show the bench still runs. The database named by --url is wiped.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from handlers import promotion  # noqa: E402
from models.business_calendar import grade_year  # noqa: E402
from models.student import Student  # noqa: E402
from models.user import User  # noqa: E402
from webapp.demo_database import build_database  # noqa: E402

FILL = """
INSERT INTO student (name, sex, birth_date, ethnicity, id_doc_type, school_id, class_id, status, created_at, profile)
SELECT '学生' || g, CASE WHEN g % 2 = 0 THEN '1' ELSE '2' END, DATE '2010-09-01' + (g % 3650), '汉族', '1',
       c.school_id, c.id, 'in_school', now(), '{}'
FROM generate_series(1, :n) AS g
JOIN (SELECT sc.id, co.school_id, (row_number() OVER (ORDER BY sc.id)) - 1 AS k
      FROM school_class sc JOIN cohort co ON co.id = sc.cohort_id) AS c
  ON c.k = g % (SELECT count(*) FROM school_class)
"""


def seconds(fn) -> tuple[float, object]:
    begin = time.perf_counter()
    result = fn()
    return time.perf_counter() - begin, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=1_000_000)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1/xueji_bench_i6")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: does the bench still run?")
    args = parser.parse_args()
    if args.smoke:
        args.students = 2000
    db_engine = build_database(args.url)
    with Session(db_engine) as session:
        fill_s, _ = seconds(lambda: session.execute(text(FILL), {"n": args.students}))
        session.commit()
        session.execute(text("ANALYZE"))
        total = session.scalar(select(func.count(Student.id)))
        officer = session.scalars(select(User).where(User.username == "guizhou-province")).one()
        province = officer.org_id
        year = grade_year(session, province)
        moment = datetime(year + 1, 8, 10, 16, 0, tzinfo=UTC)
        run = promotion.schedule(session, officer, province_id=province, promote_at=moment)
        session.commit()

        def promote() -> list:
            runs = promotion.run_due(session, moment)
            session.commit()
            return runs

        promote_s, runs = seconds(promote)
        report = runs[0].report

        def undo() -> None:
            promotion.undo(session, run.id, actor=officer, now=moment)
            session.commit()

        undo_s, _ = seconds(undo)
        after_undo = grade_year(session, province)
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, Python {platform.python_version()}, {db_engine.dialect.name}")
    print(f"students in the database: {total:,} (generated set-based in {fill_s:.1f} s)")
    print(f"promotion {year}→{year + 1} at the tick, with its report: {promote_s:.2f} s (goal < 30 s)")
    print(f"  report: {report['students']:,} in-school students, 应毕业未毕业 {report['overdue_graduates']:,}")
    print(f"  grades: {report['grades']}")
    print(f"undo: {undo_s * 1000:.1f} ms; grade year after undo: {after_undo}")


if __name__ == "__main__":
    main()
