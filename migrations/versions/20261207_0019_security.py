"""security (issue 22): two-factor sign-in, last sign-in, one session per account, sign-in policy per level,
retention's anonymisation mark

Revision ID: 0019_security
Revises: 0022_federation
Create Date: 2026-12-07 13:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_security"
down_revision = "0022_federation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("province_id", sa.Integer(), nullable=False),
        sa.Column(
            "level",
            sa.Enum("national", "province", "city", "county", "school", name="orglevel", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("totp_required", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["province_id"], ["org_unit.id"], name=op.f("fk_sign_in_policy_province_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_policy")),
        sa.UniqueConstraint("province_id", "level", name=op.f("uq_sign_in_policy_province_id_level")),
    )
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("totp_confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("recovery_codes", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_login_address", sa.String(length=64), server_default="", nullable=False))
        batch_op.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.add_column(sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.drop_column("anonymised_at")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("session_token")
        batch_op.drop_column("last_login_address")
        batch_op.drop_column("last_login_at")
        batch_op.drop_column("recovery_codes")
        batch_op.drop_column("totp_confirmed_at")
        batch_op.drop_column("totp_secret")
    op.drop_table("sign_in_policy")
