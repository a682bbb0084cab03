"""Benchmark: what one reviewer action costs end to end (engine + database), and the inbox query.

    python bench/engine_cycle.py [--cases 200] [--url postgresql+psycopg://postgres@127.0.0.1/xueji_bench] [--smoke]
        [--workers 1,2,4 --completions 300]

Builds a fresh database (SQLite file by default), loads the demo world, then times: starting a 误操作删除
case, completing the county review, and listing a county inbox holding every open task. Prints medians, the CPU
seconds and SQL statements per completion (which do not depend on what else runs on the machine) and the machine;
asserts nothing about time. On PostgreSQL it then completes ``--completions`` tasks with each number of
``--workers`` processes (bench/scale.py's measurement, on students added as bench/scale.py adds them).
``--smoke``: a few cases in the tests' small world, to show the bench still runs. The database named by --url is
wiped.

Measured 2026-12-07 (2 cores, PostgreSQL 15 on the same machine, load average 4–6 from other work: read the CPU
figures, not the rates, and even those swing with the load): a county review completed with 驳回 by worker
processes costs 11 SQL statements and 13–18 ms Python + 3–4 ms PostgreSQL CPU (before: 13 statements, 21 ms + 4 ms;
the same completions run alternately on both versions: 15–17 ms against 19–24 ms), i.e. roughly 100–130/s on two
idle cores at best, not the 300/s of issue 18. What dominates is SQLAlchemy's ORM and psycopg, at 0.5–1 ms of
Python per statement: the case locked and read with its version and student (about 75 columns), the row and its
加签 rows read again under the lock, the actor reloaded after the previous action's commit (its row and roles), the
case's open rows, and the one flush of the history entry, the case state and the rows. SpiffWorkflow (load, run,
serialise) is about 2 ms of it.

Measured 2026-12-08 (load average 2.0–2.5 from other work), after the writes became Core statements (no ORM flush,
no autoflush before each statement; still 11 statements): run alternately with the version before on one session,
10.2–11.9 ms Python per completion against 13.7–16.9 ms; this script, 1 worker 10.3 ms Python + 2.9 ms PostgreSQL
(70/s), 2 workers 14.5 + 3.8 ms (60/s, the two workers contending with the other work), against 20.1 + 5.7 ms and
19.6 + 3.9 ms for the version before run just before it. Of the ~10 ms: the two reads under the lock about 3 ms
(ORM objects of the case, its version, student and row), the actor's reload about 2 ms (as a request loads its
user), SpiffWorkflow about 1.5 ms, each Core statement 0.3–0.4 ms (SQLAlchemy and psycopg), the commit 0.7 ms.
300/s stays out of reach on two cores: CPU alone caps it near 2 / 13 ms ≈ 150/s.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scale import completions, fill_students  # noqa: E402
from sqlalchemy import event, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import engine as wf  # noqa: E402
from models.inbox import open_tasks  # noqa: E402
from models.student import Student  # noqa: E402
from models.user import User  # noqa: E402
from models.workflow import InboxTask, TaskStatus  # noqa: E402
from webapp.demo_database import WORLD_STUDENTS, build_database  # noqa: E402


def timed(fn) -> float:
    begin = time.perf_counter()
    fn()
    return (time.perf_counter() - begin) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--url", default=os.environ.get("XUEJI_BENCH_DATABASE_URL"))
    parser.add_argument("--workers", default="1,2,4", help="worker processes completing tasks (PostgreSQL only)")
    parser.add_argument("--completions", type=int, default=300, help="tasks completed by each number of workers")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: does the bench still run?")
    args = parser.parse_args()
    if args.smoke:
        args.cases, args.completions = 5, 4
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    db_engine = build_database(url, students=WORLD_STUDENTS if args.smoke else 2000)
    with Session(db_engine) as session:
        registrars = session.scalars(select(User).where(User.username.like("%-registrar"))).all()
        # Ids only: a session holding 2,000 students expires each of them at every commit (a request's session
        # holds what it loaded), which cost the in-process figures below about 20 ms per action.
        students = []
        for registrar in registrars:
            students += session.execute(
                select(Student.id, Student.school_id).where(Student.school_id == registrar.org_id)
            ).all()
        by_school = {r.org_id: r for r in registrars}
        starts = [
            timed(
                lambda s=s: wf.start(
                    session,
                    "mistaken_deletion",
                    student_id=s.id,
                    actor=by_school[s.school_id],
                    data={"reason": "基准测试"},
                )
            )
            for s in students[: args.cases]
        ]
        county = session.scalars(select(User).where(User.username == "nanming-county")).one()
        inbox = [
            timed(lambda: open_tasks(session, county, sort="oldest", page=1)) for _ in range(3 if args.smoke else 50)
        ]
        open_count = open_tasks(session, county).total
        counties = {u.org_id: u for u in session.scalars(select(User).where(User.username.like("%-county")))}
        tasks = [
            (t.id, counties[t.org_id])
            for t in session.scalars(select(InboxTask).where(InboxTask.status == TaskStatus.OPEN))
        ]
        sent = [0]
        event.listen(db_engine, "before_cursor_execute", lambda *_: sent.__setitem__(0, sent[0] + 1))
        cpu = time.process_time()
        completes = [
            timed(lambda t=t, by=by: wf.complete(session, t, actor=by, data={"decision": "删除"})) for t, by in tasks
        ]
        cpu, statements = time.process_time() - cpu, sent[0]
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, database {db_engine.dialect.name}"
    )
    print(f"start case            median {statistics.median(starts):6.2f} ms  (n={len(starts)})")
    print(f"complete county task  median {statistics.median(completes):6.2f} ms  (n={len(completes)})")
    print(
        f"  per completion: Python CPU {cpu / len(completes) * 1000:.1f} ms, "
        f"{statements / len(completes):.1f} SQL statements"
    )
    print(f"inbox page, {open_count:4d} open median {statistics.median(inbox):6.2f} ms  (n={len(inbox)})")
    if db_engine.dialect.name == "postgresql" and args.workers:
        workers = tuple(int(n) for n in args.workers.split(","))
        with Session(db_engine) as session:
            # Enough free pupils at 南明区's primary school for every worker count (spread over all 14 schools).
            fill_students(session, args.completions * len(workers) * 16)
            session.commit()
        completions(url, db_engine, args.completions, workers)


if __name__ == "__main__":
    main()
