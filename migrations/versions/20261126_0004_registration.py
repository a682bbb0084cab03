"""registration pipeline, 查重, problem records, attachments, photos, registration switch, controlled fields

Revision ID: 0004_registration
Revises: 0003_transfers
Create Date: 2026-11-26 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_registration"
down_revision = "0003_transfers"
branch_labels = None
depends_on = None

STUDENT_COLUMNS = [
    sa.Column("registration_state", sa.String(length=20), server_default="approved", nullable=False),
    sa.Column("registration_type", sa.String(length=10), nullable=True),
    sa.Column("dedup_status", sa.String(length=10), server_default="ok", nullable=False),
    sa.Column("problem_type", sa.String(length=1), nullable=True),
    sa.Column("problem_state", sa.String(length=20), nullable=True),
    sa.Column("nationality", sa.String(length=20), server_default="中国", nullable=False),
    sa.Column("birthplace_code", sa.String(length=12), nullable=True),
    sa.Column("hukou_code", sa.String(length=12), nullable=True),
    sa.Column("entry_month", sa.String(length=6), nullable=True),
    sa.Column("is_out_of_county", sa.Boolean(), server_default="0", nullable=False),
    sa.Column("profile", sa.JSON(), nullable=True),
    sa.Column("school_comment", sa.String(length=500), nullable=True),
    sa.Column("return_reason", sa.String(length=500), nullable=True),
    sa.Column("created_by_id", sa.Integer(), nullable=True),
    sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("approved_by_id", sa.Integer(), nullable=True),
]


def upgrade() -> None:
    with op.batch_alter_table("student", schema=None) as batch_op:
        for column in STUDENT_COLUMNS:
            batch_op.add_column(column)
        batch_op.create_index(batch_op.f("ix_student_problem_type"), ["problem_type"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_student_created_by_id_app_user"), "app_user", ["created_by_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_student_approved_by_id_app_user"), "app_user", ["approved_by_id"], ["id"]
        )
    op.execute("UPDATE student SET profile = '{}' WHERE profile IS NULL")
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.alter_column("profile", existing_type=sa.JSON(), nullable=False)
    with op.batch_alter_table("guardian", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile", sa.JSON(), nullable=True))
    op.execute("UPDATE guardian SET profile = '{}' WHERE profile IS NULL")
    with op.batch_alter_table("guardian", schema=None) as batch_op:
        batch_op.alter_column("profile", existing_type=sa.JSON(), nullable=False)

    # The attachment table (§3.11) comes from 0006_lifecycle, earlier in the chain.
    op.create_table(
        "student_photo",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["student_id"], ["student.id"], name=op.f("fk_student_photo_student_id_student")),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["app_user.id"], name=op.f("fk_student_photo_uploaded_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("student_id", name=op.f("pk_student_photo")),
    )

    op.create_table(
        "registration_opening",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("open_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"], name=op.f("fk_registration_opening_org_id_org_unit")),
        sa.ForeignKeyConstraint(
            ["opened_by_id"], ["app_user.id"], name=op.f("fk_registration_opening_opened_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_opening")),
    )
    with op.batch_alter_table("registration_opening", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registration_opening_org_id"), ["org_id"], unique=False)

    op.create_table(
        "photo_collection",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"], name=op.f("fk_photo_collection_org_id_org_unit")),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["app_user.id"], name=op.f("fk_photo_collection_changed_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_photo_collection")),
    )

    controlled = op.create_table(
        "controlled_field",
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("approval_level", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("field", name=op.f("pk_controlled_field")),
    )
    op.bulk_insert(
        controlled,
        [
            {"field": "name", "label": "姓名", "approval_level": "county"},
            {"field": "sex", "label": "性别", "approval_level": "county"},
            {"field": "birth_date", "label": "出生日期", "approval_level": "county"},
            {"field": "ethnicity", "label": "民族", "approval_level": "county"},
            {"field": "id_doc_type", "label": "身份证件类型", "approval_level": "county"},
            {"field": "id_doc_number", "label": "身份证件号", "approval_level": "county"},
            {"field": "nationality", "label": "国籍/地区", "approval_level": "city"},
        ],
    )


def downgrade() -> None:
    op.drop_table("controlled_field")
    op.drop_table("photo_collection")
    with op.batch_alter_table("registration_opening", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registration_opening_org_id"))
    op.drop_table("registration_opening")
    op.drop_table("student_photo")
    # attachment belongs to 0006_lifecycle.
    with op.batch_alter_table("guardian", schema=None) as batch_op:
        batch_op.drop_column("profile")
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_student_approved_by_id_app_user"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_student_created_by_id_app_user"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_student_problem_type"))
        for column in reversed(STUDENT_COLUMNS):
            batch_op.drop_column(column.name)
