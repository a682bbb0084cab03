"""Benchmark: messages between two provinces deployed apart, outbox → RabbitMQ → inbox (issue 15).

    python bench/exchange_throughput.py [--messages 2000] [--url A-database] [--broker amqp://...] [--smoke]

Two databases, one per province (--url and a sibling "<name>_b"; SQLite files by default), both wiped and built
with the demo world. 贵州 writes messages to its outbox in batches as a case step would and its relay publishes
them (publisher confirms, signed); 北京's inbox, in a thread of its own with its own connection, records each id
and applies it — what has arrived together in one transaction, one receipt per sender, then the acks (no case
waits for these probes: the inbox, routing and commit are timed, not a case's work).
Prints messages per second through the whole path and the end-to-end latency (outbox row written → applied in
the other province's database) p50/p95. Needs RabbitMQ; queues are named xueji-bench-<pid>.* and deleted.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, make_url, select, text  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from federation import broker, relay  # noqa: E402
from federation.inbox import Inbox  # noqa: E402
from federation.settings import Settings, new_key, peer_keys, private_key  # noqa: E402
from models.clock import as_utc  # noqa: E402
from models.exchange import ExchangeMessage, MessageStatus  # noqa: E402
from models.federation import InboxMessage  # noqa: E402
from webapp.demo_database import WORLD_STUDENTS, build_database  # noqa: E402

A, B = "520000", "110000"


def sibling(url: str) -> str:
    """Province B's database beside A's: a SQLite file next to it, or a PostgreSQL database "<name>_b"."""
    a = make_url(url)
    if a.get_backend_name() == "sqlite":
        path = Path(a.database or "bench.sqlite3")
        return a.set(database=str(path.with_name(path.stem + "_b" + path.suffix))).render_as_string(False)
    name = f"{a.database}_b"
    admin = create_engine(a.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return a.set(database=name).render_as_string(False)


def build(url: str):
    """A fresh database with the demo world (a SQLite file is removed first: migrations start from nothing)."""
    address = make_url(url)
    if address.get_backend_name() == "sqlite" and address.database:
        for suffix in ("", "-wal", "-shm"):
            Path(address.database + suffix).unlink(missing_ok=True)
    return build_database(url, students=WORLD_STUDENTS)


def run(settings: dict[str, Settings], sessions: dict[str, sessionmaker], messages: int, batch_size: int):
    """贵州 writes and relays ``messages`` in batches while 北京's inbox consumes in a thread: (applied, seconds,
    sorted latencies in ms)."""
    inbox = Inbox(settings[B], sessions[B])
    stop = threading.Event()

    def consume() -> None:
        with broker.connect(settings[B]) as connection:
            while not stop.is_set() or inbox.tally.applied < messages:
                inbox.drain(connection, idle=0.2)
                if inbox.tally.applied >= messages:
                    return

    with broker.connect(settings[B]) as connection:  # B's queue exists before the first message
        broker.inbox_queue(settings[B], B).bind(connection.default_channel).declare()
    consumer = threading.Thread(target=consume)
    begin = time.perf_counter()
    consumer.start()
    try:
        with sessions[A]() as session, broker.connect(settings[A]) as connection:
            written = 0
            while written < messages:
                for _ in range(min(batch_size, messages - written)):
                    session.add(
                        ExchangeMessage(
                            name="bench_probe",
                            correlation=f"bench-{uuid.uuid4().hex[:12]}",
                            payload={"n": written},
                            uid=str(uuid.uuid4()),
                            destination=B,
                            seq=1,
                            status=MessageStatus.OUTBOX,
                        )
                    )
                    written += 1
                session.commit()
                relay.publish_outbox(session, settings[A], connection)
    finally:
        stop.set()
        consumer.join(timeout=600)
    elapsed = time.perf_counter() - begin
    with sessions[B]() as session:
        rows = session.execute(select(InboxMessage.sent_at, InboxMessage.applied_at)).all()
    latencies = sorted((as_utc(done) - as_utc(sent)).total_seconds() * 1000 for sent, done in rows if sent and done)
    return inbox.tally.applied, elapsed, latencies


def one_at_a_time(settings: dict[str, Settings], sessions: dict[str, sessionmaker], messages: int) -> list[float]:
    """Latency without a queue in front: one message written, relayed and applied before the next (ms, sorted)."""
    inbox = Inbox(settings[B], sessions[B])
    latencies = []
    with broker.connect(settings[A]) as out, broker.connect(settings[B]) as into, sessions[A]() as session:
        for n in range(messages):
            uid = str(uuid.uuid4())
            begin = time.perf_counter()
            session.add(
                ExchangeMessage(
                    name="bench_probe",
                    correlation=f"bench-{uid[:12]}",
                    payload={"n": n},
                    uid=uid,
                    destination=B,
                    seq=1,
                    status=MessageStatus.OUTBOX,
                )
            )
            session.commit()
            relay.publish_outbox(session, settings[A], out)
            inbox.drain(into, idle=5, limit=1)
            latencies.append((time.perf_counter() - begin) * 1000)
    return sorted(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=20, help="outbox rows written per transaction")
    parser.add_argument("--url", default=os.environ.get("XUEJI_BENCH_DATABASE_URL"))
    parser.add_argument(
        "--broker", default=os.environ.get("XUEJI_FEDERATION_URL", "amqp://guest:guest@127.0.0.1:5672//")
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: does the bench still run?")
    args = parser.parse_args()
    if args.smoke:
        args.messages = 40
    url_a = args.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    url_b = sibling(url_a)
    keys = {A: new_key(), B: new_key()}
    peers = peer_keys(",".join(f"{code}={public}" for code, (_, public) in keys.items()))
    prefix = f"xueji-bench-{os.getpid()}"
    settings = {code: Settings(code, args.broker, private_key(keys[code][0]), peers, prefix) for code in (A, B)}
    engines = {A: build(url_a), B: build(url_b)}
    sessions = {code: sessionmaker(bind=engines[code], info={"province_code": code}) for code in (A, B)}

    try:
        applied, elapsed, latencies = run(settings, sessions, args.messages, args.batch)
        single = one_at_a_time(settings, sessions, 5 if args.smoke else 50)
    finally:
        broker.delete_queues(settings[A], [A, B])
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)] if latencies else float("nan")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    where = engines[A].url.render_as_string(hide_password=True)
    print(f"databases: {where} and its sibling _b; broker {args.broker.split('@')[-1]}")
    print(f"messages applied in the other province: {applied} of {args.messages}")
    print(f"outbox → broker → inbox: {len(latencies) / elapsed:.0f} messages/s ({elapsed:.2f} s)")
    p50 = statistics.median(latencies)
    burst = f"p50 {p50:.1f} ms, p95 {p95:.1f} ms"
    print(f"end-to-end latency (outbox row written → applied): {burst} (queued behind the burst)")
    alone95 = single[max(0, int(len(single) * 0.95) - 1)]
    print(f"one message at a time, written → applied: p50 {statistics.median(single):.1f} ms, p95 {alone95:.1f} ms")
    for db_engine in engines.values():
        db_engine.dispose()


if __name__ == "__main__":
    main()
