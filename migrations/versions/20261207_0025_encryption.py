"""Encryption at rest of ID numbers, phone numbers and addresses (issue 22 item 1), with a blind index for 查重;
the log archive's cuts (issue 22 item 3)

The sealed columns lose their length limit on PostgreSQL (a sealed value is longer than the plain one);
student.id_doc_index (HMAC of the normalised ID number) replaces the index on the number itself. Existing rows are encrypted in batches of 1,000
under the current key (models.crypto: the key file, XUEJI_DATA_KEYS or the configured key service); a value
already sealed is left as it is, so the upgrade may be run again after an interruption.

Revision ID: 0025_encryption
Revises: 0028_families
Create Date: 2026-12-07 17:30:00
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from models import crypto
from models.student import MEMBER_SEALED_PROFILE, STUDENT_SEALED_PROFILE

revision = "0025_encryption"
down_revision = "0028_families"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    # SQLite would rebuild the tables to change a column's type (and the rebuild cannot drop a student table that
    # other rows point at inside the migration's transaction); its columns take text of any length as they are.
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("student", sa.Column("id_doc_index", sa.String(length=32), nullable=True))
    op.drop_index("ix_student_id_doc_number", table_name="student")
    op.create_index("ix_student_id_doc_index", "student", ["id_doc_index"], unique=False)
    if not sqlite:
        op.alter_column("student", "id_doc_number", type_=sa.String(), existing_nullable=True)
        op.alter_column("guardian", "phone", type_=sa.String(), existing_nullable=False)
        op.alter_column("guardian", "id_doc_number", type_=sa.String(), existing_nullable=True)
    op.create_table(
        "log_archive",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain", sa.String(length=30), nullable=False),
        sa.Column("first_row_id", sa.Integer(), nullable=False),
        sa.Column("last_row_id", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("files", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.Text(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_archive")),
    )
    with op.batch_alter_table("log_archive", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_log_archive_chain"), ["chain"], unique=False)
    _archived_rows_may_go()
    keyring = crypto.keyring_in_force()
    _rewrite("student", ("id_doc_number",), STUDENT_SEALED_PROFILE, keyring.encrypt, index=True)
    _rewrite("guardian", ("phone", "id_doc_number"), MEMBER_SEALED_PROFILE, keyring.encrypt)


# The logs stay append-only (0001, 0011) except that a row at or before its chain's recorded archive cut may be
# deleted: the archive records the cut first, then moves the rows. Updates stay refused.
LOGS = {"audit_event": "id", "access_log": "id", "seal": "row_id"}


def _cut(table: str, row: str) -> str:
    chain = f"{row}.chain" if table == "seal" else f"'{table}'"
    return f"COALESCE((SELECT max(last_row_id) FROM log_archive WHERE chain = {chain}), 0)"  # noqa: S608 -- ours


def _archived_rows_may_go() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, column in LOGS.items():
            op.execute(
                f"CREATE FUNCTION xueji_{table}_archive_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF TG_OP = 'DELETE' AND OLD.{column} <= {_cut(table, 'OLD')} THEN RETURN OLD; END IF; "
                "RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
            )
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION xueji_{table}_archive_only()"
            )
        return
    for table, column in LOGS.items():
        op.execute(f"DROP TRIGGER {table}_no_delete")
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} WHEN OLD.{column} > {_cut(table, 'OLD')} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )


def _append_only_again() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in LOGS:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(f"DROP FUNCTION xueji_{table}_archive_only()")
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION xueji_refuse_change()"
            )
        return
    for table in LOGS:
        op.execute(f"DROP TRIGGER {table}_no_delete")
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )


def downgrade() -> None:
    _append_only_again()
    op.drop_table("log_archive")
    keyring = crypto.keyring_in_force()
    _rewrite("student", ("id_doc_number",), STUDENT_SEALED_PROFILE, keyring.decrypt)
    _rewrite("guardian", ("phone", "id_doc_number"), MEMBER_SEALED_PROFILE, keyring.decrypt)
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("guardian", "id_doc_number", type_=sa.String(length=30), existing_nullable=True)
        op.alter_column("guardian", "phone", type_=sa.String(length=20), existing_nullable=False)
        op.alter_column("student", "id_doc_number", type_=sa.String(length=30), existing_nullable=True)
    op.drop_index("ix_student_id_doc_index", table_name="student")
    op.create_index("ix_student_id_doc_number", "student", ["id_doc_number"], unique=False)
    with op.batch_alter_table("student", recreate="never") as batch_op:  # SQLite >= 3.35 drops it in place
        batch_op.drop_column("id_doc_index")


def _rewrite(
    name: str,
    columns: tuple[str, ...],
    profile_keys: tuple[str, ...],
    change: Callable[[str], str],
    index: bool = False,
) -> None:
    """Each row's sealed columns and profile keys through ``change`` (encrypt on the way up, decrypt down), a
    batch at a time in id order; the blind index from the plain number on the way up."""
    table = sa.table(
        name,
        sa.column("id", sa.Integer()),
        sa.column("profile", sa.JSON()),
        *(sa.column(c, sa.Text()) for c in columns),
        *([sa.column("id_doc_index", sa.String())] if index else []),
    )
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(table.c.id, table.c.profile, *(table.c[c] for c in columns))
            .where(table.c.id > last)
            .order_by(table.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        last = rows[-1].id
        changes = [_changed(row._mapping, columns, profile_keys, change, index) for row in rows]
        # Bound as b_<column>: a bind parameter may not share its column's name in an UPDATE's SET.
        values = {k.removeprefix("b_"): sa.bindparam(k) for k in changes[0] if k != "id_"}
        bind.execute(table.update().where(table.c.id == sa.bindparam("id_")).values(values), changes)


def _changed(
    row: Any, columns: tuple[str, ...], profile_keys: tuple[str, ...], change: Callable[[str], str], index: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {"id_": row["id"]}
    for column in columns:
        out[f"b_{column}"] = _once(row[column], change)
    profile = row["profile"] or {}
    out["b_profile"] = {
        k: _once(v, change) if k in profile_keys and isinstance(v, str) else v for k, v in profile.items()
    }
    if index:
        plain = crypto.keyring_in_force().decrypt(row["id_doc_number"] or "")
        out["b_id_doc_index"] = crypto.keyring_in_force().blind_index(crypto.normalise_id(plain))
    return out


def _once(value: str | None, change: Callable[[str], str]) -> str | None:
    """Sealed when plain and encrypting, opened when sealed and decrypting: a rerun changes nothing twice."""
    if value is None:
        return None
    sealed = crypto.keyring_in_force().version_of(value) is not None
    encrypting = change.__name__ == "encrypt"
    return change(value) if sealed != encrypting else value
