"""mail retries: e-mails the SMTP server did not take, kept until a later tick delivers them

Revision ID: a48c75f72fce
Revises: e4c1629e20ae
Create Date: 2026-12-03 00:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a48c75f72fce"
down_revision: str | None = "e4c1629e20ae"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_retries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("to_addr", sa.String(length=254), nullable=False),
        sa.Column("to_name", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gave_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_retries")),
    )
    with op.batch_alter_table("mail_retries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mail_retries_due", ["sent_at", "gave_up_at", "next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("mail_retries", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_retries_due")
    op.drop_table("mail_retries")
