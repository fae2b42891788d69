"""indexes on application_members.org_id and published_at

An organisation's applications (the member join of `GET /applications`) and the public lists
sorted by publication date read these columns on every request.

Revision ID: 750a416c0b64
Revises: 6b88a513d517
Create Date: 2026-12-02 09:44:03.689807
"""

from collections.abc import Sequence

from alembic import op

revision: str = "750a416c0b64"
down_revision: str | None = "6b88a513d517"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_application_members_org_id", "application_members", ["org_id"])
    op.create_index("ix_capabilities_published_at", "capabilities", ["published_at"])
    op.create_index("ix_needs_published_at", "needs", ["published_at"])


def downgrade() -> None:
    op.drop_index("ix_needs_published_at", table_name="needs")
    op.drop_index("ix_capabilities_published_at", table_name="capabilities")
    op.drop_index("ix_application_members_org_id", table_name="application_members")
