"""`make demo-provinces`: two provinces deployed apart on this machine, for a newcomer to walk a 跨省转学 from one
browser tab to the other (issue 15 item 6).

贵州 (520000) and 北京 (110000) each get a database of their own (SQLite files under instance/provinces/, or
XUEJI_DATABASE_URL_520000 / XUEJI_DATABASE_URL_110000), the demo world with only their own province's students in
school, a web application (ports PORT and PORT+1) and a `flask federation run` loop (relay and inbox). Both talk
through one RabbitMQ (XUEJI_FEDERATION_URL, default amqp://guest:guest@127.0.0.1:5672//); the signing keys are
made once and kept in instance/provinces/keys.json. Ctrl-C stops all four processes.

    python -m federation.demo [--port 5000] [--check]

``--check`` starts everything, waits until both web applications answer and both loops are running, then stops
(what tests/test_federation.py runs).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sqlalchemy import make_url, select, update
from sqlalchemy.orm import Session

from federation.settings import NATIONAL, new_key
from models.org import OrgLevel, OrgUnit
from models.student import Student, StudentStatus

ROOT = Path(__file__).resolve().parents[1]
PROVINCES = {
    "520000": ("贵州", "nanming-xx-registrar", "nanming-county"),
    "110000": ("北京", "dongcheng-xx-registrar", "dongcheng-county"),
}
DEFAULT_BROKER = "amqp://guest:guest@127.0.0.1:5672//"


def keep_own_province(session: Session, code: str) -> int:
    """The demo world holds every province; a deployment of its own keeps none of another province's students
    in school (they stand for the records it does not have). Returns how many were set aside."""
    own = session.scalars(
        select(OrgUnit).where(OrgUnit.level == OrgLevel.PROVINCE, OrgUnit.division_code == code)
    ).one()
    others = select(OrgUnit.id).where(
        OrgUnit.level == OrgLevel.SCHOOL, ~OrgUnit.path.startswith(own.path, autoescape=True)
    )
    result = session.execute(
        update(Student)
        .where(Student.school_id.in_(others), Student.status != StudentStatus.TRANSFERRED_OUT)
        .values(status=StudentStatus.TRANSFERRED_OUT)
    )
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def keys(folder: Path) -> dict[str, tuple[str, str]]:
    path = folder / "keys.json"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({code: new_key() for code in [*PROVINCES, NATIONAL]}))
        path.chmod(0o600)
    return {code: (pair[0], pair[1]) for code, pair in json.loads(path.read_text()).items()}


def environment(code: str, folder: Path, broker: str, prefix: str) -> dict[str, str]:
    pairs = keys(folder)
    database = os.environ.get(f"XUEJI_DATABASE_URL_{code}") or f"sqlite:///{folder / (code + '.sqlite3')}"
    return {
        **os.environ,
        "XUEJI_DEMO": "1",
        "XUEJI_SECURE_COOKIES": "0",
        "XUEJI_DATABASE_URL": database,
        "XUEJI_INSTANCE_DIR": str(folder / code),
        "XUEJI_PROVINCE_CODE": code,
        "XUEJI_FEDERATION_URL": broker,
        "XUEJI_FEDERATION_KEY": pairs[code][0],
        "XUEJI_FEDERATION_PEERS": ",".join(f"{peer}={public}" for peer, (_, public) in pairs.items()),
        "XUEJI_FEDERATION_PREFIX": prefix,
    }


def flask(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "webapp:create_app", *args]


def reachable(url: str) -> bool:
    address = make_url(url.replace("amqp://", "postgresql://", 1))  # host and port, parsed
    try:
        with socket.create_connection((address.host or "127.0.0.1", address.port or 5672), timeout=3):
            return True
    except OSError:
        return False


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=3) as response:  # noqa: S310
            return bool(response.status == 200)
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description="两个省份各自独立部署（跨省转学演示）")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--students", type=int, default=600, help="每省演示学生人数（首次载入时）")
    parser.add_argument("--check", action="store_true", help="启动、确认两省都在运行后退出")
    args = parser.parse_args()
    broker = os.environ.get("XUEJI_FEDERATION_URL") or DEFAULT_BROKER
    if not reachable(broker):
        print(
            f"连不上消息服务器 {broker.split('@')[-1]}：演示需要 RabbitMQ（如 `apt install rabbitmq-server`，"
            "或用 XUEJI_FEDERATION_URL 指向一个）",
            file=sys.stderr,
        )
        return 2
    folder = Path(os.environ.get("XUEJI_PROVINCES_DIR", ROOT / "instance" / "provinces"))
    prefix = os.environ.get("XUEJI_FEDERATION_PREFIX", "xueji-demo")
    envs = {code: environment(code, folder, broker, prefix) for code in PROVINCES}
    # Both databases at once: the demo world, only the province's own students in school.
    setups = [
        subprocess.Popen(flask("federation", "demo-setup", "--students", str(args.students)), env=env, cwd=ROOT)  # noqa: S603
        for env in envs.values()
    ]
    if any(setup.wait() for setup in setups):
        return 1
    running: list[subprocess.Popen[bytes]] = []
    try:
        for (code, env), port in zip(envs.items(), (args.port, args.port + 1), strict=True):
            running.append(subprocess.Popen(flask("federation", "run"), env=env, cwd=ROOT))  # noqa: S603
            serve = flask("run", "--host", args.host, "--port", str(port), "--no-reload")
            running.append(subprocess.Popen(serve, env=env, cwd=ROOT))  # noqa: S603
            name, school, county = PROVINCES[code]
            print(f"{name}（{code}）：http://{args.host}:{port}  {school} / {county}，密码 Xueji@2026")
        return serve_until_stopped(running, (args.port, args.port + 1), check=args.check)
    finally:
        for process in running:
            process.terminate()
        for process in running:
            process.wait(timeout=30)


def serve_until_stopped(running: list[subprocess.Popen[bytes]], ports: tuple[int, int], *, check: bool) -> int:
    deadline = time.monotonic() + 120
    while not all(answers(port) for port in ports):
        if time.monotonic() > deadline or any(process.poll() is not None for process in running):
            print("两省未能全部启动", file=sys.stderr)
            return 1
        time.sleep(0.5)
    print("两省已启动。跨省转学：在一省学校「跨省转学申请」，到另一省的学校与区县审核，再回来调档。Ctrl-C 停止。")
    if check:
        time.sleep(2)  # the loops have connected to the broker and run a round or more
        return 0 if all(process.poll() is None for process in running) else 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while all(process.poll() is None for process in running):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
