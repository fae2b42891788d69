"""intake: uploaded batches (a resumable import job) and 外部编号 on needs and capabilities

Revision ID: cfd4c9d20acf
Revises: 750a416c0b64
Create Date: 2026-12-02 09:02:26.814750
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "cfd4c9d20acf"
down_revision: str | None = "750a416c0b64"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "intake_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("only_valid", sa.Boolean(), nullable=True),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("issues", sa.JSON(), nullable=False),
        sa.Column("notices", sa.JSON(), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("created_count", sa.Integer(), nullable=False),
        sa.Column("updated_count", sa.Integer(), nullable=False),
        sa.Column("skipped_count", sa.Integer(), nullable=False),
        sa.Column("failures", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_intake_batches_org_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_intake_batches_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_batches")),
    )
    with op.batch_alter_table("intake_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intake_batches_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_intake_batches_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("capabilities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_ref", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            "uq_capabilities_org_external_ref", ["org_id", "external_ref"]
        )

    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_ref", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_needs_org_external_ref", ["org_id", "external_ref"])


def downgrade() -> None:
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.drop_constraint("uq_needs_org_external_ref", type_="unique")
        batch_op.drop_column("external_ref")

    with op.batch_alter_table("capabilities", schema=None) as batch_op:
        batch_op.drop_constraint("uq_capabilities_org_external_ref", type_="unique")
        batch_op.drop_column("external_ref")

    with op.batch_alter_table("intake_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intake_batches_user_id"))
        batch_op.drop_index(batch_op.f("ix_intake_batches_org_id"))

    op.drop_table("intake_batches")
