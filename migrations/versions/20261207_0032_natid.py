"""全国学籍号 stored sealed (issue 22 item 1): a G number is "G" + the 居民身份证 number

student.national_student_id and regional_override.national_student_id are encrypted like the ID number, with a blind
index (HMAC of the upper-cased number, the ID number's index key) that the look-ups and the one-active-record unique
index use; student.national_id_kind keeps the plain L/G/J letter; number_counter holds the last J sequence of each
(area, birth date) prefix, seeded from the existing J numbers. Rows are rewritten in batches of 1,000 in id order; a
value already sealed is left as it is, so the upgrade may be run again after an interruption.

Revision ID: 0032_natid
Revises: 0025_encryption
Create Date: 2026-12-07 18:10:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from models import crypto

revision = "0032_natid"
down_revision = "0025_encryption"
branch_labels = None
depends_on = None

BATCH = 1000
ACTIVE = sa.text("status <> 'transferred_out'")


def upgrade() -> None:
    # As in 0025: no table rebuild on SQLite (it cannot drop the student table that other rows point at inside the
    # migration's transaction); its columns take text of any length, and SQLite >= 3.35 adds columns in place.
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("student", sa.Column("national_id_index", sa.String(length=32), nullable=True))
    op.add_column("student", sa.Column("national_id_kind", sa.String(length=1), nullable=True))
    op.add_column("regional_override", sa.Column("national_id_index", sa.String(length=32), nullable=True))
    op.create_table(
        "number_counter",
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", name=op.f("pk_number_counter")),
    )
    if not sqlite:
        op.alter_column("student", "national_student_id", type_=sa.String(), existing_nullable=True)
        op.alter_column("regional_override", "national_student_id", type_=sa.String(), existing_nullable=True)
    op.drop_index("uq_student_national_student_id_active", table_name="student")
    op.drop_index("ix_regional_override_national_student_id", table_name="regional_override")
    counters: dict[str, int] = {}
    _rewrite("student", seal=True, kind=True, counters=counters)
    _rewrite("regional_override", seal=True, kind=False, counters=counters)
    if counters:
        op.bulk_insert(
            sa.table("number_counter", sa.column("prefix", sa.String()), sa.column("last", sa.Integer())),
            [{"prefix": p, "last": n} for p, n in sorted(counters.items())],
        )
    op.create_index(
        "uq_student_national_id_index_active",
        "student",
        ["national_id_index"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )
    op.create_index("ix_regional_override_national_id_index", "regional_override", ["national_id_index"])


def downgrade() -> None:
    op.drop_index("ix_regional_override_national_id_index", table_name="regional_override")
    op.drop_index("uq_student_national_id_index_active", table_name="student")
    _rewrite("student", seal=False, kind=True, counters={})
    _rewrite("regional_override", seal=False, kind=False, counters={})
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("regional_override", "national_student_id", type_=sa.String(length=19), existing_nullable=True)
        op.alter_column("student", "national_student_id", type_=sa.String(length=19), existing_nullable=True)
    op.create_index("ix_regional_override_national_student_id", "regional_override", ["national_student_id"])
    op.create_index(
        "uq_student_national_student_id_active",
        "student",
        ["national_student_id"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )
    op.drop_table("number_counter")
    with op.batch_alter_table("regional_override", recreate="never") as batch_op:
        batch_op.drop_column("national_id_index")
    with op.batch_alter_table("student", recreate="never") as batch_op:
        batch_op.drop_column("national_id_kind")
        batch_op.drop_column("national_id_index")


def _rewrite(name: str, *, seal: bool, kind: bool, counters: dict[str, int]) -> None:
    """Each row's number sealed (with its index and kind) or opened, a batch at a time in id order; the last J
    sequence of each prefix counted on the way up."""
    table = sa.table(
        name,
        sa.column("id", sa.Integer()),
        sa.column("national_student_id", sa.Text()),
        sa.column("national_id_index", sa.String()),
        *([sa.column("national_id_kind", sa.String())] if kind else []),
    )
    keyring = crypto.keyring_in_force()
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(table.c.id, table.c.national_student_id)
            .where(table.c.id > last, table.c.national_student_id.is_not(None))
            .order_by(table.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        last = rows[-1].id
        changes: list[dict[str, Any]] = []
        for row in rows:
            stored = row.national_student_id
            plain = keyring.decrypt(stored)
            sealed = keyring.version_of(stored) is not None
            change: dict[str, Any] = {"id_": row.id, "b_number": stored}
            if seal:
                change["b_number"] = stored if sealed else keyring.encrypt(plain)
                change["b_index"] = keyring.blind_index(crypto.normalise_id(plain))
                if kind:
                    change["b_kind"] = crypto.number_kind(plain)
                    _count_j(plain, counters)
            else:
                change["b_number"] = plain
                change["b_index"] = None
                if kind:
                    change["b_kind"] = None
            changes.append(change)
        # Bound as b_<name>: a bind parameter may not share its column's name in an UPDATE's SET.
        values = {"national_student_id": sa.bindparam("b_number"), "national_id_index": sa.bindparam("b_index")}
        if kind:
            values["national_id_kind"] = sa.bindparam("b_kind")
        bind.execute(table.update().where(table.c.id == sa.bindparam("id_")).values(values), changes)


def _count_j(number: str, counters: dict[str, int]) -> None:
    """J + 6-digit area + 8-digit birth date (the prefix), then the 3-digit sequence and a check digit."""
    prefix, sequence = number[:15], number[15:18]
    if number.startswith("J") and len(number) == 19 and sequence.isdigit():  # noqa: PLR2004 -- the J format
        counters[prefix] = max(counters.get(prefix, 0), int(sequence))
