"""needs: one index on (status, visibility) in place of the one on status (issue 11)

The public needs list counts `status IN (…) AND visibility <> 'brokers_only'` on every page;
`ix_needs_status` cannot answer the visibility, so PostgreSQL read up to the count cap of wide
heap rows per page (10–14 ms of backend CPU at 1M, BENCHMARKS §23). With both columns in one
index the count is an index-only scan, like the capabilities' on `ix_capabilities_status`.
The new index serves every lookup by status alone too, so the old one goes.

Revision ID: 6a2c9e4f1d37
Revises: 3d7a9c2e5b14
Create Date: 2026-12-04 04:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "6a2c9e4f1d37"
down_revision: str | None = "3d7a9c2e5b14"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_needs_status_visibility", "needs", ["status", "visibility"])
    op.drop_index("ix_needs_status", table_name="needs")


def downgrade() -> None:
    op.create_index("ix_needs_status", "needs", ["status"])
    op.drop_index("ix_needs_status_visibility", table_name="needs")
