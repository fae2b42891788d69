"""duplicate_links: an admin's 重复 mark between two needs or two capabilities

Revision ID: 8838e189eee5
Revises: 5c1a7e2d9b34
Create Date: 2026-12-02 15:40:56.538815
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8838e189eee5"
down_revision: str | None = "5c1a7e2d9b34"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "status = 'linked'"


def upgrade() -> None:
    op.create_table(
        "duplicate_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("posting_id", sa.Integer(), nullable=False),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("marked_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('need', 'capability')", name=op.f("ck_duplicate_links_kind")),
        sa.CheckConstraint(
            "posting_id <> duplicate_of_id", name=op.f("ck_duplicate_links_distinct_postings")
        ),
        sa.ForeignKeyConstraint(
            ["marked_by_id"], ["users.id"], name=op.f("fk_duplicate_links_marked_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_links")),
    )
    with op.batch_alter_table("duplicate_links", schema=None) as batch_op:
        batch_op.create_index("ix_duplicate_links_of", ["kind", "duplicate_of_id"], unique=False)
        batch_op.create_index("ix_duplicate_links_posting", ["kind", "posting_id"], unique=False)
        batch_op.create_index(
            "uq_duplicate_links_live",
            ["kind", "posting_id", "duplicate_of_id"],
            unique=True,
            sqlite_where=sa.text(LIVE),
            postgresql_where=sa.text(LIVE),
        )


def downgrade() -> None:
    with op.batch_alter_table("duplicate_links", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_duplicate_links_live", sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE)
        )
        batch_op.drop_index("ix_duplicate_links_posting")
        batch_op.drop_index("ix_duplicate_links_of")
    op.drop_table("duplicate_links")
