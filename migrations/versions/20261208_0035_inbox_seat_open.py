"""The inbox reads a seat's open tasks from one index (issue 18): counted, grouped by step, filtered and paged

The county inbox (10,000 open tasks at one seat) counted them, grouped them by step and sorted them all for a page
of 50, each time reading every row from the table (a bitmap of the seat's index OR'ed with the holder's). The seat's
index now holds only the open tasks, in (created_at, id) order, with the columns the page counts, groups and filters
by, so that each is a range of one index: an index-only scan where vacuum has marked the table's pages
all-visible. Done tasks leave it, so it stays the size of the open work (the old index grew with every completed
task); no query read done tasks by seat. A second one, of the open tasks only as well, gives them in (due_at, id)
order for the page sorted by time limit (it sorted all of them).

Revision ID: 0035_inbox_seat_open
Revises: 0034_audit_refs
Create Date: 2026-12-08 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0035_inbox_seat_open"
down_revision = "0034_audit_refs"
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")
INCLUDED = ["process_key", "bpmn_id", "title", "school_id", "due_at", "claimed_by_id", "instance_id"]


def upgrade() -> None:
    op.create_index(
        "ix_inbox_task_seat_open",
        "inbox_task",
        ["org_id", "role", "created_at", "id"],
        postgresql_include=INCLUDED,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )
    op.create_index(
        "ix_inbox_task_seat_due",
        "inbox_task",
        ["org_id", "role", "due_at", "id"],
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )
    op.drop_index("ix_inbox_task_seat", table_name="inbox_task")


def downgrade() -> None:
    op.drop_index("ix_inbox_task_seat_due", table_name="inbox_task")
    op.create_index("ix_inbox_task_seat", "inbox_task", ["org_id", "role", "status", "created_at"])
    op.drop_index("ix_inbox_task_seat_open", table_name="inbox_task")
