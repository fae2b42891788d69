"""listing order (issue 11): the lists' default order served from an index

The public lists of needs and capabilities are ordered newest first
(`published_at DESC NULLS LAST, id DESC`); at 1M capabilities no index had that order, so a
page sorted every published row (2.5 s, `matching/BENCHMARKS.md` §14). One index per table in
that order, and one led by the 所属领域 filter. SQLite's DESC already puts NULLs last and its
CREATE INDEX refuses the words (`service.kit.db` drops them there).

Revision ID: 8d3f1a6c2e57
Revises: 5e2a9c7d4b10
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8d3f1a6c2e57"
down_revision: str | None = "5e2a9c7d4b10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDER = [sa.text("published_at DESC NULLS LAST"), sa.text("id DESC")]


def upgrade() -> None:
    for table in ("capabilities", "needs"):
        op.create_index(f"ix_{table}_newest", table, ORDER, unique=False)
        op.create_index(
            f"ix_{table}_field_newest", table, [sa.text("field_code"), *ORDER], unique=False
        )


def downgrade() -> None:
    for table in ("capabilities", "needs"):
        op.drop_index(f"ix_{table}_field_newest", table_name=table)
        op.drop_index(f"ix_{table}_newest", table_name=table)
