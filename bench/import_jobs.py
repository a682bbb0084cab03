"""Issue 13: the 100,000-row import end to end through the job path on PostgreSQL, per stage.

Upload (the web's POST, Flask test client) → the dry-run job on a real Celery worker → 确认导入 → the commit job,
each job's stages as its progress reporter timed them (jobs/runner.py). The broker is the embedded one (files)
unless --broker names Redis. The database named by --url is wiped. Prints figures; asserts nothing about time.

    make bench-import BENCH_URL=postgresql+psycopg://postgres@127.0.0.1/xueji_bench_jobs
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
from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.registration_bench import import_file, machine  # noqa: E402
from models.job import FINISHED, Job  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.config import Config  # noqa: E402
from webapp.demo_database import build_database  # noqa: E402

REGISTRAR = "nanming-xx-registrar"


def wait(session: Session, job_id: int) -> Job:
    while True:
        session.rollback()
        job = session.get_one(Job, job_id)
        if job.state in FINISHED:
            return job
        time.sleep(0.1)


def report(label: str, job: Job, seconds: float) -> None:
    print(f"  {label}: {job.state.label} in {seconds:.1f} s (submit to finished, as the user waits)")
    for stage, took in job.result.get("stages", []):
        print(f"      {stage:<12} {took:6.1f} s")
    if job.error:
        print("      error:", job.error)


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
    data = import_file(args.rows)
    print(f"  file: {args.rows:,} rows, {len(data) / 1e6:.1f} MB, generated in {time.perf_counter() - begin:.1f} s")
    with start_worker(app.extensions["celery"], pool="solo", perform_ping_check=False), Session(db_engine) as session:
        begin = time.perf_counter()
        upload = {"business_type": "新生注册", "action": "检查", "file": (io.BytesIO(data), "bench.xlsx")}
        posted = client.post("/registration/import", data=upload, content_type="multipart/form-data")
        job_id = int(posted.headers["Location"].rsplit("/", 1)[1])
        print(f"  upload (POST, file kept, job queued): {time.perf_counter() - begin:.1f} s")
        checked = wait(session, job_id)
        dry = time.perf_counter() - begin
        report("check job", checked, dry)
        begin = time.perf_counter()
        confirm = {"business_type": "新生注册", "action": "确认导入", "token": checked.params["token"]}
        job_id = int(client.post("/registration/import", data=confirm).headers["Location"].rsplit("/", 1)[1])
        committed = wait(session, job_id)
        commit = time.perf_counter() - begin
        report("import job", committed, commit)
        imported = committed.result.get("imported", 0)
        print(f"  end to end: {dry + commit:.1f} s for {imported:,} registrations · goal < 20 s")
        print("  jobs:", [(j.kind, j.state.value) for j in session.scalars(select(Job).order_by(Job.id))])


if __name__ == "__main__":
    main()
