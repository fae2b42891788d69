"""keyword facts (issue 11): what ranking reads of a posting, beside its keyword row; the
rank model of a stored list

`keyword_docs.facts` holds a posting's organisation, field code and parsed indicators (JSON,
`service.engine.facts`), so a worker process reads them per ranking instead of holding every
posting's text. NULL on rows written before: the embedding worker's sweep fills them.
`recommendation_lists.rank_model_id`: the rank model a stored list was scored with; a list of
another model than the newest is stale.

Revision ID: 7c1e5a0f3b21
Revises: a48c75f72fce
Create Date: 2026-12-03 00:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c1e5a0f3b21"
down_revision: str | None = "a48c75f72fce"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("keyword_docs") as batch:
        batch.add_column(sa.Column("facts", sa.Text(), nullable=True))
    with op.batch_alter_table("recommendation_lists") as batch:
        batch.add_column(sa.Column("rank_model_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recommendation_lists") as batch:
        batch.drop_column("rank_model_id")
    with op.batch_alter_table("keyword_docs") as batch:
        batch.drop_column("facts")
