"""second vectors (issue 10): each posting's second dense view beside its vector

`posting_vectors.vector2`: the posting encoded the other way (a need as a passage, a
capability as a query), read only for the candidates a need's ranking scores (the `dpass` and
`dqq` features, `matching/features.py`); never in the vector index. NULL on existing rows:
their pairs are scored by the rank model's fallback until `jiebang reindex` fills them.
Adding a nullable column without a default rewrites no table on PostgreSQL. There the second
vector is stored out of line (EXTERNAL) and the first kept in the row (MAIN), so the row stays
under the TOAST threshold and the reads of every first vector (start-up, catch-up, the next
generation) do not go through TOAST.

Revision ID: 9d4f1b6e2c83
Revises: 8d3f1a6c2e57
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d4f1b6e2c83"
down_revision: str | None = "8d3f1a6c2e57"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("posting_vectors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("vector2", sa.LargeBinary(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE posting_vectors ALTER COLUMN vector SET STORAGE MAIN")
        op.execute("ALTER TABLE posting_vectors ALTER COLUMN vector2 SET STORAGE EXTERNAL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE posting_vectors ALTER COLUMN vector SET STORAGE EXTENDED")
    with op.batch_alter_table("posting_vectors", schema=None) as batch_op:
        batch_op.drop_column("vector2")
