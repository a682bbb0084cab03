"""process drafts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 12:06:20.316570
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "process_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_key", sa.String(length=100), nullable=False),
        sa.Column("bpmn_xml", sa.Text(), nullable=False),
        sa.Column("base_version_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("draft", "published", "discarded", name="draftstatus", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("scenario_results", sa.JSON(), nullable=True),
        sa.Column("scenarios_checked_hash", sa.String(length=64), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_version_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["base_version_id"], ["process_version.id"], name=op.f("fk_process_draft_base_version_id_process_version")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["app_user.id"], name=op.f("fk_process_draft_created_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["published_version_id"],
            ["process_version.id"],
            name=op.f("fk_process_draft_published_version_id_process_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_draft")),
    )
    with op.batch_alter_table("process_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_process_draft_process_key"), ["process_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("process_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_draft_process_key"))

    op.drop_table("process_draft")
