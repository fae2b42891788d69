"""account hardening: normalised unique names, approval status, token version, throttles

Revision ID: 1fe08a3ecd8e
Revises: 53c2d00e6c7d
Create Date: 2026-12-02 05:49:08.921908
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1fe08a3ecd8e"
down_revision: str | None = "53c2d00e6c7d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(value: str) -> str:
    """service.kit.identity.identity_key as of this revision (kept here: migrations are static)."""
    text = unicodedata.normalize("NFKC", value)
    text = " ".join("".join(c for c in text if unicodedata.category(c) != "Cf").split())
    return "".join(unicodedata.normalize("NFKC", text.casefold()).split())


def _backfill(table: str, source: str, target: str) -> None:
    """Fill the key column; a legacy look-alike (a later row whose key is taken) keeps its row
    under `key#id`, so the unique constraint holds and the first account keeps its name."""
    conn = op.get_bind()
    rows = conn.execute(sa.text(f"SELECT id, {source} FROM {table} ORDER BY id")).all()
    seen: set[str] = set()
    for row_id, value in rows:
        key = _key(value)
        if key in seen:
            key = f"{key}#{row_id}"
        seen.add(key)
        conn.execute(
            sa.text(f"UPDATE {table} SET {target} = :key WHERE id = :id"),
            {"key": key, "id": row_id},
        )


def upgrade() -> None:
    # Plain ADD COLUMN and CREATE INDEX only: on SQLite a batch table rebuild would have to drop
    # `users` / `organizations`, which other tables' foreign keys refuse once rows exist.
    op.create_table(
        "auth_throttles",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_auth_throttles")),
    )
    op.add_column(
        "organizations",
        sa.Column("name_key", sa.String(length=120), nullable=False, server_default=""),
    )
    op.add_column(
        "users", sa.Column("username_key", sa.String(length=64), nullable=False, server_default="")
    )
    op.add_column(
        "users", sa.Column("status", sa.String(length=16), nullable=False, server_default="active")
    )
    op.add_column(
        "users", sa.Column("token_version", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column(
        "users",
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    _backfill("organizations", "name", "name_key")
    _backfill("users", "username", "username_key")
    op.create_index(op.f("ix_organizations_name_key"), "organizations", ["name_key"], unique=True)
    op.create_index(op.f("ix_users_username_key"), "users", ["username_key"], unique=True)
    op.create_index(op.f("ix_users_status"), "users", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_users_status"), table_name="users")
    op.drop_index(op.f("ix_users_username_key"), table_name="users")
    op.drop_index(op.f("ix_organizations_name_key"), table_name="organizations")
    for column in ("must_change_password", "token_version", "status", "username_key"):
        op.drop_column("users", column)
    op.drop_column("organizations", "name_key")
    op.drop_table("auth_throttles")
