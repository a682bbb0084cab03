"""Benchmark: the reviewer's workbench at county scale. Prints figures, asserts nothing about time.

    python bench/workbench.py --url postgresql+psycopg://postgres@127.0.0.1/xueji_bench [--open 10000] [--bulk 500]
    python bench/workbench.py --smoke   # tiny sizes, to show the bench still runs

Builds a fresh database (the URL's database is wiped), loads the demo world, then
1. fills one county's inbox with ``--open`` open tasks (cases and inbox rows written in bulk: the inbox reads
   only these tables, never a workflow), and times the inbox page's queries (count + first page with student and
   holder) for the default sort, each sort and each filter: p50 / p95 over 50 runs;
2. starts ``--bulk`` real 误操作删除 cases through the engine and times one bulk approval of all of them
   (``engine.bulk_approve``: each task through its own form and its own transaction).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import engine as wf  # noqa: E402
from models.base import utcnow  # noqa: E402
from models.inbox import InboxFilter, open_tasks  # noqa: E402
from models.student import Student, StudentStatus  # noqa: E402
from models.user import User  # noqa: E402
from models.workflow import InboxTask, ProcessInstance, ProcessVersion, TaskStatus  # noqa: E402
from webapp.demo_database import WORLD_STUDENTS, build_database  # noqa: E402


def percentiles(fn: Callable[[], object], runs: int = 50) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        begin = time.perf_counter()
        fn()
        times.append((time.perf_counter() - begin) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def fill_inbox(session: Session, county: User, count: int) -> None:
    """``count`` open 转入区县审核 tasks at the county's seat, on cases of its schools' students."""
    version = session.scalars(
        select(ProcessVersion).where(ProcessVersion.process_key == "transfer_in_province", ProcessVersion.is_current)
    ).one()
    pupils = session.execute(select(Student.id, Student.school_id).limit(min(count, 2000))).all()
    now = utcnow()
    batch = 2000
    for start in range(0, count, batch):
        size = min(batch, count - start)
        cases = [
            {
                "process_key": "transfer_in_province",
                "version_id": version.id,
                "title": f"省内转学：基准{start + i}",
                "student_id": pupils[(start + i) % len(pupils)][0],
                "org_id": pupils[(start + i) % len(pupils)][1],
                "to_school_id": pupils[(start + i) % len(pupils)][1],
                "initiator_id": county.id,
                "correlation_key": uuid.uuid4().hex,
                "waiting_for": "",
                "status": "open",
                "state_label": "待转入区县审核",
                "summary": {},
                "state_json": "{}",
                "started_at": now,
                "lock_version": 1,
            }
            for i in range(size)
        ]
        ids = session.scalars(insert(ProcessInstance).returning(ProcessInstance.id), cases).all()
        session.execute(
            insert(InboxTask),
            [
                {
                    "task_uuid": str(uuid.uuid4()),
                    "instance_id": case_id,
                    "process_key": "transfer_in_province",
                    "bpmn_id": "to_county_review",
                    "title": "转入区县审核",
                    "lane": "转入区县",
                    "org_id": county.org_id,
                    "role": "county_officer",
                    "form_key": "transfer_in_province.to_county_review",
                    "status": "open",
                    "created_at": now,
                    "due_at": now,
                    "kind": "task",
                    "sign_mode": "",
                    "notice": "",
                    "locked": False,
                }
                for case_id in ids
            ],
        )
    session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("XUEJI_BENCH_DATABASE_URL"))
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--bulk", type=int, default=500)
    parser.add_argument("--students", type=int, default=6000)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: does the bench still run?")
    args = parser.parse_args()
    if args.smoke:
        args.open, args.bulk, args.students = 100, 5, WORLD_STUDENTS
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"database: {url.split('@')[-1]}")
    db_engine = build_database(url, students=args.students)
    with Session(db_engine) as session:
        county = session.scalars(select(User).where(User.username == "nanming-county")).one()
        fill_inbox(session, county, args.open)
        total = open_tasks(session, county).total
        print(f"inbox of 南明区: {total} open tasks")
        cases = {
            "default (oldest first)": {},
            "sort: newest": {"sort": "newest"},
            "sort: due": {"sort": "due"},
            "filter: step": {"flt": InboxFilter(flow="transfer_in_province", step="to_county_review")},
            "filter: school": {"flt": InboxFilter(school=county.org_id)},
            "filter: overdue": {"flt": InboxFilter(due="overdue")},
            "filter: claimed by me": {"flt": InboxFilter(mine=True)},
        }
        for label, kwargs in cases.items():
            p50, p95 = percentiles(lambda kw=kwargs: open_tasks(session, county, **kw))  # type: ignore[arg-type]
            print(f"inbox page, {label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")

        registrar = session.scalars(select(User).where(User.username == "nanming-xx-registrar")).one()
        pupils = session.scalars(
            select(Student).where(
                Student.school_id == registrar.org_id,
                Student.status == StudentStatus.IN_SCHOOL,
                Student.open_case_id.is_(None),
            )
        ).all()[: args.bulk]
        begin = time.perf_counter()
        for pupil in pupils:
            wf.start(session, "mistaken_deletion", student_id=pupil.id, actor=registrar, data={"reason": "基准测试"})
        print(f"started {len(pupils)} 误操作删除 cases in {time.perf_counter() - begin:.1f} s")
        ids = session.scalars(
            select(InboxTask.id).where(
                InboxTask.process_key == "mistaken_deletion",
                InboxTask.bpmn_id == "county_review",
                InboxTask.status == TaskStatus.OPEN,
            )
        ).all()
        begin = time.perf_counter()
        results = wf.bulk_approve(session, ids, actor=county, opinion="基准测试：同意")
        elapsed = time.perf_counter() - begin
        done = sum(r.done for r in results)
        print(f"bulk approval of {len(ids)} tasks: {elapsed:.1f} s ({done} done, {len(ids) - done} refused)")


if __name__ == "__main__":
    main()
