"""HTTP load at province scale (issue 18 item 2): county reviewers over HTTP under gunicorn, driven by Locust.

    python bench/http_load.py --url postgresql+psycopg://postgres@127.0.0.1/xueji_http \\
        [--students 5000000] [--instances 1000000] [--open 10000] [--users 50 200] [--duration 60] [--think 1]

The database named by --url is wiped and filled as bench/scale.py fills it; then real cases are started through the
engine in 南明区, enough for every completion the run can make. gunicorn serves the app with gunicorn.conf.py (its
worker count: 2 × cores + 1 unless --workers), and Locust (headless, bench/load/locustfile.py) runs each number of
users for --duration seconds: each logs in as the county's reviewer, then opens the inbox, opens a task and completes
it, pausing about --think seconds between clicks. Prints, per number of users, requests/s and p50/p95 of every kind
of request, failed requests, and the tasks completed as counted in the database. Asserts no timing; exits non-zero
when a request failed or a submitted task was not completed.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scale import _copy_rows, build, timed  # noqa: E402
from sqlalchemy import Engine, func, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import engine as wf  # noqa: E402
from models import crypto  # noqa: E402
from models.student import Student, StudentStatus  # noqa: E402
from models.user import User  # noqa: E402
from models.workflow import InboxTask, InstanceEvent, ProcessInstance, TaskStatus  # noqa: E402
from webapp.config import ROOT, Config  # noqa: E402

LOCUSTFILE = ROOT / "bench" / "load" / "locustfile.py"
REVIEWER = "nanming-county"
REQUESTS = ("log in", "inbox page", "task page", "complete task")


def prepare_tasks(db: Engine, count: int) -> list[int]:
    """``count`` 误操作删除 requests of a school of 南明区 waiting at the county's review: one started through the
    engine, the others copies of it in SQL (as bench/scale.py copies its cases), each for a student of its own. The
    users complete them through the real engine (load, run, save, inbox rows, history, audit)."""
    with Session(db) as session:
        registrar = session.scalars(select(User).where(User.username == "nanming-xx-registrar")).one()
        pupils = session.scalars(
            select(Student.id)
            .where(
                Student.school_id == registrar.org_id,
                Student.open_case_id.is_(None),
                Student.status == StudentStatus.IN_SCHOOL,  # not a pupil a copied case deleted or moved on
            )
            .order_by(Student.id.desc())
            .limit(count)
        ).all()
        case = wf.start(
            session, "mistaken_deletion", student_id=pupils[0], actor=registrar, data={"reason": "负载测试"}
        )
        task = session.scalars(select(InboxTask.id).where(InboxTask.instance_id == case.id)).one()
        session.execute(text("CREATE TEMP TABLE load_pupil (k int PRIMARY KEY, student_id int)"))
        session.execute(
            text("INSERT INTO load_pupil VALUES (:k, :s)"), [{"k": k, "s": s} for k, s in enumerate(pupils[1:])]
        )
        copies = len(pupils) - 1
        first = case.id + 1
        instance = {"student_id": "(SELECT student_id FROM load_pupil WHERE k = g)", "correlation_key": "md5(g::text)"}
        _copy_rows(session, ProcessInstance.__table__, [case.id], copies, instance)
        session.execute(
            text(
                "INSERT INTO case_party (instance_id, org_id) SELECT i.id, p.org_id FROM process_instance i "
                "JOIN case_party p ON p.instance_id = :case WHERE i.id >= :first"
            ),
            {"case": case.id, "first": first},
        )
        events = list(session.scalars(select(InstanceEvent.id).where(InstanceEvent.instance_id == case.id)))
        _copy_rows(
            session,
            InstanceEvent.__table__,
            events,
            copies * len(events),
            {"instance_id": f"{first} + g / {len(events)}"},
        )
        _copy_rows(session, InboxTask.__table__, [task], copies, {"instance_id": f"{first} + g"})
        session.execute(
            text(
                "UPDATE student SET open_case_id = i.id FROM process_instance i "
                "WHERE i.id >= :first AND student.id = i.student_id"
            ),
            {"first": first},
        )
        session.commit()
        tasks = session.scalars(
            select(InboxTask.id).where(InboxTask.instance_id >= case.id, InboxTask.status == TaskStatus.OPEN)
        ).all()
        session.execute(text("ANALYZE"))
        session.commit()
    return list(tasks)


def done(db: Engine, tasks: list[int]) -> int:
    """How many of ``tasks`` were completed (not those cancelled because their case moved on without them)."""
    with Session(db) as session:
        return (
            session.scalar(select(func.count()).where(InboxTask.id.in_(tasks), InboxTask.status == TaskStatus.DONE))
            or 0
        )


def still_open(db: Engine, tasks: list[int]) -> list[int]:
    with Session(db) as session:
        return list(
            session.scalars(
                select(InboxTask.id).where(InboxTask.id.in_(tasks), InboxTask.status == TaskStatus.OPEN)
            ).all()
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(url: str, port: int, workers: int | None, folder: Path) -> subprocess.Popen[bytes]:
    """gunicorn with the production settings file, on a port of this machine, until it answers."""
    env = {
        **os.environ,
        "XUEJI_DATABASE_URL": url,
        "XUEJI_BIND": f"127.0.0.1:{port}",
        "XUEJI_SECRET_KEY": secrets.token_hex(32),
        "XUEJI_SECURE_COOKIES": "0",  # plain HTTP on the loopback: no proxy terminating TLS here
        "XUEJI_INSTANCE_DIR": str(folder),
    }
    if workers:
        env["XUEJI_WEB_WORKERS"] = str(workers)
    key_file = crypto.key_file_in_force()
    if key_file is not None:  # the data was sealed with this process's keys; the server must open it
        env["XUEJI_DATA_KEY_FILE"] = str(key_file)
    log = (folder / "gunicorn.log").open("wb")
    server = subprocess.Popen(  # noqa: S603 -- this interpreter's gunicorn
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if _get(f"http://127.0.0.1:{port}/login") == 200:  # noqa: PLR2004
                break
        except OSError:
            time.sleep(0.5)
    else:
        server.terminate()
        raise SystemExit(f"gunicorn did not answer in 120 s; its log: {folder / 'gunicorn.log'}")
    # Every worker's first requests (templates compiled, a connection opened) are not the users' to wait for.
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(_get, [f"http://127.0.0.1:{port}/login"] * 8 * (workers or os.cpu_count() or 1)))
    return server


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=60) as page:  # noqa: S310 -- our own server on the loopback
        return int(page.status)


def run_locust(host: str, users: int, args: argparse.Namespace, tasks: list[int], folder: Path) -> dict[str, dict]:
    """One headless Locust run; its statistics by request name (and "Aggregated")."""
    task_file = folder / f"tasks-{users}.txt"
    task_file.write_text("\n".join(map(str, tasks)))
    prefix = folder / f"users-{users}"
    env = {
        **os.environ,
        "XUEJI_LOAD_TASKS": str(task_file),
        "XUEJI_LOAD_USER": REVIEWER,
        "XUEJI_LOAD_PASSWORD": Config.DEMO_PASSWORD,
        "XUEJI_LOAD_THINK": str(args.think),
    }
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--only-summary",
        "--users",
        str(users),
        "--spawn-rate",
        str(max(10, users // 5)),  # everyone logged in within the first 5 s
        "--run-time",
        f"{args.duration}s",
        "--stop-timeout",
        "10",
        "--host",
        host,
        "--csv",
        str(prefix),
        "--loglevel",
        "WARNING",
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    stats_file = Path(f"{prefix}_stats.csv")
    if not stats_file.exists():
        raise SystemExit(f"locust wrote no statistics (exit {done.returncode}):\n{done.stderr[-3000:]}")
    with stats_file.open(newline="") as stats:
        return {row["Name"]: row for row in csv.DictReader(stats)}


def report(users: int, stats: dict[str, dict], completed: int, args: argparse.Namespace) -> int:
    total = stats["Aggregated"]
    failed = int(total["Failure Count"])
    print(
        f"HTTP, {users} users: {float(total['Requests/s']):.1f} requests/s, p50 {total['50%']} ms, "
        f"p95 {total['95%']} ms, {failed} failed of {total['Request Count']} requests, "
        f"{completed} tasks completed ({completed / args.duration:.1f}/s)"
    )
    for name in REQUESTS:
        row = stats.get(name, {"Request Count": 0, "50%": "-", "95%": "-"})
        print(f"  {name}: {row['Request Count']} requests, p50 {row['50%']} ms, p95 {row['95%']} ms")
    submitted = int(stats.get("complete task", {}).get("Request Count", 0))
    submitted -= int(stats.get("complete task", {}).get("Failure Count", 0))
    # Locust stops its users mid-request when the run time is up: a completion the server then finishes has no
    # answer counted, at most one per user; and its last statistics are written just before it stops them, so a
    # completion answered in between is done but not in the figures (again at most one per user: seen as 86 done,
    # 81 answered with 4 users on PostgreSQL). More done than that, or fewer than answered, is a real error.
    if not submitted <= completed <= submitted + 2 * users:
        print(f"  {submitted} completions answered as submitted, {completed} done in the database")
        failed += 1
    elif completed != submitted:
        print(f"  {completed - submitted} completions were in flight when the run ended (done, answer not counted)")
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("XUEJI_BENCH_DATABASE_URL", ""))
    parser.add_argument("--students", type=int, default=5_000_000)
    parser.add_argument("--instances", "--cases", dest="instances", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--users", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--duration", type=int, default=60, help="seconds per number of users")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds a reviewer pauses between clicks")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument("--reuse", action="store_true", help="the data an earlier bench/scale.py run built")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to show the bench still runs")
    args = parser.parse_args()
    if args.smoke:
        args.students, args.instances, args.open = 2000, 500, 100
        args.users, args.duration, args.think, args.workers = [4], 15, 0.2, args.workers or 2
    if not args.url.startswith("postgresql"):
        parser.error("needs --url postgresql+psycopg://… (the data is built with PostgreSQL's generate_series)")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print("building:", flush=True)
    db = build(args.url, args.students, args.instances, args.open, reuse=args.reuse)
    # A reviewer completes one task per three pauses at most: enough for every user of every run, with a margin.
    wanted = int(sum(args.users) * args.duration / (3 * args.think) * 1.2) + 10
    tasks = timed(f"{wanted:,} cases waiting at the county's review", lambda: prepare_tasks(db, wanted))
    with Session(db) as session:
        inbox = session.scalar(select(func.count()).select_from(InboxTask).where(InboxTask.status == TaskStatus.OPEN))
    print(f"open tasks in the database: {inbox:,}")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="xueji-http-") as tmp:
        folder = Path(tmp)
        port = free_port()
        server = serve(args.url, port, args.workers, folder)
        try:
            workers = args.workers or f"{2 * (os.cpu_count() or 1) + 1} (gunicorn.conf.py)"
            print(f"gunicorn workers: {workers}; Locust: {args.duration} s per run, pauses of {args.think} s")
            for users in args.users:
                before, done_before = still_open(db, tasks), done(db, tasks)
                stats = run_locust(f"http://127.0.0.1:{port}", users, args, before, folder)
                after = still_open(db, tasks)
                completed = done(db, tasks) - done_before
                if len(before) - len(after) != completed:
                    print(f"  {len(before) - len(after) - completed} tasks closed without being completed (cancelled)")
                if not after:
                    print("  (every prepared task was completed: the users read the inbox for the rest of the run)")
                failures += report(users, stats, completed, args)
        finally:
            server.terminate()
            server.wait(timeout=30)
    db.dispose()
    if failures:
        raise SystemExit(f"{failures} failed requests or completions")


if __name__ == "__main__":
    main()
