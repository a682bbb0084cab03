"""admission: one row per school's admission of a graduate (F-40…F-46)

Revision ID: 0005_admission
Revises: 0004_registration
Create Date: 2026-11-26 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_admission"
down_revision = "0004_registration"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("county_passed", sa.Boolean(), nullable=False),
        sa.Column("school_opinion", sa.String(length=500), nullable=True),
        sa.Column("origin_review", sa.String(length=10), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["school_id"], ["school.org_id"]),
        sa.ForeignKeyConstraint(["student_id"], ["student.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("admission", schema=None) as batch_op:
        batch_op.create_index("ix_admission_school_id", ["school_id"], unique=False)
        batch_op.create_index("ix_admission_student_id", ["student_id"], unique=False)
        batch_op.create_index(
            "uq_admission_one_admitted",
            ["student_id"],
            unique=True,
            sqlite_where=sa.text("status = 'admitted'"),
            postgresql_where=sa.text("status = 'admitted'"),
        )
    op.create_table(
        "admission_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column("county_id", sa.Integer(), nullable=False),
        sa.Column("admission_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["admission_id"], ["admission.id"]),
        sa.ForeignKeyConstraint(["county_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["school_id"], ["school.org_id"]),
        sa.ForeignKeyConstraint(["student_id"], ["student.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("admission_result", schema=None) as batch_op:
        batch_op.create_index("ix_admission_result_school_id", ["school_id"], unique=False)
        batch_op.create_index("ix_admission_result_student_id", ["student_id"], unique=False)
    op.create_table(
        "admission_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column("planned", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["school.org_id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school_id", "year", "stage"),
    )


def downgrade() -> None:
    op.drop_table("admission_plan")
    op.drop_table("admission_result")
    op.drop_table("admission")
