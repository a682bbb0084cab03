"""Every benchmark in bench/ still runs: each in its ``--smoke`` mode (tiny sizes) as a subprocess, which must exit
0 and print its figures. The PostgreSQL-only ones run when XUEJI_TEST_DATABASE_URL is PostgreSQL, each on a
throwaway database beside the test one (a bench wipes the database it is given)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import throwaway_postgres
from webapp.config import ROOT

# bench file → lines its output must have (the figures it exists to print)
FIGURES = {
    "exchange_throughput.py": (
        "outbox → broker → inbox: ",
        "end-to-end latency (outbox row written → applied): p50",
        "one message at a time, written → applied: p50",
    ),
    "engine_cycle.py": ("start case            median", "complete county task  median", "inbox page,"),
    "promotion.py": ("students in the database: 2,", "promotion 20", "undo: "),
    "registration_bench.py": ("(a) import of 200 rows", "created 200 registrations", "(b) 查重 of a 50-row class"),
    "import_jobs.py": ("check job: ", "import job: ", "end to end: "),
    "prints.py": ("roster PDF of a school of", "one class's roster through the app: p50", "one record card"),
    "reports.py": ("recount (report_count", "province statistics page (2,312 students): p50", "export: p50"),
    "http_load.py": ("HTTP, 4 users: ", "  inbox page: ", "  complete task: "),
    "scale.py": (
        "inbox page, default (oldest first): p50",
        "task completions, 4 worker(s):",
        "case page with 200+ steps",
    ),
    "workbench.py": (
        "inbox of 南明区: 100 open tasks",
        "inbox page, default (oldest first): p50",
        "bulk approval of 5 tasks",
    ),
}
NEEDS_RABBITMQ = {"exchange_throughput.py"}  # two provinces over the real broker (.ci/run starts it)
POSTGRESQL_ONLY = {"http_load.py", "import_jobs.py", "promotion.py", "registration_bench.py", "reports.py", "scale.py"}


def rabbitmq_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=2):
            return True
    except OSError:
        return False


def run_bench(name: str, url: str) -> str:
    done = subprocess.run(  # noqa: S603 -- this interpreter running a file of bench/
        [sys.executable, str(ROOT / "bench" / name), "--smoke", "--url", url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"bench/{name} --smoke failed:\n{done.stdout}\n{done.stderr[-4000:]}"
    missing = [line for line in FIGURES[name] if line not in done.stdout]
    assert not missing, f"bench/{name} --smoke did not print {missing}:\n{done.stdout}"
    return done.stdout


def test_every_bench_has_a_smoke_run():
    assert sorted(p.name for p in (ROOT / "bench").glob("*.py")) == sorted(FIGURES)


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_bench_runs(name: str, tmp_path: Path):
    """On the suite's database kind: each bench once on a throwaway PostgreSQL database, or on a SQLite file."""
    if name in NEEDS_RABBITMQ and not rabbitmq_reachable():
        pytest.skip("RabbitMQ is not reachable on 127.0.0.1:5672 (.ci/run starts it)")
    if os.environ.get("XUEJI_TEST_DATABASE_URL", "").startswith("postgresql"):
        with throwaway_postgres("bench") as url:
            run_bench(name, url)
    elif name in POSTGRESQL_ONLY:
        pytest.skip("PostgreSQL only: runs when XUEJI_TEST_DATABASE_URL is PostgreSQL")
    else:
        run_bench(name, f"sqlite:///{tmp_path / 'bench.sqlite3'}")
