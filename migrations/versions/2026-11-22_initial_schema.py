"""initial schema

Revision ID: e7c14bcc73ee
Revises:
Create Date: 2026-11-22 13:37:34.272198
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "e7c14bcc73ee"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fields",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_fields")),
        sa.UniqueConstraint("name", name=op.f("uq_fields_name")),
    )
    _seed_fields()
    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("name", name=op.f("uq_organizations_name")),
    )
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organizations_kind"), ["kind"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=50), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("display_name", sa.String(length=50), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_users_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_users_role"), ["role"], unique=False)

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_audit_events_actor_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index("ix_audit_events_object", ["object_type", "object_id"], unique=False)

    op.create_table(
        "capabilities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("field_code", sa.String(length=40), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("maturity", sa.String(length=32), nullable=False),
        sa.Column("trl", sa.Integer(), nullable=True),
        sa.Column("ip_type", sa.String(length=32), nullable=False),
        sa.Column("patent_numbers", sa.JSON(), nullable=False),
        sa.Column("tech_level", sa.String(length=32), nullable=False),
        sa.Column("transaction_modes", sa.JSON(), nullable=False),
        sa.Column("price_min", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("price_max", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("team", sa.Text(), nullable=False),
        sa.Column("contact_name", sa.String(length=50), nullable=False),
        sa.Column("contact_phone", sa.String(length=30), nullable=False),
        sa.Column("contact_email", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_capabilities_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["field_code"], ["fields.code"], name=op.f("fk_capabilities_field_code_fields")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_capabilities_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capabilities")),
    )
    with op.batch_alter_table("capabilities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_capabilities_field_code"), ["field_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_capabilities_maturity"), ["maturity"], unique=False)
        batch_op.create_index(batch_op.f("ix_capabilities_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_capabilities_status"), ["status"], unique=False)

    op.create_table(
        "needs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("key_difficulty", sa.Text(), nullable=False),
        sa.Column("expected_goal", sa.Text(), nullable=False),
        sa.Column("field_code", sa.String(length=40), nullable=False),
        sa.Column("industry", sa.String(length=100), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("call_type", sa.String(length=32), nullable=False),
        sa.Column("cooperation_mode", sa.String(length=32), nullable=False),
        sa.Column("bounty", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("own_investment", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("implementation_months", sa.Integer(), nullable=False),
        sa.Column("visibility", sa.String(length=32), nullable=False),
        sa.Column("contact_name", sa.String(length=50), nullable=False),
        sa.Column("contact_phone", sa.String(length=30), nullable=False),
        sa.Column("contact_email", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_needs_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["field_code"], ["fields.code"], name=op.f("fk_needs_field_code_fields")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_needs_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_needs")),
    )
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_needs_deadline"), ["deadline"], unique=False)
        batch_op.create_index(batch_op.f("ix_needs_field_code"), ["field_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_needs_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_needs_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_needs_status"))
        batch_op.drop_index(batch_op.f("ix_needs_org_id"))
        batch_op.drop_index(batch_op.f("ix_needs_field_code"))
        batch_op.drop_index(batch_op.f("ix_needs_deadline"))

    op.drop_table("needs")
    with op.batch_alter_table("capabilities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capabilities_status"))
        batch_op.drop_index(batch_op.f("ix_capabilities_org_id"))
        batch_op.drop_index(batch_op.f("ix_capabilities_maturity"))
        batch_op.drop_index(batch_op.f("ix_capabilities_field_code"))

    op.drop_table("capabilities")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_object")
        batch_op.drop_index(batch_op.f("ix_audit_events_actor_id"))

    op.drop_table("audit_events")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_role"))
        batch_op.drop_index(batch_op.f("ix_users_org_id"))

    op.drop_table("users")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organizations_kind"))

    op.drop_table("organizations")
    op.drop_table("fields")


FIELDS = [
    ("display", "新型显示"),
    ("semiconductor", "半导体与集成电路"),
    ("intelligent_manufacturing", "智能制造与机器人"),
    ("high_end_equipment", "高端装备"),
    ("nev", "新能源汽车"),
    ("battery_storage", "动力电池与储能"),
    ("biomedicine", "生物医药"),
    ("medical_devices", "医疗器械"),
    ("new_materials", "新材料"),
    ("electronics_communication", "电子信息与通信"),
    ("ai_software", "人工智能与软件"),
    ("energy_environment", "节能环保"),
    ("advanced_computing", "先进计算"),
]


def _seed_fields() -> None:
    """The bureau's initial 所属领域 taxonomy; later entries are added through the API."""
    table = sa.table(
        "fields",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("sort_order", sa.Integer),
        sa.column("active", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        table,
        [
            {
                "code": code,
                "name": name,
                "sort_order": i * 10,
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
            for i, (code, name) in enumerate(FIELDS, start=1)
        ],
    )
