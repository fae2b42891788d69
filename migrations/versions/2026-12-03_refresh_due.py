"""refresh due (issue 11): vectors whose refresh a dead worker left undone

`posting_vectors.refresh_due`: set with a vector the worker writes, cleared once the posting's
lists and broker candidates were refreshed for it while published; the sweep refreshes the
published postings still due (a worker that died between embedding and refreshing). Existing
rows are not due (a constant default: no table rewrite on PostgreSQL).

Revision ID: 5e2a9c7d4b10
Revises: 3b9d2f61c0a4
Create Date: 2026-12-03 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e2a9c7d4b10"
down_revision: str | None = "3b9d2f61c0a4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("posting_vectors", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("refresh_due", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(
            "ix_posting_vectors_refresh_due",
            ["kind", "model_id", "indexed_at"],
            unique=False,
            sqlite_where=sa.text("refresh_due = 1"),
            postgresql_where=sa.text("refresh_due"),
        )


def downgrade() -> None:
    with op.batch_alter_table("posting_vectors", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_posting_vectors_refresh_due",
            sqlite_where=sa.text("refresh_due = 1"),
            postgresql_where=sa.text("refresh_due"),
        )
        batch_op.drop_column("refresh_due")
