"""transfers: receiving school and correlation on cases, message exchange, problem overlay, business calendar,
city-review rules, one active record per national number

Revision ID: 0003_transfers
Revises: 0006_lifecycle
Create Date: 2026-11-26 12:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_transfers"
down_revision = "0006_lifecycle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "business_period",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("business", sa.String(length=30), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("start_md", sa.String(length=5), nullable=False),
        sa.Column("end_md", sa.String(length=5), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"], name=op.f("fk_business_period_org_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_period")),
    )
    with op.batch_alter_table("business_period", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_business_period_org_id"), ["org_id"], unique=False)

    op.create_table(
        "transfer_city_review_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("city_review", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"], name=op.f("fk_transfer_city_review_rule_org_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_city_review_rule")),
        sa.UniqueConstraint("org_id", "stage", "scope", name=op.f("uq_transfer_city_review_rule_org_id_stage_scope")),
    )

    op.create_table(
        "transfer_outbound_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("city_review", sa.Boolean(), nullable=False),
        sa.Column("province_review", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"], name=op.f("fk_transfer_outbound_review_org_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_outbound_review")),
        sa.UniqueConstraint("org_id", name=op.f("uq_transfer_outbound_review_org_id")),
    )

    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.drop_constraint("uq_student_national_student_id", type_="unique")
        batch_op.create_index(
            "uq_student_national_student_id_active",
            ["national_student_id"],
            unique=True,
            sqlite_where=sa.text("status <> 'transferred_out'"),
            postgresql_where=sa.text("status <> 'transferred_out'"),
        )

    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("to_school_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("correlation_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("waiting_for", sa.String(length=500), nullable=False, server_default=""))
        batch_op.create_index(batch_op.f("ix_process_instance_to_school_id"), ["to_school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_process_instance_correlation_key"), ["correlation_key"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_process_instance_to_school_id_org_unit"), "org_unit", ["to_school_id"], ["id"]
        )

    op.create_table(
        "exchange_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("correlation", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("sender_instance_id", sa.Integer(), nullable=True),
        sa.Column("receiver_instance_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=15), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["receiver_instance_id"],
            ["process_instance.id"],
            name=op.f("fk_exchange_message_receiver_instance_id_process_instance"),
        ),
        sa.ForeignKeyConstraint(
            ["sender_instance_id"],
            ["process_instance.id"],
            name=op.f("fk_exchange_message_sender_instance_id_process_instance"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_message")),
    )
    with op.batch_alter_table("exchange_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exchange_message_correlation"), ["correlation"], unique=False)
        batch_op.create_index("ix_exchange_message_status", ["status", "id"], unique=False)


def downgrade() -> None:
    op.drop_table("exchange_message")
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_process_instance_to_school_id_org_unit"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_process_instance_correlation_key"))
        batch_op.drop_index(batch_op.f("ix_process_instance_to_school_id"))
        batch_op.drop_column("waiting_for")
        batch_op.drop_column("correlation_key")
        batch_op.drop_column("to_school_id")
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.drop_index("uq_student_national_student_id_active")
        batch_op.create_unique_constraint("uq_student_national_student_id", ["national_student_id"])
    op.drop_table("transfer_outbound_review")
    op.drop_table("transfer_city_review_rule")
    with op.batch_alter_table("business_period", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_business_period_org_id"))
    op.drop_table("business_period")
