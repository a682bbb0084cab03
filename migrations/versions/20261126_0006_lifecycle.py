"""lifecycle: status-change types, graduation, promotion, dropout flag

Revision ID: 0006_lifecycle
Revises: 0002
Create Date: 2026-11-26 12:06:06.854279
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_lifecycle"
down_revision = "0002"
branch_labels = None
depends_on = None


# Default status-change types (F-21 windows of seed 001 c; F-54 makes them data). Edited later in the table.
DEFAULT_TYPES = [
    # code, label, target status, reasons, window, school review, required attachments, refused stages
    ("suspension", "休学", "suspended", ["因病休学", "因事休学", "其他"], "whole_year", True, ["休学证明材料"], []),
    ("resumption", "复学", "in_school", [], "first_month", True, [], []),
    ("other_departure", "其他离校", "other_departure", [], "whole_year", True, [], []),
    ("death", "死亡", "deceased", [], "death_deadline", True, ["死亡证明"], []),
    ("abroad", "出国", "abroad", [], "whole_year", True, [], []),
    ("grade_skip", "跳级", "in_school", [], "first_month", True, [], []),
    ("grade_repeat", "留级", "in_school", [], "whole_year", True, [], ["primary", "junior"]),
]


def upgrade() -> None:
    op.create_table(
        "status_change_type",
        sa.Column(
            "code",
            sa.Enum(
                "suspension",
                "resumption",
                "other_departure",
                "death",
                "abroad",
                "grade_skip",
                "grade_repeat",
                name="changecode",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("label", sa.String(length=20), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column(
            "target_status",
            sa.Enum(
                "in_school",
                "suspended",
                "abroad",
                "other_departure",
                "dropout",
                "deceased",
                "graduated",
                "completed",
                "incomplete",
                "withdrawn",
                "transferred_out",
                "deleted",
                name="studentstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column(
            "window",
            sa.Enum(
                "whole_year",
                "first_month",
                "first_and_last_month",
                "death_deadline",
                name="windowkind",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("school_review", sa.Boolean(), nullable=False),
        sa.Column("required_attachments", sa.JSON(), nullable=False),
        sa.Column("refused_stages", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_status_change_type")),
    )
    op.create_table(
        "promotion_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("from_year", sa.Integer(), nullable=False),
        sa.Column("to_year", sa.Integer(), nullable=False),
        sa.Column("promote_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum("scheduled", "done", "undone", name="promotionstatus", native_enum=False, length=12),
            nullable=False,
        ),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by_id", sa.Integer(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"], name=op.f("fk_promotion_run_org_id_org_unit")),
        sa.ForeignKeyConstraint(["set_by_id"], ["app_user.id"], name=op.f("fk_promotion_run_set_by_id_app_user")),
        sa.ForeignKeyConstraint(["undone_by_id"], ["app_user.id"], name=op.f("fk_promotion_run_undone_by_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotion_run")),
    )
    with op.batch_alter_table("promotion_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_promotion_run_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            "uq_promotion_run_done_once",
            ["org_id", "from_year"],
            unique=True,
            sqlite_where=sa.text("status = 'done'"),
            postgresql_where=sa.text("status = 'done'"),
        )

    op.create_table(
        "graduate_rejection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column(
            "former_status",
            sa.Enum(
                "in_school",
                "suspended",
                "abroad",
                "other_departure",
                "dropout",
                "deceased",
                "graduated",
                "completed",
                "incomplete",
                "withdrawn",
                "transferred_out",
                "deleted",
                name="studentstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("graduated_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rejected_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rejected_by_id"], ["app_user.id"], name=op.f("fk_graduate_rejection_rejected_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(["school_id"], ["org_unit.id"], name=op.f("fk_graduate_rejection_school_id_org_unit")),
        sa.ForeignKeyConstraint(["student_id"], ["student.id"], name=op.f("fk_graduate_rejection_student_id_student")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_graduate_rejection")),
    )
    with op.batch_alter_table("graduate_rejection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_graduate_rejection_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_graduate_rejection_student_id"), ["student_id"], unique=False)

    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspected_dropout_since", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("graduated_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("graduation_destination", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("graduation_certificate_no", sa.String(length=40), nullable=True))

    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instance.id"], name=op.f("fk_attachment_instance_id_process_instance")
        ),
        sa.ForeignKeyConstraint(["student_id"], ["student.id"], name=op.f("fk_attachment_student_id_student")),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["app_user.id"], name=op.f("fk_attachment_uploaded_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachment_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attachment_student_id"), ["student_id"], unique=False)

    type_table = sa.table(
        "status_change_type",
        sa.column("code", sa.String),
        sa.column("label", sa.String),
        sa.column("enabled", sa.Boolean),
        sa.column("target_status", sa.String),
        sa.column("reasons", sa.JSON),
        sa.column("window", sa.String),
        sa.column("school_review", sa.Boolean),
        sa.column("required_attachments", sa.JSON),
        sa.column("refused_stages", sa.JSON),
    )
    keys = (
        "code",
        "label",
        "target_status",
        "reasons",
        "window",
        "school_review",
        "required_attachments",
        "refused_stages",
    )
    op.bulk_insert(type_table, [{**dict(zip(keys, row, strict=True)), "enabled": True} for row in DEFAULT_TYPES])


def downgrade() -> None:
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachment_student_id"))
        batch_op.drop_index(batch_op.f("ix_attachment_instance_id"))
    op.drop_table("attachment")
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.drop_column("graduation_certificate_no")
        batch_op.drop_column("graduation_destination")
        batch_op.drop_column("graduated_on")
        batch_op.drop_column("suspected_dropout_since")

    with op.batch_alter_table("graduate_rejection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_graduate_rejection_student_id"))
        batch_op.drop_index(batch_op.f("ix_graduate_rejection_school_id"))

    op.drop_table("graduate_rejection")
    with op.batch_alter_table("promotion_run", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_promotion_run_done_once",
            sqlite_where=sa.text("status = 'done'"),
            postgresql_where=sa.text("status = 'done'"),
        )
        batch_op.drop_index(batch_op.f("ix_promotion_run_org_id"))

    op.drop_table("promotion_run")
    op.drop_table("status_change_type")
