"""Issue 13: the 100,000-row import end to end through the job path on PostgreSQL, per stage.

Upload (the web's POST, Flask test client) → the dry-run job on a real Celery worker → 确认导入 → the commit job,
each job's stages as its progress reporter timed them (jobs/runner.py). The broker is the embedded one (files)
unless --broker names Redis. The database named by --url is wiped. Prints figures; asserts nothing about time.

    make bench-import BENCH_URL=postgresql+psycopg://postgres@127.0.0.1/xueji_bench_jobs

What dominates (2026-12-08 night, quiet 2-core VM, PostgreSQL 15 default configuration: 18.1-19.3 s end to end). The
check job (about 9 s) is bound by reading: python-calamine parses the 162 MB sheet XML in Rust without the GIL, cut
into four parts parsed two at a time while the main thread makes the cells of the part before (handlers/
sheet_parts.py; read about 5 s, was 8.2 s whole), then the §3.9 rules (1.2 s), 查重 (1.4 s) and keeping the check
(1 s). The import job (about 9 s) is the write (7.4 s): Python seals and encodes 700,000 values and the JSON texts
2,000 rows at a time (about 6 s CPU) while the server writes the rows, 8 indexes on the students and heap and WAL for
about 1.4 KB a student (5.8 s CPU). The server's per-row foreign-key checks (400,000, each a query that locks the row
it names) are replaced by one look-up per distinct parent (models/bulk.py keys_checked_at_once; the audit rows carry
no foreign keys since migration 0034): they were half of the server's time.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from celery.contrib.testing.worker import start_worker  # noqa: E402
from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.registration_bench import import_file, machine  # noqa: E402
from models.job import FINISHED, Job  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.config import Config  # noqa: E402
from webapp.demo_database import build_database  # noqa: E402

REGISTRAR = "nanming-xx-registrar"
FILE_VERSION = 1  # raise when import_file() changes


class Meter:
    """CPU seconds per stage, as the bench's poll sees the job's stage change: of this process (the worker is a
    thread of it; the main thread only sleeps and polls) and of the PostgreSQL server processes serving the bench's
    database (read from /proc: the server must be on this machine, else 0). On a machine that others load, wall
    seconds stretch with the load and CPU seconds much less: both are printed."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.marks: list[tuple[str, float, float]] = []
        self.seen: dict[int, float] = {}

    def python(self) -> float:
        times = os.times()
        return times.user + times.system

    def postgres(self) -> float:
        """The server's CPU seconds for this database: of each server process the last seen figure (a process that
        ended since, as a pool's connection closing, keeps its count)."""
        pids = self.session.scalars(
            # Client backends only: autovacuum, woken by the import's rows, runs beside the jobs, not for them.
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND backend_type = 'client backend'"
            )
        )
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            self.seen[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return sum(self.seen.values())

    def mark(self, stage: str) -> None:
        self.marks.append((stage, self.python(), self.postgres()))

    def per_stage(self) -> dict[str, tuple[float, float]]:
        ends = self.marks[1:]
        return {
            stage: (py1 - py0, pg1 - pg0) for (stage, py0, pg0), (_, py1, pg1) in zip(self.marks, ends, strict=False)
        }


def wait(session: Session, job_id: int, meter: Meter) -> Job:
    stage = None
    while True:
        session.rollback()
        job = session.get_one(Job, job_id)
        meter.postgres()  # every poll: a server process may end before the next stage
        if job.stage != stage:
            stage = job.stage
            meter.mark(stage)
        if job.state in FINISHED:
            meter.mark("")
            return job
        time.sleep(0.1)


GLOSS = {  # the stages in the bench's words
    "读取文件": "read",
    "逐行校验": "validate",
    "班级与文件内查重": "查重 in file",
    "与学籍库查重": "查重 registry",
    "保存检查结果": "keep check",
    "生成错误报告": "error file",
    "写入学籍库": "write",
}


def report(label: str, job: Job, seconds: float, meter: Meter) -> None:
    print(f"  {label}: {job.state.label} in {seconds:.1f} s (submit to finished, as the user waits)")
    cpu = meter.per_stage()
    print(f"      {'stage':<24} {'wall s':>7} {'CPU s: Python':>14} {'PostgreSQL':>11}")
    stages = job.result.get("stages", [])
    for stage, took in stages:
        python, postgres = cpu.get(stage, (0.0, 0.0))
        print(f"      {stage + ' ' + GLOSS.get(stage, ''):<24} {took:7.1f} {python:14.1f} {postgres:11.1f}")
    # Queued until the worker takes it, loading the job and the upload, the summary and the job row's own commit:
    # the wall seconds outside the stages; its CPU is what the poll saw before the first stage began.
    python, postgres = cpu.get("", (0.0, 0.0))
    overhead = seconds - sum(took for _, took in stages)
    print(f"      {'(job overhead)':<24} {overhead:7.1f} {python:14.1f} {postgres:11.1f}")
    python, postgres = (sum(c) for c in zip(*cpu.values(), strict=True)) if cpu else (0.0, 0.0)
    print(f"      {'(job)':<24} {seconds:7.1f} {python:14.1f} {postgres:11.1f}")
    if job.error:
        print("      error:", job.error)


def peak_memory() -> tuple[float, float]:
    """(now, peak) resident MB of this process; the peak since the last reset_peak()."""
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


def reset_peak() -> None:
    """Linux: the peak resident size starts again from now (the generated file's workbook is not the import's)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def the_file(rows: int) -> bytes:
    """The generated workbook, kept in the temporary folder (generating 100,000 rows takes a minute or more)."""
    path = Path(tempfile.gettempdir()) / f"xueji-bench-import-{rows}-{FILE_VERSION}.xlsx"
    if not path.exists():
        path.write_bytes(import_file(rows))
    return path.read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("BENCH_URL"))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--broker", default="filesystem://")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: does the bench still run?")
    args = parser.parse_args()
    if args.smoke:
        args.rows = 200
    if not args.url or not args.url.startswith("postgresql"):
        parser.error("--url must name a PostgreSQL database (it is wiped)")
    print("machine:", machine())
    db_engine = build_database(args.url)
    tmp = Path(tempfile.mkdtemp(prefix="xueji-bench-jobs-"))
    app = create_app(
        {
            "DB_ENGINE": db_engine,
            "INSTANCE_DIR": tmp,
            "IMPORT_DIR": tmp / "imports",
            "BROKER_DIR": tmp / "broker",
            "BROKER_URL": args.broker,
            "BROKER_POLL_SECONDS": 0.1,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
        }
    )
    client = app.test_client()
    client.post("/login", data={"username": REGISTRAR, "password": Config.DEMO_PASSWORD})
    begin = time.perf_counter()
    data = the_file(args.rows)
    print(f"  file: {args.rows:,} rows, {len(data) / 1e6:.1f} MB, made or read in {time.perf_counter() - begin:.1f} s")
    with start_worker(app.extensions["celery"], pool="solo", perform_ping_check=False), Session(db_engine) as session:
        meter = Meter(session)
        before, _ = peak_memory()
        reset_peak()
        begin = time.perf_counter()
        upload = {"business_type": "新生注册", "action": "检查", "file": (io.BytesIO(data), "bench.xlsx")}
        posted = client.post("/registration/import", data=upload, content_type="multipart/form-data")
        job_id = int(posted.headers["Location"].rsplit("/", 1)[1])
        print(f"  upload (POST, file kept, job queued): {time.perf_counter() - begin:.1f} s")
        checked = wait(session, job_id, meter)
        dry = time.perf_counter() - begin
        report("check job", checked, dry, meter)
        _, peak = peak_memory()
        print(f"      peak memory {peak:,.0f} MB ({before:,.0f} MB before the upload)")
        reset_peak()
        meter = Meter(session)
        begin = time.perf_counter()
        confirm = {"business_type": "新生注册", "action": "确认导入", "token": checked.params["token"]}
        job_id = int(client.post("/registration/import", data=confirm).headers["Location"].rsplit("/", 1)[1])
        committed = wait(session, job_id, meter)
        commit = time.perf_counter() - begin
        report("import job", committed, commit, meter)
        imported = committed.result.get("imported", 0)
        print(f"  end to end: {dry + commit:.1f} s for {imported:,} registrations · goal < 20 s")
        _, peak = peak_memory()
        print(f"      peak memory {peak:,.0f} MB")
        print("  jobs:", [(j.kind, j.state.value) for j in session.scalars(select(Job).order_by(Job.id))])


if __name__ == "__main__":
    main()
