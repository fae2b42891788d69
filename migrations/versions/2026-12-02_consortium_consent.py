"""consortium consent: members confirm or decline; a forming application holds the live slot

Revision ID: 53c2d00e6c7d
Revises: 2061f54d12ca
Create Date: 2026-12-02 05:48:16.813386
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "53c2d00e6c7d"
down_revision: str | None = "2061f54d12ca"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_LIVE = sa.text("status IN ('submitted', 'shortlisted', 'awarded')")
NEW_LIVE = sa.text("status IN ('forming', 'submitted', 'shortlisted', 'awarded')")


def _live_index(batch_op: object, where: sa.TextClause) -> None:
    batch_op.create_index(  # type: ignore[attr-defined]
        "uq_applications_live",
        ["need_id", "org_id"],
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )


def upgrade() -> None:
    # Members recorded before consent existed are taken as confirmed (server default).
    with op.batch_alter_table("application_members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), server_default="confirmed", nullable=False)
        )
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("decided_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decline_reason", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_application_members_decided_by_id_users"),
            "users",
            ["decided_by_id"],
            ["id"],
        )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_applications_live", sqlite_where=OLD_LIVE, postgresql_where=OLD_LIVE
        )
        _live_index(batch_op, NEW_LIVE)


def downgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_applications_live", sqlite_where=NEW_LIVE, postgresql_where=NEW_LIVE
        )
        _live_index(batch_op, OLD_LIVE)
    with op.batch_alter_table("application_members", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_application_members_decided_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("decline_reason")
        batch_op.drop_column("decided_by_id")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("status")
