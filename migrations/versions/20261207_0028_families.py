"""families: parent accounts and their children, confirmation forms, parents' corrections and access log (F-59,
F-62); organisations' seal keys (F-61)

Revision ID: 0028_families
Revises: 0029_beijing
Create Date: 2026-12-07 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028_families"
down_revision = "0029_beijing"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "parent_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", TZ, nullable=True),
        sa.Column("must_change_password", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("last_login_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parent_account")),
        sa.UniqueConstraint("phone", name=op.f("uq_parent_account_phone")),
    )
    op.create_table(
        "parent_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("bound_at", TZ, nullable=False),
        _fk("parent_link", "parent_id", "parent_account"),
        _fk("parent_link", "student_id", "student"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parent_link")),
        sa.UniqueConstraint("parent_id", "student_id", name=op.f("uq_parent_link_parent_id_student_id")),
    )
    op.create_index(op.f("ix_parent_link_parent_id"), "parent_link", ["parent_id"])
    op.create_index(op.f("ix_parent_link_student_id"), "parent_link", ["student_id"])
    op.create_table(
        "confirmation_form",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("upload_code", sa.String(length=12), nullable=False),
        sa.Column("registration_code_digest", sa.String(length=64), nullable=True),
        sa.Column("code_issued_at", TZ, nullable=True),
        sa.Column("photo", sa.LargeBinary(), nullable=True),
        sa.Column("photo_type", sa.String(length=30), server_default="", nullable=False),
        sa.Column("uploaded_by", sa.String(length=10), nullable=True),
        sa.Column("uploaded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_by_parent_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", TZ, nullable=True),
        sa.Column("paper_received", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("teacher_reviewed", sa.Boolean(), server_default="0", nullable=False),
        _fk("confirmation_form", "student_id", "student"),
        _fk("confirmation_form", "uploaded_by_user_id", "app_user"),
        _fk("confirmation_form", "uploaded_by_parent_id", "parent_account"),
        sa.PrimaryKeyConstraint("student_id", name=op.f("pk_confirmation_form")),
        sa.UniqueConstraint("upload_code", name=op.f("uq_confirmation_form_upload_code")),
        sa.UniqueConstraint("registration_code_digest", name=op.f("uq_confirmation_form_registration_code_digest")),
    )
    op.create_table(
        "family_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=30), nullable=False),
        sa.Column("old_value", sa.String(length=200), nullable=False),
        sa.Column("new_value", sa.String(length=200), nullable=False),
        sa.Column("key_field", sa.Boolean(), nullable=False),
        sa.Column("proof", sa.LargeBinary(), nullable=True),
        sa.Column("proof_type", sa.String(length=30), server_default="", nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        _fk("family_request", "student_id", "student"),
        _fk("family_request", "parent_id", "parent_account"),
        _fk("family_request", "case_id", "process_instance"),
        _fk("family_request", "decided_by_id", "app_user"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_request")),
    )
    op.create_index("ix_family_request_student_state", "family_request", ["student_id", "state"])
    op.create_table(
        "family_access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("page", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        _fk("family_access_log", "parent_id", "parent_account"),
        _fk("family_access_log", "student_id", "student"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_access_log")),
    )
    op.create_index(op.f("ix_family_access_log_parent_id"), "family_access_log", ["parent_id"])
    op.create_index("ix_family_access_log_student", "family_access_log", ["student_id", "id"])
    op.create_table(
        "seal_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("private_key_pem", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        _fk("seal_key", "org_id", "org_unit"),
        _fk("seal_key", "created_by_id", "app_user"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seal_key")),
        sa.UniqueConstraint("org_id", name=op.f("uq_seal_key_org_id")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_seal_key_fingerprint")),
    )
    # Like access_log (0011): rows are added, never changed or removed, whoever connects.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER family_access_log_append_only BEFORE UPDATE OR DELETE ON family_access_log "
            "FOR EACH ROW EXECUTE FUNCTION xueji_refuse_change()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER family_access_log_no_{verb.lower()} BEFORE {verb} ON family_access_log "
                "BEGIN SELECT RAISE(ABORT, 'family_access_log is append-only'); END"
            )


def downgrade() -> None:
    op.drop_table("seal_key")
    op.drop_table("family_access_log")
    op.drop_table("family_request")
    op.drop_table("confirmation_form")
    op.drop_table("parent_link")
    op.drop_table("parent_account")
