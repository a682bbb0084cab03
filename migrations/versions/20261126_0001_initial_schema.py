"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 11:49:11.993774
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "org_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("division_code", sa.String(length=6), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("is_municipality", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["org_unit.id"], name=op.f("fk_org_unit_parent_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_unit")),
    )
    with op.batch_alter_table("org_unit", schema=None) as batch_op:
        batch_op.create_index(
            "ix_org_unit_path", ["path"], unique=False, postgresql_ops={"path": "varchar_pattern_ops"}
        )

    op.create_table(
        "academic_year",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("start_year", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"], name=op.f("fk_academic_year_org_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_academic_year")),
        sa.UniqueConstraint("org_id", "name", name=op.f("uq_academic_year_org_id_name")),
    )
    with op.batch_alter_table("academic_year", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_academic_year_org_id"), ["org_id"], unique=False)

    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("full_name", sa.String(length=50), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"], name=op.f("fk_app_user_org_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_user_org_id"), ["org_id"], unique=False)

    op.create_table(
        "school",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("school_code", sa.String(length=10), nullable=False),
        sa.Column("school_type", sa.String(length=30), nullable=False),
        sa.Column("stages", sa.String(length=40), nullable=False),
        sa.Column("record_authority_id", sa.Integer(), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.CheckConstraint("length(school_code) = 10", name=op.f("ck_school_school_code_10_digits")),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"], name=op.f("fk_school_org_id_org_unit")),
        sa.ForeignKeyConstraint(
            ["record_authority_id"], ["org_unit.id"], name=op.f("fk_school_record_authority_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_school")),
        sa.UniqueConstraint("school_code", name=op.f("uq_school_school_code")),
    )
    op.create_table(
        "campus",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("address_code", sa.String(length=12), nullable=False),
        sa.Column("manager", sa.String(length=50), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["school.org_id"], name=op.f("fk_campus_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campus")),
    )
    with op.batch_alter_table("campus", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campus_school_id"), ["school_id"], unique=False)

    op.create_table(
        "cohort",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column("cohort_year", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["school.org_id"], name=op.f("fk_cohort_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort")),
        sa.UniqueConstraint("school_id", "stage", "cohort_year", name=op.f("uq_cohort_school_id_stage_cohort_year")),
    )
    with op.batch_alter_table("cohort", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cohort_school_id"), ["school_id"], unique=False)

    op.create_table(
        "process_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version_no", sa.Integer(), nullable=False),
        sa.Column("spec_hash", sa.String(length=64), nullable=False),
        sa.Column("bpmn_xml", sa.Text(), nullable=False),
        sa.Column("spec_json", sa.Text(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["app_user.id"], name=op.f("fk_process_version_published_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_version")),
        sa.UniqueConstraint("process_key", "spec_hash", name=op.f("uq_process_version_process_key_spec_hash")),
        sa.UniqueConstraint("process_key", "version_no", name=op.f("uq_process_version_process_key_version_no")),
    )
    with op.batch_alter_table("process_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_process_version_process_key"), ["process_key"], unique=False)

    op.create_table(
        "term",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("academic_year_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("season", sa.String(length=10), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["academic_year_id"], ["academic_year.id"], name=op.f("fk_term_academic_year_id_academic_year")
        ),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"], name=op.f("fk_term_org_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_term")),
        sa.UniqueConstraint("academic_year_id", "season", name=op.f("uq_term_academic_year_id_season")),
    )
    with op.batch_alter_table("term", schema=None) as batch_op:
        batch_op.create_index(
            "uq_term_current_per_org",
            ["org_id"],
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )

    op.create_table(
        "user_role",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_user_role_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_role")),
        sa.UniqueConstraint("user_id", "role", name=op.f("uq_user_role_user_id_role")),
    )
    op.create_table(
        "school_class",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("class_no", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("homeroom_teacher_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohort.id"], name=op.f("fk_school_class_cohort_id_cohort")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_class")),
        sa.UniqueConstraint("cohort_id", "class_no", name=op.f("uq_school_class_cohort_id_class_no")),
    )
    with op.batch_alter_table("school_class", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_school_class_cohort_id"), ["cohort_id"], unique=False)

    op.create_table(
        "student",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("ethnicity", sa.String(length=20), nullable=False),
        sa.Column("id_doc_type", sa.String(length=1), nullable=False),
        sa.Column("id_doc_number", sa.String(length=30), nullable=True),
        sa.Column("national_student_id", sa.String(length=19), nullable=True),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("open_case_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["class_id"], ["school_class.id"], name=op.f("fk_student_class_id_school_class")),
        sa.ForeignKeyConstraint(["school_id"], ["org_unit.id"], name=op.f("fk_student_school_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_student")),
        sa.UniqueConstraint("national_student_id", name=op.f("uq_student_national_student_id")),
    )
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_student_class_id"), ["class_id"], unique=False)
        batch_op.create_index("ix_student_id_doc_number", ["id_doc_number"], unique=False)
        batch_op.create_index("ix_student_name_sex_birth", ["name", "sex", "birth_date"], unique=False)
        batch_op.create_index("ix_student_school_status", ["school_id", "status"], unique=False)

    op.create_table(
        "guardian",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("is_guardian", sa.Boolean(), nullable=False),
        sa.Column("id_doc_type", sa.String(length=1), nullable=True),
        sa.Column("id_doc_number", sa.String(length=30), nullable=True),
        sa.ForeignKeyConstraint(["student_id"], ["student.id"], name=op.f("fk_guardian_student_id_student")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guardian")),
        sa.UniqueConstraint("student_id", "seq", name=op.f("uq_guardian_student_id_seq")),
    )
    op.create_table(
        "process_instance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_key", sa.String(length=100), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("initiator_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("state_label", sa.String(length=50), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("state_json", sa.Text(), nullable=False),
        sa.Column("next_timer_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["initiator_id"], ["app_user.id"], name=op.f("fk_process_instance_initiator_id_app_user")
        ),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"], name=op.f("fk_process_instance_org_id_org_unit")),
        sa.ForeignKeyConstraint(["student_id"], ["student.id"], name=op.f("fk_process_instance_student_id_student")),
        sa.ForeignKeyConstraint(
            ["version_id"], ["process_version.id"], name=op.f("fk_process_instance_version_id_process_version")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_instance")),
    )
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.create_index("ix_process_instance_initiator", ["initiator_id", "started_at"], unique=False)
        batch_op.create_index("ix_process_instance_key_state", ["process_key", "state_label"], unique=False)
        batch_op.create_index(batch_op.f("ix_process_instance_next_timer_at"), ["next_timer_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_process_instance_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_process_instance_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_process_instance_student_id"), ["student_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_process_instance_version_id"), ["version_id"], unique=False)

    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_org_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("entity", sa.String(length=30), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["app_user.id"], name=op.f("fk_audit_event_actor_id_app_user")),
        sa.ForeignKeyConstraint(["actor_org_id"], ["org_unit.id"], name=op.f("fk_audit_event_actor_org_id_org_unit")),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instance.id"], name=op.f("fk_audit_event_instance_id_process_instance")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_entity", ["entity", "entity_id", "id"], unique=False)

    op.create_table(
        "case_party",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instance.id"], name=op.f("fk_case_party_instance_id_process_instance")
        ),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"], name=op.f("fk_case_party_org_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_party")),
        sa.UniqueConstraint("instance_id", "org_id", name=op.f("uq_case_party_instance_id_org_id")),
    )
    with op.batch_alter_table("case_party", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_party_org_id"), ["org_id"], unique=False)

    op.create_table(
        "inbox_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_uuid", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("process_key", sa.String(length=100), nullable=False),
        sa.Column("bpmn_id", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("lane", sa.String(length=50), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("form_key", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["completed_by_id"], ["app_user.id"], name=op.f("fk_inbox_task_completed_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instance.id"], name=op.f("fk_inbox_task_instance_id_process_instance")
        ),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"], name=op.f("fk_inbox_task_org_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_task")),
        sa.UniqueConstraint("task_uuid", name=op.f("uq_inbox_task_task_uuid")),
    )
    with op.batch_alter_table("inbox_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_task_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index("ix_inbox_task_seat", ["org_id", "role", "status", "created_at"], unique=False)

    op.create_table(
        "instance_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("bpmn_id", sa.String(length=100), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("state_label", sa.String(length=50), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instance.id"], name=op.f("fk_instance_event_instance_id_process_instance")
        ),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"], name=op.f("fk_instance_event_org_id_org_unit")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_instance_event_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instance_event")),
    )
    with op.batch_alter_table("instance_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_instance_event_instance_id"), ["instance_id"], unique=False)

    # Two foreign keys close cycles (student <-> case, class <-> teacher): added once both tables exist.
    with op.batch_alter_table("student") as batch_op:
        batch_op.create_foreign_key(
            op.f("fk_student_open_case_id_process_instance"), "process_instance", ["open_case_id"], ["id"]
        )
    with op.batch_alter_table("school_class") as batch_op:
        batch_op.create_foreign_key(
            op.f("fk_school_class_homeroom_teacher_id_app_user"), "app_user", ["homeroom_teacher_id"], ["id"]
        )
    _make_history_append_only()


HISTORY_TABLES = ("audit_event", "instance_event")


def _make_history_append_only() -> None:
    """F-64: history rows can be added, never changed or removed, whoever connects to the database."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION xueji_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
        )
        for table in HISTORY_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION xueji_refuse_change()"
            )
    else:
        for table in HISTORY_TABLES:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )


def _drop_history_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in HISTORY_TABLES:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION xueji_refuse_change()")
    else:
        for table in HISTORY_TABLES:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER {table}_no_{verb}")


def downgrade() -> None:
    _drop_history_triggers()
    with op.batch_alter_table("student") as batch_op:
        batch_op.drop_constraint(op.f("fk_student_open_case_id_process_instance"), type_="foreignkey")
    with op.batch_alter_table("school_class") as batch_op:
        batch_op.drop_constraint(op.f("fk_school_class_homeroom_teacher_id_app_user"), type_="foreignkey")
    with op.batch_alter_table("instance_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_instance_event_instance_id"))

    op.drop_table("instance_event")
    with op.batch_alter_table("inbox_task", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_task_seat")
        batch_op.drop_index(batch_op.f("ix_inbox_task_instance_id"))

    op.drop_table("inbox_task")
    with op.batch_alter_table("case_party", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_party_org_id"))

    op.drop_table("case_party")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_entity")

    op.drop_table("audit_event")
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_instance_version_id"))
        batch_op.drop_index(batch_op.f("ix_process_instance_student_id"))
        batch_op.drop_index(batch_op.f("ix_process_instance_status"))
        batch_op.drop_index(batch_op.f("ix_process_instance_org_id"))
        batch_op.drop_index(batch_op.f("ix_process_instance_next_timer_at"))
        batch_op.drop_index("ix_process_instance_key_state")
        batch_op.drop_index("ix_process_instance_initiator")

    op.drop_table("process_instance")
    op.drop_table("guardian")
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.drop_index("ix_student_school_status")
        batch_op.drop_index("ix_student_name_sex_birth")
        batch_op.drop_index("ix_student_id_doc_number")
        batch_op.drop_index(batch_op.f("ix_student_class_id"))

    op.drop_table("student")
    with op.batch_alter_table("school_class", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_school_class_cohort_id"))

    op.drop_table("school_class")
    op.drop_table("user_role")
    with op.batch_alter_table("term", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_term_current_per_org", sqlite_where=sa.text("is_current"), postgresql_where=sa.text("is_current")
        )

    op.drop_table("term")
    with op.batch_alter_table("process_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_version_process_key"))

    op.drop_table("process_version")
    with op.batch_alter_table("cohort", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cohort_school_id"))

    op.drop_table("cohort")
    with op.batch_alter_table("campus", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campus_school_id"))

    op.drop_table("campus")
    op.drop_table("school")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_user_org_id"))

    op.drop_table("app_user")
    with op.batch_alter_table("academic_year", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_academic_year_org_id"))

    op.drop_table("academic_year")
    with op.batch_alter_table("org_unit", schema=None) as batch_op:
        batch_op.drop_index("ix_org_unit_path", postgresql_ops={"path": "varchar_pattern_ops"})

    op.drop_table("org_unit")
