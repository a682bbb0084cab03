"""Browser tests: the real app in a subprocess on a fresh SQLite file, driven by Playwright with Debian's Chromium.

The browser is never downloaded (no ``playwright install``): Playwright launches ``/usr/bin/chromium`` (or
``XUEJI_CHROMIUM``). Without it the tests are skipped, unless ``XUEJI_E2E_REQUIRED=1`` (CI): then a missing
browser is a failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

import engine
import handlers
from models import crypto
from webapp.config import ROOT

# The tests start and advance cases in this process too (not only in the served app, whose create_app wires this).
engine.use_handlers(handlers.REGISTRY)

CHROMIUM = Path(os.environ.get("XUEJI_CHROMIUM", "/usr/bin/chromium"))  # Debian's package
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
STUDENTS = 200
START_TIMEOUT = 30  # seconds for the server to answer
TIMEOUT_MS = 15_000  # per Playwright action / assertion

expect.set_options(timeout=TIMEOUT_MS)


@dataclass(frozen=True)
class LiveServer:
    url: str
    log: Path
    database_url: str  # for seeding bulk data through the real engine (the pages do the rest)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _flask(*args: str) -> list[str]:
    # The interpreter running pytest is .venv/bin/python: the same environment as .venv/bin/flask.
    return [sys.executable, "-m", "flask", "--app", "webapp:create_app", *args]


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the app exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url + "/login", timeout=2) as response:  # noqa: S310 -- our own http://127.0.0.1
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    pytest.fail(f"the app did not answer on {url} within {START_TIMEOUT}s:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``flask xueji demo`` on a fresh SQLite file, then ``flask run`` on a free port and one Celery worker beside
    it (as ``make run``), sharing the instance folder (the broker's files, the uploads); stopped at the end."""
    tmp = tmp_path_factory.mktemp("e2e")
    env = {
        **os.environ,
        "XUEJI_DATABASE_URL": f"sqlite:///{tmp / 'e2e.sqlite3'}",
        "XUEJI_DEMO": "1",
        "XUEJI_SECURE_COOKIES": "0",
        "XUEJI_SECRET_KEY": "e2e",
        "XUEJI_INSTANCE_DIR": str(tmp / "instance"),
        "PYTHONUNBUFFERED": "1",
    }
    key_file = crypto.key_file_in_force()
    if key_file is not None:  # the tests read and write the served database too: one set of data keys for both
        env["XUEJI_DATA_KEY_FILE"] = str(key_file)
    subprocess.run(  # noqa: S603 -- fixed argv
        _flask("xueji", "demo", "--students", str(STUDENTS)), cwd=ROOT, env=env, check=True, timeout=300
    )
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp / "server.log"
    worker_argv = [sys.executable, "-m", "celery", "-A", "webapp.worker", "worker", "--pool", "solo"]
    worker_argv += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING"]
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 -- fixed argv
            _flask("run", "--host", "127.0.0.1", "--port", str(port)),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        worker = subprocess.Popen(worker_argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        _wait_until_up(url, process, log)
        yield LiveServer(url, log, env["XUEJI_DATABASE_URL"])
    finally:
        for started in (process, worker):
            started.terminate()
            try:
                started.wait(timeout=10)
            except subprocess.TimeoutExpired:
                started.kill()
                started.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found (apt-get install chromium)"
        if os.environ.get("XUEJI_E2E_REQUIRED") == "1":
            pytest.fail(message + "; XUEJI_E2E_REQUIRED=1")
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """e2e/artifacts/ (gitignored): screenshots."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def page(
    browser: Browser, live_server: LiveServer, artifacts_dir: Path, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A fresh browser context per test; on failure a screenshot goes to e2e/artifacts/. Anything the browser
    refused under the content-security policy (an inline script or style) fails the test."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    new_page = context.new_page()
    refused: list[str] = []
    new_page.on("console", lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield new_page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        new_page.screenshot(path=artifacts_dir / f"{request.node.name}-failed.png", full_page=True)
    context.close()
    assert not refused, "the browser refused under the content-security policy:\n" + "\n".join(refused)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Iterator[Any]:
    """Keep each phase's report on the item, so ``page`` can tell whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
