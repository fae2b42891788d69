"""expert reviews (专家论证): criteria as data, assignments, score sheets

Revision ID: 2061f54d12ca
Revises: 942eb6b4da04
Create Date: 2026-12-01 18:31:55.850956
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "2061f54d12ca"
down_revision: str | None = "942eb6b4da04"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review_criteria",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("weight", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_review_criteria")),
    )
    op.create_table(
        "review_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["users.id"],
            name=op.f("fk_review_assignments_assigned_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["expert_id"], ["users.id"], name=op.f("fk_review_assignments_expert_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["need_id"], ["needs.id"], name=op.f("fk_review_assignments_need_id_needs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_assignments")),
    )
    with op.batch_alter_table("review_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_assignments_expert_id"), ["expert_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_review_assignments_need_id"), ["need_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_review_assignments_status"), ["status"], unique=False)
        batch_op.create_index(
            "uq_review_assignments_live",
            ["need_id", "expert_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('assigned', 'submitted')"),
            postgresql_where=sa.text("status IN ('assigned', 'submitted')"),
        )

    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_reviews_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["review_assignments.id"],
            name=op.f("fk_reviews_assignment_id_review_assignments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("assignment_id", "application_id", name="uq_reviews_application"),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reviews_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "review_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("criterion_code", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_review_scores_score_range")),
        sa.ForeignKeyConstraint(
            ["criterion_code"],
            ["review_criteria.code"],
            name=op.f("fk_review_scores_criterion_code_review_criteria"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_review_scores_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_scores")),
        sa.UniqueConstraint("review_id", "criterion_code", name="uq_review_scores_criterion"),
    )
    _seed_criteria()


CRITERIA = [
    ("tech_advancement", "技术先进性", "技术路线的先进性与创新性，与国内外同类技术相比的水平", 30),
    ("feasibility", "可行性", "技术方案与研发计划是否可行，可考核目标能否按期实现", 30),
    ("team_capability", "团队能力", "团队的研究基础、工程化经验与组织保障", 20),
    ("budget_reasonableness", "经费合理性", "申请金额与工作量、悬赏金额是否匹配", 20),
]


def _seed_criteria() -> None:
    """The initial 专家论证 criteria with their weights in the overall score."""
    table = sa.table(
        "review_criteria",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("description", sa.Text),
        sa.column("weight", sa.Numeric),
        sa.column("sort_order", sa.Integer),
        sa.column("is_active", sa.Boolean),
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
                "description": description,
                "weight": weight,
                "sort_order": i * 10,
                "is_active": True,
                "created_at": now,
                "updated_at": now,
            }
            for i, (code, name, description, weight) in enumerate(CRITERIA, start=1)
        ],
    )


def downgrade() -> None:
    op.drop_table("review_scores")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_application_id"))

    op.drop_table("reviews")
    with op.batch_alter_table("review_assignments", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_review_assignments_live",
            sqlite_where=sa.text("status IN ('assigned', 'submitted')"),
            postgresql_where=sa.text("status IN ('assigned', 'submitted')"),
        )
        batch_op.drop_index(batch_op.f("ix_review_assignments_status"))
        batch_op.drop_index(batch_op.f("ix_review_assignments_need_id"))
        batch_op.drop_index(batch_op.f("ix_review_assignments_expert_id"))

    op.drop_table("review_assignments")
    op.drop_table("review_criteria")
