"""invitations (邀请揭榜) and match requests (请经纪人对接: who asked, which side)

Revision ID: 06fd4b64c5b8
Revises: 8838e189eee5
Create Date: 2026-12-02 15:29:51.051719
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "06fd4b64c5b8"
down_revision: str | None = "8838e189eee5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("capability_id", sa.Integer(), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["capability_id"],
            ["capabilities.id"],
            name=op.f("fk_invitations_capability_id_capabilities"),
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"], ["users.id"], name=op.f("fk_invitations_invited_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["need_id"], ["needs.id"], name=op.f("fk_invitations_need_id_needs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("need_id", "capability_id", name="uq_invitations_pair"),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invitations_capability_id"), ["capability_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_invitations_need_id"), ["need_id"], unique=False)

    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requested_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("requested_side", sa.String(length=16), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_matches_requested_by_id_users"), "users", ["requested_by_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_matches_requested_by_id_users"), type_="foreignkey")
        batch_op.drop_column("requested_side")
        batch_op.drop_column("requested_by_id")

    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitations_need_id"))
        batch_op.drop_index(batch_op.f("ix_invitations_capability_id"))

    op.drop_table("invitations")
