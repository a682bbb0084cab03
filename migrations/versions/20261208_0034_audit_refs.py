"""Audit rows name their actor, organisation and case without foreign keys; 问题学籍's index holds only problem records

An audit row is evidence: it must outlive the account, the organisation and the case it names (an account retired,
a county merged, a case archived), and it is written by the application from the signed-in user, never typed. The
three foreign keys on audit_event protected nothing and cost a checked, locked look-up of app_user, org_unit and
process_instance for every row written — the largest part of the audit rows' cost in a 100,000-row import (issue
13: 100,000 audit rows 2.95 s with the keys, 0.64 s without). student.problem_type is NULL on all but the problem
records, and every query asks for a type or for any type: the index keeps the few problem records only, so that a
registration adds no entry to it.

On SQLite the audit table is rebuilt (SQLite cannot drop a constraint) and its append-only triggers made again as
0025 left them; no table refers to audit_event, so the rebuild touches nothing else.

Revision ID: 0034_audit_refs
Revises: 0033_inbox_school
Create Date: 2026-12-08 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034_audit_refs"
down_revision = "0033_inbox_school"
branch_labels = None
depends_on = None

KEYS = {
    "fk_audit_event_actor_id_app_user": ("actor_id", "app_user"),
    "fk_audit_event_actor_org_id_org_unit": ("actor_org_id", "org_unit"),
    "fk_audit_event_instance_id_process_instance": ("instance_id", "process_instance"),
}
PROBLEM = sa.text("problem_type IS NOT NULL")
# The SQLite triggers of audit_event as 0025 made them: a table rebuilt loses its triggers.
SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event WHEN OLD.id > "
    "COALESCE((SELECT max(last_row_id) FROM log_archive WHERE chain = 'audit_event'), 0) "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("audit_event", recreate="always") as batch_op:
            for name in KEYS:
                batch_op.drop_constraint(name, type_="foreignkey")
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
    else:
        for name in KEYS:
            op.drop_constraint(name, "audit_event", type_="foreignkey")
    op.drop_index("ix_student_problem_type", table_name="student")
    op.create_index(
        "ix_student_problem_type", "student", ["problem_type"], sqlite_where=PROBLEM, postgresql_where=PROBLEM
    )


def downgrade() -> None:
    op.drop_index("ix_student_problem_type", table_name="student")
    op.create_index("ix_student_problem_type", "student", ["problem_type"])
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("audit_event", recreate="always") as batch_op:
            for name, (column, table) in KEYS.items():
                batch_op.create_foreign_key(name, table, [column], ["id"])
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
    else:
        for name, (column, table) in KEYS.items():
            op.create_foreign_key(name, "audit_event", table, [column], ["id"])
