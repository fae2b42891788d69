"""stored recommendations (issue 11): each posting's ranked list, refreshed by the worker

`recommendation_lists` holds one head per subject (its text hash when ranked, so an edited
posting is ranked live until its list is refreshed); `recommendations` its ranked rows, read
by `GET /needs/{id}/recommendations` and `GET /capabilities/{id}/recommendations` with the
caller's filters applied at read time.

Revision ID: 2e3033223926
Revises: 06fd4b64c5b8
Create Date: 2026-12-02 19:09:34.859508
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2e3033223926"
down_revision: str | None = "06fd4b64c5b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recommendation_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column("model_id", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendation_lists")),
        sa.UniqueConstraint("subject_kind", "subject_id", name="uq_recommendation_lists_subject"),
    )
    op.create_table(
        "recommendations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("posting_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendations")),
        sa.UniqueConstraint("subject_kind", "subject_id", "rank", name="uq_recommendations_rank"),
    )
    op.create_index("ix_recommendations_holders", "recommendations", ["subject_kind", "posting_id"])


def downgrade() -> None:
    op.drop_index("ix_recommendations_holders", table_name="recommendations")
    op.drop_table("recommendations")
    op.drop_table("recommendation_lists")
