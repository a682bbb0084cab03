"""Benchmark at province scale (issue 18): builds the data in SQL, then prints the figures. Asserts nothing.

    python bench/scale.py --url postgresql+psycopg://postgres@127.0.0.1/xueji_scale \\
        [--students 5000000] [--cases 1000000] [--open 10000] [--completions 600]

The database named by --url is wiped. The demo world (organisations, schools, users, diagrams) is loaded first;
then every bulk table is filled by ``INSERT … SELECT … generate_series`` from real template rows, never through
the ORM: students (copies of a real in-school record with their own names and numbers, spread over every class),
cases over every diagram in the states real cases stand in (copies of cases started through the engine), their
parties, history and audit rows, and ``--open`` open tasks in one county (南明区). Then it measures
1. the county reviewer's inbox page: p50/p95 of the default page, each filter and each sort;
2. task completions per second through the engine API (load, run, save, inbox rows, history, audit) with 1, 2
   and 4 worker processes, each with its own connection, on real cases started for the purpose;
3. the case page (history timeline) of a case with 200 steps: p50/p95 through the Flask app.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, event, func, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import engine as wf  # noqa: E402
import handlers  # noqa: E402
from models import crypto  # noqa: E402
from models.inbox import InboxFilter, open_tasks  # noqa: E402
from models.org import Cohort, SchoolClass  # noqa: E402
from models.student import Student, StudentStatus  # noqa: E402
from models.user import User  # noqa: E402
from models.workflow import InboxTask, InstanceEvent, ProcessInstance, TaskStatus  # noqa: E402
from webapp.db import make_engine  # noqa: E402
from webapp.demo_database import build_database  # noqa: E402

PASSWORD = "Xueji@2026"


def timed(label: str, action: Callable[[], Any]) -> Any:
    begin = time.perf_counter()
    result = action()
    print(f"  {label}: {time.perf_counter() - begin:.1f} s", flush=True)
    return result


def percentiles(action: Callable[[], object], runs: int = 50) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        begin = time.perf_counter()
        action()
        times.append((time.perf_counter() - begin) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def _copy_rows(session: Session, table: Any, template_ids: list[int], count: int, overrides: dict[str, str]) -> None:
    """INSERT ``count`` copies of the template rows (cycled), columns overridden by SQL expressions of ``g``."""
    columns = [c.name for c in table.columns if c.name != "id"]
    values = [overrides.get(c, f"t.{c}") for c in columns]
    session.execute(
        text(
            f"INSERT INTO {table.name} ({', '.join(columns)}) "  # noqa: S608 -- names from our own metadata
            f"SELECT {', '.join(values)} FROM generate_series(0, :n - 1) g "
            f"JOIN {table.name} t ON t.id = (:ids)[(g % :k) + 1]"
        ),
        {"n": count, "ids": template_ids, "k": len(template_ids)},
    )


def fill_students(session: Session, count: int, extra: dict[str, str] | None = None) -> int:
    """``count`` copies of a real in-school student spread over every class; ``extra``: more columns overridden
    by SQL expressions of ``g`` (the copy's number) and ``t`` (the template), e.g. varied sexes."""
    template = session.scalars(select(Student.id).where(Student.status == StudentStatus.IN_SCHOOL).limit(1)).one()
    classes = session.execute(select(SchoolClass.id, Cohort.school_id).join(Cohort)).all()
    first = (session.scalar(select(func.max(Student.id))) or 0) + 1
    session.execute(text("CREATE TEMP TABLE scale_class (k int PRIMARY KEY, class_id int, school_id int)"))
    session.execute(
        text("INSERT INTO scale_class VALUES (:k, :c, :s)"),
        [{"k": k, "c": c, "s": s} for k, (c, s) in enumerate(classes)],
    )
    columns = [c.name for c in Student.__table__.columns if c.name != "id"]
    overrides = {
        "name": "'学生' || g",
        # Sealed values as the application stores them (SQL cannot encrypt them): one number shown for every copy,
        # which the pages decrypt like any other; a plain value would fail to open.
        "national_student_id": ":sealed_number",
        # Unique like a real blind index (the one-active-record index is on it), not an HMAC: the bench looks no
        # student up by 学籍号.
        "national_id_index": "md5('G' || g::text)",
        "national_id_kind": "'G'",
        "id_doc_number": ":sealed_id",
        "school_id": "c.school_id",
        "class_id": "c.class_id",
        "open_case_id": "NULL",
        **(extra or {}),
    }
    values = [overrides.get(c, f"t.{c}") for c in columns]
    session.execute(
        text(
            f"INSERT INTO student ({', '.join(columns)}) SELECT {', '.join(values)} "  # noqa: S608
            "FROM generate_series(1, :n) g JOIN student t ON t.id = :template "
            "JOIN scale_class c ON c.k = g % :classes"
        ),
        {
            "n": count,
            "template": template,
            "classes": len(classes),
            "sealed_number": crypto.keyring_in_force().encrypt("G" + "0" * 18),
            "sealed_id": crypto.keyring_in_force().encrypt("0" * 18),
        },
    )
    return first


def template_cases(session: Session) -> list[int]:
    """Real cases over several diagrams, each left in a state users meet (waiting at a review, done, …)."""
    registrar = session.scalars(select(User).where(User.username == "nanming-xx-registrar")).one()
    county = session.scalars(select(User).where(User.username == "nanming-county")).one()
    pupils = session.scalars(
        select(Student).where(Student.school_id == registrar.org_id, Student.open_case_id.is_(None)).limit(6)
    ).all()
    ids = []
    for n, pupil in enumerate(pupils):
        case = wf.start(session, "mistaken_deletion", student_id=pupil.id, actor=registrar, data={"reason": "模板"})
        if n % 2:
            task = session.scalars(select(InboxTask).where(InboxTask.instance_id == case.id)).one()
            wf.complete(session, task.id, actor=county, data={"decision": "驳回", "review_comment": "模板"})
        ids.append(case.id)
    return ids


def fill_cases(session: Session, count: int, open_tasks_wanted: int, first_student: int, students: int) -> None:
    templates = template_cases(session)
    first_case = (session.scalar(select(func.max(ProcessInstance.id))) or 0) + 1
    _copy_rows(
        session,
        ProcessInstance.__table__,
        templates,
        count,
        {
            "student_id": f"{first_student} + (g % {students})",
            "correlation_key": "md5(g::text)",
            "title": "t.title || g",
        },
    )
    last_case = first_case + count - 1
    session.execute(
        text(
            "INSERT INTO case_party (instance_id, org_id) SELECT i.id, p.org_id FROM process_instance i "
            "JOIN case_party p ON p.instance_id = :template WHERE i.id BETWEEN :a AND :b"
        ),
        {"template": templates[0], "a": first_case, "b": last_case},
    )
    event_ids = list(session.scalars(select(InstanceEvent.id).where(InstanceEvent.instance_id == templates[0])))
    _copy_rows(
        session,
        InstanceEvent.__table__,
        event_ids,
        count * len(event_ids),
        {"instance_id": f"{first_case} + (g % {count})"},
    )
    session.execute(
        text(
            "INSERT INTO audit_event (at, actor_id, action, entity, entity_id, before, after, instance_id) "
            "SELECT now(), NULL, '基准', 'student', :first + (g % :students), '{}', '{}', :case + (g % :count) "
            "FROM generate_series(0, :count - 1) g"
        ),
        {"first": first_student, "students": students, "case": first_case, "count": count},
    )
    open_template = session.scalars(
        select(InboxTask.id).where(InboxTask.status == TaskStatus.OPEN, InboxTask.instance_id.in_(templates))
    ).first()
    _copy_rows(
        session,
        InboxTask.__table__,
        [open_template],
        open_tasks_wanted,
        {"instance_id": f"{first_case} + (g % {count})", "task_uuid": "md5(g::text)::uuid::text"},
    )


def _server_cpu(session: Session) -> float:
    """CPU seconds the PostgreSQL backend serving this session has used (the server runs on this machine)."""
    pid = session.scalar(text("SELECT pg_backend_pid()"))
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def complete_share(url: str, task_ids: list[int], start_at: float) -> tuple[float, float, float, int]:
    """One worker: connects, waits for the common start, completes its tasks. Returns when it finished, its own
    CPU seconds, its PostgreSQL backend's CPU seconds and the SQL statements it sent (figures that do not depend
    on what else the machine runs)."""
    wf.use_handlers(handlers.REGISTRY)  # a spawned process: handed the handlers as create_app hands them
    db = make_engine(url)
    sent = [0]

    @event.listens_for(db, "before_cursor_execute")
    def _count(*_: object) -> None:
        sent[0] += 1

    with Session(db) as session:
        county = session.scalars(select(User).where(User.username == "nanming-county")).one()
        server_before = _server_cpu(session)
        session.commit()
        time.sleep(max(0.0, start_at - time.time()))
        cpu_before, sent[0] = time.process_time(), 0
        for task_id in task_ids:
            wf.complete(session, task_id, actor=county, data={"decision": "驳回", "review_comment": "基准"})
        ended, cpu, statements = time.time(), time.process_time() - cpu_before, sent[0]
        server = _server_cpu(session) - server_before
    db.dispose()
    return ended, cpu, server, statements


def completions(url: str, db: Engine, count: int, worker_counts: tuple[int, ...] = (1, 2, 4)) -> None:
    """Task completions through the engine API by 1, 2 and 4 worker processes, each with its own connection."""
    with Session(db) as session:
        registrar = session.scalars(select(User).where(User.username == "nanming-xx-registrar")).one()
        pupils = session.scalars(
            select(Student.id)
            .where(Student.school_id == registrar.org_id, Student.open_case_id.is_(None))
            .order_by(Student.id.desc())
            .limit(count * len(worker_counts))
        ).all()
        cases = []
        for pupil in pupils:
            case = wf.start(session, "mistaken_deletion", student_id=pupil, actor=registrar, data={"reason": "基准"})
            cases.append(case.id)
        tasks = list(
            session.scalars(
                select(InboxTask.id).where(InboxTask.instance_id.in_(cases), InboxTask.status == TaskStatus.OPEN)
            )
        )
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    for workers in worker_counts:
        batch, tasks = tasks[:count], tasks[count:]
        shares = [batch[i::workers] for i in range(workers)]
        start_at = time.time() + 15  # after every worker has imported and connected
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            results = pool.starmap(complete_share, [(url, share, start_at) for share in shares])
        elapsed = max(r[0] for r in results) - start_at
        python = sum(r[1] for r in results) / len(batch) * 1000
        server = sum(r[2] for r in results) / len(batch) * 1000
        sent = sum(r[3] for r in results) / len(batch)
        print(
            f"task completions, {workers} worker(s): {len(batch) / elapsed:.0f}/s ({len(batch)} in {elapsed:.1f} s); "
            f"per completion: CPU {python:.1f} ms Python + {server:.1f} ms PostgreSQL, {sent:.1f} SQL statements",
            flush=True,
        )


def case_page(db: Engine, url: str) -> None:
    from webapp import create_app

    with Session(db) as session:
        case = session.scalars(
            select(ProcessInstance).where(ProcessInstance.process_key == "mistaken_deletion")
        ).first()
        county = session.scalars(select(User).where(User.username == "nanming-county")).one()
        session.execute(
            text(
                "INSERT INTO instance_event "
                "(instance_id, at, kind, bpmn_id, title, user_id, org_id, state_label, data) "
                "SELECT :case, now(), CASE WHEN g % 2 = 0 THEN 'task' ELSE 'state' END, 'county_review', "
                "'步骤' || g, :user, :org, '状态' || g, '{\"fields\": [[\"意见\", \"基准\"]]}' "
                "FROM generate_series(1, 200) g"
            ),
            {"case": case.id, "user": county.id, "org": county.org_id},
        )
        session.commit()
        case_id = case.id
    app = create_app(
        {"DATABASE_URL": url, "WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": False, "SECRET_KEY": "b"}
    )
    client = app.test_client()
    client.post("/login", data={"username": "nanming-county", "password": PASSWORD})
    assert client.get(f"/cases/{case_id}").status_code == 200
    p50, p95 = percentiles(lambda: client.get(f"/cases/{case_id}"), runs=30)
    print(f"case page with 200+ steps: p50 {p50:.1f} ms, p95 {p95:.1f} ms")


def build(url: str, students: int, instances: int, open_tasks_wanted: int, *, reuse: bool = False) -> Engine:
    """The province: the demo world, then the bulk tables (also bench/http_load.py's data); committed. ``reuse``:
    the database as an earlier run left it, neither wiped nor built again (building 5 M students takes a while)."""
    if reuse:
        wf.use_handlers(handlers.REGISTRY)  # as build_database hands them
        return make_engine(url)
    db = timed("demo world and diagrams", lambda: build_database(url, students=300))
    with Session(db) as session:
        first = timed(f"{students:,} students", lambda: fill_students(session, students))
        timed(
            f"{instances:,} cases with parties, history, audit and {open_tasks_wanted:,} open tasks",
            lambda: fill_cases(session, instances, open_tasks_wanted, first, students),
        )
        session.commit()
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("XUEJI_BENCH_DATABASE_URL", ""))
    parser.add_argument("--students", type=int, default=5_000_000)
    parser.add_argument("--instances", "--cases", dest="instances", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--completions", type=int, default=600)
    parser.add_argument("--reuse", action="store_true", help="measure on the data an earlier run built")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to show the bench still runs")
    args = parser.parse_args()
    if args.smoke:
        args.students, args.instances, args.open, args.completions = 2000, 500, 100, 8
    if not args.url.startswith("postgresql"):
        parser.error("needs --url postgresql+psycopg://… (the data is built with PostgreSQL's generate_series)")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print("building:", flush=True)
    db = build(args.url, args.students, args.instances, args.open, reuse=args.reuse)
    with Session(db) as session:
        session.execute(text("ANALYZE"))
        session.commit()
        county = session.scalars(select(User).where(User.username == "nanming-county")).one()
        total = open_tasks(session, county).total
        print(f"inbox of 南明区: {total:,} open tasks")
        for label, kwargs in {
            "default (oldest first)": {},
            "sort newest": {"sort": "newest"},
            "sort due": {"sort": "due"},
            "filter flow+step": {"flt": InboxFilter(flow="mistaken_deletion", step="county_review")},
            "filter school": {"flt": InboxFilter(school=county.org_id)},
            "filter overdue": {"flt": InboxFilter(due="overdue")},
            "filter claimed by me": {"flt": InboxFilter(mine=True)},
        }.items():
            p50, p95 = percentiles(lambda kw=kwargs: open_tasks(session, county, **kw))  # type: ignore[arg-type]
            print(f"inbox page, {label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    completions(args.url, db, args.completions)
    case_page(db, args.url)
    db.dispose()


if __name__ == "__main__":
    main()
