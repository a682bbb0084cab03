"""受控字段设置 per province (F-51: the province owns it): one province's set no longer changes another's

Revision ID: 0023_province_controlled
Revises: 0019_security
Create Date: 2026-12-07 15:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_province_controlled"
down_revision = "0019_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "province_controlled_field",
        sa.Column("province_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("approval_level", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["province_id"], ["org_unit.id"], name=op.f("fk_province_controlled_field_province_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("province_id", "field", name=op.f("pk_province_controlled_field")),
    )


def downgrade() -> None:
    op.drop_table("province_controlled_field")
