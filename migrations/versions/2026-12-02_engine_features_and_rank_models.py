"""engine features on matches, nullable score, rank models

Manual broker matches have no engine score: their 0 becomes NULL. Engine scores stored before
this revision are on the old fused scale (about -0.1 to 1.3), not the calibrated 0-100, so
they are cleared too; the engine re-scores pairs still awaiting review on its next refresh.

Revision ID: 6b88a513d517
Revises: 1fe08a3ecd8e
Create Date: 2026-12-02 06:08:44.726977
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6b88a513d517"
down_revision: str | None = "1fe08a3ecd8e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rank_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("n_labels", sa.Integer(), nullable=False),
        sa.Column("heldout_score", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("model", sa.JSON(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rank_models")),
    )
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("features", sa.JSON(), nullable=True))
        batch_op.alter_column("score", existing_type=sa.Float(), nullable=True)
    op.execute("UPDATE matches SET score = NULL")


def downgrade() -> None:
    op.execute("UPDATE matches SET score = 0 WHERE score IS NULL")
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.alter_column("score", existing_type=sa.Float(), nullable=False)
        batch_op.drop_column("features")
    op.drop_table("rank_models")
