"""list views (issue 11): when a stored recommendation list was last viewed

`recommendation_lists.viewed_at`: when the list was last served (to within an hour) or first
stored; the worker keeps at most `engine_stored_lists` lists per side and drops those viewed
longest ago. Existing lists count as viewed when they were computed.

Revision ID: 3f6d2b8e9a41
Revises: 7c1e5a0f3b21
Create Date: 2026-12-03 08:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f6d2b8e9a41"
down_revision: str | None = "7c1e5a0f3b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recommendation_lists", schema=None) as batch_op:
        batch_op.add_column(sa.Column("viewed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE recommendation_lists SET viewed_at = computed_at")
    with op.batch_alter_table("recommendation_lists", schema=None) as batch_op:
        batch_op.alter_column("viewed_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index(
            "ix_recommendation_lists_viewed", ["subject_kind", "viewed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("recommendation_lists", schema=None) as batch_op:
        batch_op.drop_index("ix_recommendation_lists_viewed")
        batch_op.drop_column("viewed_at")
