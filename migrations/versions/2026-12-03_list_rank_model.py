"""list rank model: a stored list names the rank model that scored it, the shipped one too

`recommendation_lists.rank_model` replaces `rank_model_id`: `learned:<rank_models.id>` for a
learned model, `shipped:<digest>` for the shipped `matching/data/rank_model.json` (so a deploy
with another shipped model makes the lists it did not score stale). Lists of a learned model
keep it; lists of the shipped one become NULL (which shipped model scored them is not known):
the worker stores them again, serving them meanwhile.

Revision ID: 4f6b2d8e1a95
Revises: 9d4f1b6e2c83
Create Date: 2026-12-03 17:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4f6b2d8e1a95"
down_revision: str | None = "9d4f1b6e2c83"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recommendation_lists") as batch:
        batch.add_column(sa.Column("rank_model", sa.String(length=40), nullable=True))
    op.execute(
        "UPDATE recommendation_lists SET rank_model = 'learned:' || CAST(rank_model_id AS VARCHAR)"
        " WHERE rank_model_id IS NOT NULL"
    )
    with op.batch_alter_table("recommendation_lists") as batch:
        batch.drop_column("rank_model_id")


def downgrade() -> None:
    with op.batch_alter_table("recommendation_lists") as batch:
        batch.add_column(sa.Column("rank_model_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE recommendation_lists SET rank_model_id = CAST(SUBSTR(rank_model, 9) AS INTEGER)"
        " WHERE rank_model LIKE 'learned:%'"
    )
    with op.batch_alter_table("recommendation_lists") as batch:
        batch.drop_column("rank_model")
