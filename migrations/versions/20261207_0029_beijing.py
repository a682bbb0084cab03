"""The Beijing pack (issue 17 items 3, 5, 6): 北京条件 regional rules (school profile, 学籍总量, overrides) and the
公文流转 document flow (requests and their attachments); 入学注册/学期注册 rows (F-15); staged intake (F-10)

Revision ID: 0029_beijing
Revises: 0023_province_controlled
Create Date: 2026-12-07 17:03:02.355907
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029_beijing"
down_revision = "0023_province_controlled"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "school_admission_profile",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("is_model_school", sa.Boolean(), nullable=False),
        sa.Column("foreign_qualified", sa.Boolean(), nullable=False),
        sa.Column("foreign_plan", sa.Integer(), nullable=True),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["app_user.id"], name=op.f("fk_school_admission_profile_changed_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.org_id"], name=op.f("fk_school_admission_profile_school_id_school")
        ),
        sa.PrimaryKeyConstraint("school_id", name=op.f("pk_school_admission_profile")),
    )
    op.create_table(
        "grade_quota",
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["changed_by_id"], ["app_user.id"], name=op.f("fk_grade_quota_changed_by_id_app_user")),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohort.id"], name=op.f("fk_grade_quota_cohort_id_cohort")),
        sa.PrimaryKeyConstraint("cohort_id", name=op.f("pk_grade_quota")),
    )
    op.create_table(
        "document_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("county_id", sa.Integer(), nullable=False),
        sa.Column(
            "category",
            sa.Enum("red_header", "filing", name="doccategory", native_enum=False, length=12),
            nullable=False,
        ),
        sa.Column("doc_type", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "reviewed",
                "rejected",
                "consolidated",
                "processing",
                "closed",
                name="docstatus",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column("window_key", sa.String(length=20), nullable=True),
        sa.Column("window_label", sa.String(length=40), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.String(length=500), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["county_id"], ["org_unit.id"], name=op.f("fk_document_request_county_id_org_unit")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["app_user.id"], name=op.f("fk_document_request_created_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instance.id"], name=op.f("fk_document_request_instance_id_process_instance")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_request")),
        sa.UniqueConstraint("county_id", "window_key", name=op.f("uq_document_request_county_id_window_key")),
        sa.UniqueConstraint("instance_id", name=op.f("uq_document_request_instance_id")),
    )
    with op.batch_alter_table("document_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_request_county_id"), ["county_id"], unique=False)

    op.create_table(
        "regional_override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=True),
        sa.Column("national_student_id", sa.String(length=19), nullable=True),
        sa.Column("to_school_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_instance_id", sa.Integer(), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["granted_by_id"], ["app_user.id"], name=op.f("fk_regional_override_granted_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(["student_id"], ["student.id"], name=op.f("fk_regional_override_student_id_student")),
        sa.ForeignKeyConstraint(
            ["to_school_id"], ["org_unit.id"], name=op.f("fk_regional_override_to_school_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["used_instance_id"],
            ["process_instance.id"],
            name=op.f("fk_regional_override_used_instance_id_process_instance"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regional_override")),
    )
    with op.batch_alter_table("regional_override", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_regional_override_national_student_id"), ["national_student_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_regional_override_student_id"), ["student_id"], unique=False)

    op.create_table(
        "document_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"], ["document_request.id"], name=op.f("fk_document_attachment_request_id_document_request")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["app_user.id"], name=op.f("fk_document_attachment_uploaded_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_attachment")),
    )
    with op.batch_alter_table("document_attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_attachment_request_id"), ["request_id"], unique=False)

    op.create_table(
        "term_registration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind", sa.Enum("admission", "term", name="registrationkind", native_enum=False, length=10), nullable=False
        ),
        sa.Column(
            "outcome",
            sa.Enum(
                "registered", "deferred", "not_registered", name="registrationoutcome", native_enum=False, length=15
            ),
            nullable=False,
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["by_id"], ["app_user.id"], name=op.f("fk_term_registration_by_id_app_user")),
        sa.ForeignKeyConstraint(["student_id"], ["student.id"], name=op.f("fk_term_registration_student_id_student")),
        sa.ForeignKeyConstraint(["term_id"], ["term.id"], name=op.f("fk_term_registration_term_id_term")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_term_registration")),
        sa.UniqueConstraint("term_id", "student_id", name=op.f("uq_term_registration_term_id_student_id")),
    )
    with op.batch_alter_table("term_registration", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_term_registration_student_id"), ["student_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_term_registration_term_id"), ["term_id"], unique=False)

    op.create_table(
        "staged_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=True),
        sa.Column(
            "source",
            sa.Enum("preschool", "data_source", name="stagedsource", native_enum=False, length=12),
            nullable=False,
        ),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["class_id"], ["school_class.id"], name=op.f("fk_staged_record_class_id_school_class")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["app_user.id"], name=op.f("fk_staged_record_created_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(["school_id"], ["school.org_id"], name=op.f("fk_staged_record_school_id_school")),
        sa.ForeignKeyConstraint(["student_id"], ["student.id"], name=op.f("fk_staged_record_student_id_student")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staged_record")),
    )
    with op.batch_alter_table("staged_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staged_record_school_id"), ["school_id"], unique=False)


def downgrade() -> None:
    op.drop_table("staged_record")
    op.drop_table("term_registration")

    with op.batch_alter_table("document_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_attachment_request_id"))

    op.drop_table("document_attachment")
    with op.batch_alter_table("regional_override", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_regional_override_student_id"))
        batch_op.drop_index(batch_op.f("ix_regional_override_national_student_id"))

    op.drop_table("regional_override")
    with op.batch_alter_table("document_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_request_county_id"))

    op.drop_table("document_request")
    op.drop_table("grade_quota")
    op.drop_table("school_admission_profile")
