"""engine inbox (issue 11): work handed to a separate engine process

`engine_inbox`: with `JIEBANG_ENGINE_WORK=process` the web workers run no background work;
they write here the postings to (re-)embed (in the transaction that changed them) and those
whose recommendations were read without a current list (after the read), and the
`jiebang engine` process polls the table and deletes each row once it is done.

Revision ID: 8c3e5a1f7b92
Revises: 4f6b2d8e1a95
Create Date: 2026-12-03 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8c3e5a1f7b92"
down_revision: str | None = "4f6b2d8e1a95"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "engine_inbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("topic", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("posting_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engine_inbox")),
        sqlite_autoincrement=True,  # an id is never used twice (the engine reads past the last)
    )


def downgrade() -> None:
    op.drop_table("engine_inbox")
