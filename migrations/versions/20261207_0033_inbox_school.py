"""The case's school on each inbox row (issue 18): the inbox's 学校 filter reads it from the row; escalated rows indexed

Filtering a seat's open tasks by school went through the cases (every open task's case looked up: p95 150 ms for a
county holding 10,000 tasks among 1 M cases); the row now keeps process_instance.org_id, indexed with the seat. The
count of tasks escalated from below, on every superior's inbox, scanned the whole table (80 ms among 2 M rows): a
partial index holds the few escalated open rows.

Revision ID: 0033_inbox_school
Revises: 0032_natid
Create Date: 2026-12-07 21:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033_inbox_school"
down_revision = "0032_natid"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("inbox_task", sa.Column("school_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE inbox_task SET school_id = (SELECT p.org_id FROM process_instance p WHERE p.id = inbox_task.instance_id)"
    )
    op.create_index("ix_inbox_task_seat_school", "inbox_task", ["org_id", "role", "status", "school_id"])
    escalated = sa.text("status = 'open' AND escalated_at IS NOT NULL")
    op.create_index(
        "ix_inbox_task_escalated", "inbox_task", ["org_id"], sqlite_where=escalated, postgresql_where=escalated
    )


def downgrade() -> None:
    op.drop_index("ix_inbox_task_escalated", table_name="inbox_task")
    op.drop_index("ix_inbox_task_seat_school", table_name="inbox_task")
    with op.batch_alter_table("inbox_task") as batch:
        batch.drop_column("school_id")
