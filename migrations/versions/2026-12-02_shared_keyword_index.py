"""shared keyword index

The word and character-bigram BM25 index in the database, shared by every process
(`service/engine/keywords.py`): one row per posting, a term's postings packed in blocks of
8192 posting ids, and each side's corpus statistics. Postings already embedded are indexed
by the engine worker's sweep.

Revision ID: e4c1629e20ae
Revises: 9864ea20ccd4
Create Date: 2026-12-02 19:21:07.790195
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e4c1629e20ae"
down_revision: str | None = "9864ea20ccd4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "keyword_docs",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("posting_id", sa.Integer(), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("word_len", sa.Integer(), nullable=False),
        sa.Column("char_len", sa.Integer(), nullable=False),
        sa.Column("word_terms", sa.Text(), nullable=False),
        sa.Column("char_terms", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "posting_id", name=op.f("pk_keyword_docs")),
    )
    op.create_table(
        "keyword_blocks",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("field", sa.String(length=4), nullable=False),
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("block", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "field", "term", "block", name=op.f("pk_keyword_blocks")),
        sqlite_with_rowid=False,  # clustered by term: a term's blocks are one range
    )
    stats = op.create_table(
        "keyword_stats",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("docs", sa.Integer(), nullable=False),
        sa.Column("word_total", sa.BigInteger(), nullable=False),
        sa.Column("char_total", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_keyword_stats")),
    )
    op.bulk_insert(
        stats,
        [
            {"kind": kind, "docs": 0, "word_total": 0, "char_total": 0}
            for kind in ("need", "capability")
        ],
    )


def downgrade() -> None:
    op.drop_table("keyword_stats")
    op.drop_table("keyword_blocks")
    op.drop_table("keyword_docs")
