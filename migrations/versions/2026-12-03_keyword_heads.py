"""keyword heads (issue 11): a bounded keyword read per term

`keyword_heads` holds each term's document frequency and its best postings by BM25 impact
(at most `service.engine.keywords.HEAD`), so a search reads one row per query term whatever
the corpus size; `keyword_docs.tfs` holds each listed term's frequency, so a candidate is
scored exactly from its own row. Both are written by every keyword write; a database indexed
before them is read from the blocks until `keywords.build_heads` has filled the heads, and a
row without `tfs` is scored from the blocks.

Revision ID: 3b9d2f61c0a4
Revises: 3f6d2b8e9a41
Create Date: 2026-12-03 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3b9d2f61c0a4"
down_revision: str | None = "3f6d2b8e9a41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "keyword_heads",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("field", sa.String(length=4), nullable=False),
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("df", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "field", "term", name=op.f("pk_keyword_heads")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("keyword_docs") as batch:
        batch.add_column(sa.Column("tfs", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("keyword_docs") as batch:
        batch.drop_column("tfs")
    op.drop_table("keyword_heads")
