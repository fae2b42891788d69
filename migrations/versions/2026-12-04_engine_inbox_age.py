"""engine inbox age (issue 11): when each row was handed over

`engine_inbox.created_at`: the engine's backlog on `/engine/status` says how long its oldest
waiting row has waited. Rows written before have none (counted, without an age).

Revision ID: 3d7a9c2e5b14
Revises: 8c3e5a1f7b92
Create Date: 2026-12-04 04:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3d7a9c2e5b14"
down_revision: str | None = "8c3e5a1f7b92"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "engine_inbox", sa.Column("created_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("engine_inbox", "created_at")  # SQLite ≥ 3.35 drops a column in place
