"""Production serving: the Procfile's web line (gunicorn with gunicorn.conf.py) serves the login page on a loopback
port; production mode refuses the demo's secrets; static assets carry cache headers."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import Engine

from conftest import PASSWORD
from models import crypto
from webapp import create_app
from webapp.config import ROOT
from webapp.production import UnsafeConfiguration

STRONG_KEY = "k" * 40


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line and not line.startswith("#"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_procfile_names_web_worker_and_beat():
    assert set(procfile()) == {"web", "worker", "beat"}
    assert procfile()["worker"].startswith("celery -A webapp.worker worker")


def test_gunicorn_serves_the_login_page_with_cached_static_files(tmp_path: Path, db_engine: Engine):
    port = free_port()
    env = {
        **os.environ,
        "XUEJI_BIND": f"127.0.0.1:{port}",
        "XUEJI_WEB_WORKERS": "2",
        "XUEJI_DATABASE_URL": db_engine.url.render_as_string(hide_password=False),
        "XUEJI_INSTANCE_DIR": str(tmp_path),
        "XUEJI_SECRET_KEY": STRONG_KEY,
    }
    command = shlex.split(procfile()["web"])
    command[0] = str(Path(sys.executable).parent / command[0])  # the virtualenv's gunicorn
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            body, _ = _get(f"http://127.0.0.1:{port}/login", server, log)
            assert "登录" in body
            _, headers = _get(f"http://127.0.0.1:{port}/static/xueji.css", server, log)
            assert "max-age=3600" in headers["Cache-Control"]
        finally:
            server.terminate()
            server.wait(30)


def _get(url: str, server: subprocess.Popen[bytes], log: Path) -> tuple[str, dict[str, str]]:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 -- a loopback URL of our own
                return response.read().decode(), dict(response.headers)
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"gunicorn did not serve {url}:\n{log.read_text()}") from None
            time.sleep(0.2)


def production(db_engine: Engine, tmp_path: Path, **config: object) -> object:
    return create_app(
        {
            "PRODUCTION": True,
            "DB_ENGINE": db_engine,
            "INSTANCE_DIR": tmp_path,
            "DEMO_MODE": False,
            "SECRET_KEY": STRONG_KEY,
            **config,
        }
    )


def test_production_refuses_the_demo_key_demo_mode_and_demo_passwords(db_engine: Engine, tmp_path: Path):
    """The test database is the demo world: every user has the demo password, so production refuses it even with
    a key of its own; with another password it would start."""
    with pytest.raises(UnsafeConfiguration, match="XUEJI_SECRET_KEY"):
        production(db_engine, tmp_path, SECRET_KEY=None)
    with pytest.raises(UnsafeConfiguration, match="演示模式"):
        production(db_engine, tmp_path, DEMO_MODE=True)
    with pytest.raises(UnsafeConfiguration, match="演示密码"):
        production(db_engine, tmp_path)
    # The demo administrators' second factor is the documented secret: refused as well.
    with pytest.raises(UnsafeConfiguration, match="动态口令密钥"):
        production(db_engine, tmp_path, DEMO_PASSWORD=PASSWORD + "-not-this-one")
    others = {"DEMO_PASSWORD": PASSWORD + "-not-this-one", "DEMO_TOTP_SECRET": "ANOTHERSECRETANOTHERSECRET234567"}
    # Issue 22 item 1: the key file made on first use is the embedded default's; production names its keys …
    with pytest.raises(UnsafeConfiguration, match="数据加密密钥"):
        production(db_engine, tmp_path, DATA_KEY_FILE="", **others)
    key_file = str(crypto.default_provider(os.environ).path)  # type: ignore[attr-defined]
    # … and does not switch encryption off.
    with pytest.raises(UnsafeConfiguration, match="关闭数据加密"):
        production(db_engine, tmp_path, DATA_KEY_FILE=key_file, ENCRYPTION=False, **others)
    assert production(db_engine, tmp_path, DATA_KEY_FILE=key_file, **others)
