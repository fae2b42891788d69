"""subscriptions: followed fields, keywords and 为我推荐; their hits and sent e-mail digests

Revision ID: 9864ea20ccd4
Revises: 2e3033223926
Create Date: 2026-12-02 19:14:10.281611
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9864ea20ccd4"
down_revision: str | None = "2e3033223926"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "subscription_digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.String(length=8), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_subscription_digests_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_digests")),
        sa.UniqueConstraint(
            "user_id", "frequency", "period", name=op.f("uq_subscription_digests_user_id")
        ),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("field_codes", sa.JSON(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("frequency", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_subscriptions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subscriptions_side"), ["side"], unique=False)
        batch_op.create_index(batch_op.f("ix_subscriptions_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_subscriptions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "subscription_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("posting_kind", sa.String(length=16), nullable=False),
        sa.Column("posting_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("notified", sa.Boolean(), nullable=False),
        sa.Column("digest_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["digest_id"],
            ["subscription_digests.id"],
            name=op.f("fk_subscription_hits_digest_id_subscription_digests"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_hits_subscription_id_subscriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_subscription_hits_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_hits")),
        sa.UniqueConstraint(
            "subscription_id",
            "posting_kind",
            "posting_id",
            name=op.f("uq_subscription_hits_subscription_id"),
        ),
    )
    with op.batch_alter_table("subscription_hits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_subscription_hits_pending", ["user_id", "digest_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("subscription_hits", schema=None) as batch_op:
        batch_op.drop_index("ix_subscription_hits_pending")

    op.drop_table("subscription_hits")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriptions_user_id"))
        batch_op.drop_index(batch_op.f("ix_subscriptions_status"))
        batch_op.drop_index(batch_op.f("ix_subscriptions_side"))

    op.drop_table("subscriptions")
    op.drop_table("subscription_digests")
