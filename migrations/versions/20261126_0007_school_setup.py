"""school setup: class types (§3.4) and the class-size configuration (F-52)

Revision ID: 0007_school_setup
Revises: 0005_admission
Create Date: 2026-11-26 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_school_setup"
down_revision = "0005_admission"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("school_class", schema=None) as batch_op:
        batch_op.add_column(sa.Column("class_type", sa.String(length=10), server_default="普通班", nullable=False))
    op.create_table(
        "class_size_limit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column("max_students", sa.Integer(), nullable=False),
        sa.Column("warn_at", sa.Integer(), nullable=True),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("max_students > 0", name=op.f("ck_class_size_limit_max_students_positive")),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"], name=op.f("fk_class_size_limit_org_id_org_unit")),
        sa.ForeignKeyConstraint(["set_by_id"], ["app_user.id"], name=op.f("fk_class_size_limit_set_by_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_class_size_limit")),
        sa.UniqueConstraint("org_id", "stage", name=op.f("uq_class_size_limit_org_id_stage")),
    )


def downgrade() -> None:
    op.drop_table("class_size_limit")
    with op.batch_alter_table("school_class", schema=None) as batch_op:
        batch_op.drop_column("class_type")
