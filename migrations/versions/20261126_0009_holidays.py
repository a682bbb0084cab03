"""national holiday calendar: days off and weekend days worked (节假日 / 调休上班, Q-16)

Revision ID: 0009_holidays
Revises: 0008_admission_cross
Create Date: 2026-11-26 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_holidays"
down_revision = "0008_admission_cross"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "holiday",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("is_working_day", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holiday")),
        sa.UniqueConstraint("day", name=op.f("uq_holiday_day")),
    )


def downgrade() -> None:
    op.drop_table("holiday")
