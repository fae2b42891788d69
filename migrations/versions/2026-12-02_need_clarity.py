"""needs: 需求明确度 (score and hints) stored on submit

Revision ID: 5c1a7e2d9b34
Revises: 37a8c548f9b7
Create Date: 2026-12-02 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1a7e2d9b34"
down_revision: str | None = "37a8c548f9b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("clarity_score", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("clarity_hints", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.drop_column("clarity_hints")
        batch_op.drop_column("clarity_score")
