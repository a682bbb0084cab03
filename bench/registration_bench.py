"""Benchmark of issue 4 on PostgreSQL: (a) a 100,000-row import, dry run + commit; (b) 查重 of a 50-row class
against 1 M and 10 M students; both with the sensitive fields encrypted (issue 22 item 1) and without.

    python bench/registration_bench.py --url postgresql+psycopg://postgres@127.0.0.1/xueji_bench_i4 \
        [--import-rows 100000] [--students 1000000 10000000] [--encryption on off] [--smoke]

Builds a fresh database (migrations + the demo world), generates the students set-based in SQL
(``generate_series``, never through the ORM), and prints the figures and the machine. Goals: (a) < 20 s,
(b) < 50 ms. Asserts nothing about time. ``--smoke``: 200 rows and 1,000 students, to show the bench still runs.
The database named by --url is wiped, once per --encryption mode. Encryption off (XUEJI_ENCRYPTION=0) stores the
values as they are but keeps the blind index, so the two runs differ by exactly the sealing and opening.
"""

from __future__ import annotations

import argparse
import io
import os
import pickle
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import xlsxwriter  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from handlers import student_import  # noqa: E402
from models import crypto, dedup  # noqa: E402
from models.base import utcnow  # noqa: E402
from models.bulk import paused_gc  # noqa: E402
from models.student import Guardian, Student  # noqa: E402
from models.template_columns import COLUMNS  # noqa: E402
from models.user import User  # noqa: E402
from webapp.demo_database import build_database  # noqa: E402
from webapp.demo_rows import valid_row  # noqa: E402

# The generated rows fill every required column of the 72 (and a few optional ones); the rest stay empty.
ROW = valid_row(0, id_doc_type="其他", id_doc_number="")
FILLED = sum(1 for c in COLUMNS if str(ROW.get(c.key, "")).strip())

GENERATE = """
INSERT INTO student (name, sex, birth_date, ethnicity, id_doc_type, id_doc_number, id_doc_index, national_student_id,
    school_id,
    status, created_at, registration_state, dedup_status, nationality, is_out_of_county, profile)
SELECT '学生' || g,
       CASE WHEN g % 2 = 0 THEN '1' ELSE '2' END,
       DATE '2008-01-01' + (g % 5000),
       '汉族',
       CASE WHEN g % 10 = 0 THEN 'Z' ELSE '1' END,
       CASE WHEN g % 10 = 0 THEN NULL WHEN :sealed THEN 'v1:' || encode(substr(sha256(g::text::bytea)
            || sha256(g::text::bytea), 1, 46), 'base64') ELSE '9' || lpad(g::text, 16, '0') || 'X' END,
       CASE WHEN g % 10 = 0 THEN NULL ELSE substr(encode(sha256(:outer_pad || sha256(:inner_pad
            || convert_to('9' || lpad(g::text, 16, '0') || 'X', 'UTF8'))), 'hex'), 1, 32) END,
       'G9' || lpad(g::text, 16, '0') || 'X',
       :school_id, 'in_school', now(), 'approved', 'ok', '中国', false, '{}'
FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS g
"""


def hmac_pads() -> dict[str, bytes]:
    """HMAC-SHA256 as SQL computes it (sha256 of the key's outer pad and of the inner pad with the message), so
    that the generated students carry the blind index models.crypto would give them. Encrypted, their numbers
    are stand-ins of a sealed value's length (64 base64 characters after the version), never opened here."""
    key = crypto.keyring_in_force().index_key.ljust(64, b"\0")
    return {"inner_pad": bytes(b ^ 0x36 for b in key), "outer_pad": bytes(b ^ 0x5C for b in key)}


def machine() -> str:
    cpu = "?"
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    return f"{platform.node()} · {cpu} · {os.cpu_count()} CPUs · Python {platform.python_version()}"


def grow_to(session: Session, target: int) -> None:
    """Add generated students until the table holds ``target`` rows, in 1 M batches, set-based."""
    school_id = session.scalar(select(User.org_id).where(User.username == "nanming-xx-registrar"))
    have = session.scalar(select(func.count()).select_from(Student)) or 0
    start = have + 1
    while start <= target:
        last = min(start + 1_000_000 - 1, target)
        sealed = crypto.keyring_in_force().enabled
        parameters = {"school_id": school_id, "first": start, "last": last, "sealed": sealed, **hmac_pads()}
        session.execute(text(GENERATE), parameters)
        session.commit()
        start = last + 1
    session.execute(text("ANALYZE student"))
    session.commit()


def class_keys(n: int, total: int) -> list:
    """A class of 50: half already in the database (ID or, one in ten, name + sex + birth date), half new."""
    keys: list = []
    for i in range(50):
        g = (i * 7919 + 13) % total + 1
        if i % 2:
            keys.append(f"8{n:02d}{i:015d}X")  # new ID number
        elif g % 10 == 0:
            keys.append((f"学生{g}", "1" if g % 2 == 0 else "2", _date(g)))
        else:
            keys.append("9" + f"{g:016d}" + "X")
    return keys


def _date(g: int):
    from datetime import date, timedelta

    return date(2008, 1, 1) + timedelta(days=g % 5000)


def bench_dedup(session: Session, total: int, runs: int = 20) -> tuple[float, float, int]:
    times, found = [], 0
    for n in range(runs):
        keys = class_keys(n, total)
        begin = time.perf_counter()
        result = dedup.find(session, keys)
        times.append((time.perf_counter() - begin) * 1000)
        found = sum(len(v) for v in result.values())
    return statistics.median(times), max(times), found


def import_file(rows: int) -> bytes:
    """The template filled in as Excel or WPS saves it: a shared-strings table and no cells for empty values
    (openpyxl would write every text inline, character references and all, at several times the size)."""
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet("学生信息")
    ws.write_row(0, 0, [("★" if c.required else "") + c.header for c in COLUMNS])
    for n in range(rows):
        row = valid_row(n % 400, name=f"导入{n}", id_doc_type="其他", id_doc_number="", class_no="101")
        for col, column in enumerate(COLUMNS):
            if value := row.get(column.key):
                ws.write_string(n + 1, col, str(value))
    wb.close()
    return out.getvalue()


def bench_import(session: Session, rows: int) -> None:
    registrar = session.scalars(select(User).where(User.username == "nanming-xx-registrar")).one()
    begin = time.perf_counter()
    data = import_file(rows)
    print(f"  file generated: {len(data) / 1e6:.1f} MB in {time.perf_counter() - begin:.1f} s (not part of the figure)")
    begin = time.perf_counter()
    report = student_import.dry_run(session, actor=registrar, data=data, business_type="新生注册", now=utcnow())
    dry = time.perf_counter() - begin
    assert report.ok, report.errors[:5]
    begin = time.perf_counter()
    with paused_gc():  # as webapp/uploads.py does
        kept = pickle.loads(pickle.dumps(report.validated, pickle.HIGHEST_PROTOCOL))  # noqa: S301 (our own bytes)
    between = time.perf_counter() - begin
    begin = time.perf_counter()
    report, committed = student_import.commit(
        session, actor=registrar, data=data, business_type="新生注册", now=utcnow(), validated=report.validated
    )
    session.commit()
    commit = time.perf_counter() - begin
    assert [kept.record(i) for i in range(3)] == [report.validated.record(i) for i in range(3)]
    print(f"(a) import of {rows:,} rows × {FILLED} filled columns (of the template's {len(COLUMNS)}):")
    print(
        f"    dry run {dry:.1f} s · commit (database checks, inserts, 查重) {commit:.1f} s · total {dry + commit:.1f} s"
    )
    print(
        f"    created {len(committed.student_ids):,} registrations, {len(committed.problems):,} 查重 problems",
        "· goal < 20 s",
    )
    print(
        f"    in the browser the dry run's results are kept on disk between the two requests: + {between:.1f} s",
        "(pickle out and back; 「导入」 without 「检查」 first skips it)",
    )


def bench_sealing(rows: int) -> None:
    """The cipher's own share, apart from the database: sealing and opening the sensitive values an import of
    ``rows`` students writes (per student: the ID number and five profile keys; per member, two a student: phone,
    ID number, address), as the COPY path seals them."""
    row = valid_row(0)
    student = {"id_doc_number": row["id_doc_number"], "profile": {k: row.get(k, "") for k in ("current_address",
               "mailing_address", "home_address", "phone", "email")} | {"left_behind": "否"}}  # fmt: skip
    member = {"phone": row["m1_phone"], "id_doc_number": row["m1_id_doc_number"], "profile": {"current_address": "x"}}
    begin = time.perf_counter()
    sealed_students = list(crypto.seal_rows(Student.__table__, (student for _ in range(rows))))
    sealed_members = list(crypto.seal_rows(Guardian.__table__, (member for _ in range(2 * rows))))
    seal = time.perf_counter() - begin
    keyring = crypto.keyring_in_force()
    begin = time.perf_counter()
    for done in sealed_students:
        keyring.decrypt(done["id_doc_number"])
        {k: keyring.decrypt(v) for k, v in done["profile"].items() if isinstance(v, str)}
    for done in sealed_members:
        keyring.decrypt(done["phone"]), keyring.decrypt(done["id_doc_number"] or "")
    opened = time.perf_counter() - begin
    print(f"(c) the values of {rows:,} students and {2 * rows:,} members: sealed (with blind indexes) in {seal:.1f} s,")
    print(f"    opened in {opened:.1f} s, on one core")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("XUEJI_BENCH_DATABASE_URL"), required=False)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--students", type=int, nargs="*", default=[1_000_000, 10_000_000])
    parser.add_argument("--encryption", nargs="*", choices=["on", "off"], default=["on", "off"])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: does the bench still run?")
    args = parser.parse_args()
    if args.smoke:
        args.import_rows, args.students = 200, [1_000]
    if not args.url or not args.url.startswith("postgresql"):
        parser.error(
            "--url must name a PostgreSQL database (e.g. postgresql+psycopg://postgres@127.0.0.1/xueji_bench_i4)"
        )
    print("machine:", machine())
    for mode in args.encryption:
        provider = crypto.default_provider(os.environ)
        crypto.install(provider if mode == "on" else crypto.PlainProvider(provider))
        keyring = crypto.keyring_in_force()
        cipher = keyring.keys[keyring.current].cipher if keyring.enabled else "none"
        print(f"== encryption {mode} (cipher {cipher}, blind index HMAC-SHA256 either way)")
        run(args)


def run(args: argparse.Namespace) -> None:
    db_engine = build_database(args.url)
    with Session(db_engine) as session:
        print("PostgreSQL", session.scalar(text("SHOW server_version")))
        if args.import_rows:
            bench_sealing(args.import_rows)
            bench_import(session, args.import_rows)
        for total in args.students:
            begin = time.perf_counter()
            grow_to(session, total)
            print(f"  generated {total:,} students in {time.perf_counter() - begin:.0f} s (generate_series)")
            median, worst, found = bench_dedup(session, total)
            print(
                f"(b) 查重 of a 50-row class against {total:,} students: median {median:.1f} ms, "
                f"max {worst:.1f} ms over 20 classes ({found} duplicates found per class) · goal < 50 ms"
            )
    db_engine.dispose()


if __name__ == "__main__":
    main()
