"""posting vectors

Revision ID: 243e236c681b
Revises: e7c14bcc73ee
Create Date: 2026-11-22 13:49:53.904569
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "243e236c681b"
down_revision: str | None = "e7c14bcc73ee"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "embedding_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("posting_id", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_embedding_failures")),
        sa.UniqueConstraint("kind", "posting_id", name="uq_embedding_failures_posting"),
    )
    op.create_table(
        "posting_vectors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("posting_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.String(length=200), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posting_vectors")),
        sa.UniqueConstraint("kind", "posting_id", "model_id", name="uq_posting_vectors_posting"),
    )
    with op.batch_alter_table("posting_vectors", schema=None) as batch_op:
        batch_op.create_index(
            "ix_posting_vectors_catch_up", ["kind", "model_id", "indexed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("posting_vectors", schema=None) as batch_op:
        batch_op.drop_index("ix_posting_vectors_catch_up")

    op.drop_table("posting_vectors")
    op.drop_table("embedding_failures")
