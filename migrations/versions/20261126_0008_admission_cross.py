"""admission lock of problem records (F-47) and locked inbox seats

Revision ID: 0008_admission_cross
Revises: 0007_school_setup
Create Date: 2026-11-26 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_admission_cross"
down_revision = "0007_school_setup"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.add_column(sa.Column("admission_lock", sa.Boolean(), server_default="0", nullable=False))
    with op.batch_alter_table("inbox_task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked", sa.Boolean(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("inbox_task", schema=None) as batch_op:
        batch_op.drop_column("locked")
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.drop_column("admission_lock")
