"""matches

Revision ID: 9722305d0146
Revises: e397898e34ac
Create Date: 2026-12-01 18:27:57.859193
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9722305d0146"
down_revision: str | None = "e397898e34ac"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("capability_id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("texts_hash", sa.String(length=64), nullable=False),
        sa.Column("broker_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("need_interest", sa.Boolean(), nullable=False),
        sa.Column("capability_interest", sa.Boolean(), nullable=False),
        sa.Column("contract_value", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["broker_id"], ["users.id"], name=op.f("fk_matches_broker_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["capability_id"],
            ["capabilities.id"],
            name=op.f("fk_matches_capability_id_capabilities"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_matches_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(["need_id"], ["needs.id"], name=op.f("fk_matches_need_id_needs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matches")),
        sa.UniqueConstraint("need_id", "capability_id", name="uq_matches_pair"),
    )
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_matches_broker_id"), ["broker_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_matches_capability_id"), ["capability_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_matches_need_id"), ["need_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_matches_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_matches_status"))
        batch_op.drop_index(batch_op.f("ix_matches_need_id"))
        batch_op.drop_index(batch_op.f("ix_matches_capability_id"))
        batch_op.drop_index(batch_op.f("ix_matches_broker_id"))

    op.drop_table("matches")
