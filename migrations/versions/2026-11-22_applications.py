"""applications

Revision ID: 499f2095114b
Revises: 243e236c681b
Create Date: 2026-11-22 13:52:28.682394
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "499f2095114b"
down_revision: str | None = "243e236c681b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("capability_id", sa.Integer(), nullable=True),
        sa.Column("technical_plan", sa.Text(), nullable=False),
        sa.Column("work_plan", sa.Text(), nullable=False),
        sa.Column("assessable_goals", sa.Text(), nullable=False),
        sa.Column("requested_amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("timeline_months", sa.Integer(), nullable=False),
        sa.Column("team", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("committed_amount", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("evaluation", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["capability_id"],
            ["capabilities.id"],
            name=op.f("fk_applications_capability_id_capabilities"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_applications_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["need_id"], ["needs.id"], name=op.f("fk_applications_need_id_needs")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_applications_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_applications_need_id"), ["need_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_applications_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_applications_status"), ["status"], unique=False)
        batch_op.create_index(
            "uq_applications_live",
            ["need_id", "org_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('submitted', 'shortlisted', 'awarded')"),
            postgresql_where=sa.text("status IN ('submitted', 'shortlisted', 'awarded')"),
        )

    op.create_table(
        "application_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("share", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("is_lead", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_members_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_application_members_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_members")),
        sa.UniqueConstraint("application_id", "org_id", name="uq_application_members_org"),
    )


def downgrade() -> None:
    op.drop_table("application_members")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_applications_live",
            sqlite_where=sa.text("status IN ('submitted', 'shortlisted', 'awarded')"),
            postgresql_where=sa.text("status IN ('submitted', 'shortlisted', 'awarded')"),
        )
        batch_op.drop_index(batch_op.f("ix_applications_status"))
        batch_op.drop_index(batch_op.f("ix_applications_org_id"))
        batch_op.drop_index(batch_op.f("ix_applications_need_id"))

    op.drop_table("applications")
