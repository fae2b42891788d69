from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from service.kit.db import Base, TimestampMixin, UTCDateTime, unique_where
from service.models.application import Application
from service.models.need import Need
from service.models.user import User

LIVE_ASSIGNMENT = "status IN ('assigned', 'submitted')"


class ReviewCriterion(TimestampMixin, Base):
    """A named scoring criterion of 专家论证 (技术先进性, 可行性 …): data, not code."""

    __tablename__ = "review_criteria"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))  # zh-CN
    description: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[Decimal] = mapped_column(Numeric(5, 2))  # relative weight in the overall
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class ReviewAssignment(TimestampMixin, Base):
    """An expert asked by an admin to review a 揭榜挂帅 need's applications.

    Its scope is its `reviews`: one per application the expert may read and must score.
    """

    __tablename__ = "review_assignments"
    __table_args__ = (
        # One live assignment per expert per need, enforced by the database too.
        unique_where("uq_review_assignments_live", "need_id", "expert_id", where=LIVE_ASSIGNMENT),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(32), index=True)
    comment: Mapped[str] = mapped_column(Text, default="")  # the expert's overall opinion
    reason: Mapped[str | None] = mapped_column(Text)  # why declined or withdrawn
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    expert: Mapped[User] = relationship(lazy="raise", foreign_keys=[expert_id])
    need: Mapped[Need] = relationship(lazy="raise")
    reviews: Mapped[list["Review"]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="Review.application_id"
    )
    # Whether the expert's organisation is now in a counted application to the need (a
    # conflict of interest); read only for a change (reviews.repository.get, for_update).
    expert_applies: Mapped[bool | None] = query_expression()

    __mapper_args__ = {"version_id_col": version}


class Review(TimestampMixin, Base):
    """One expert's score sheet for one application (scores per criterion and a comment)."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("assignment_id", "application_id", name="uq_reviews_application"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("review_assignments.id", ondelete="CASCADE")
    )
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    comment: Mapped[str] = mapped_column(Text, default="")

    application: Mapped[Application] = relationship(lazy="raise")
    scores: Mapped[list["ReviewScore"]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="ReviewScore.criterion_code"
    )
    # How many active criteria it has no score for; read only for a change (as above).
    unscored: Mapped[int | None] = query_expression()


class ReviewScore(TimestampMixin, Base):
    """A 1–5 score on one criterion."""

    __tablename__ = "review_scores"
    __table_args__ = (
        UniqueConstraint("review_id", "criterion_code", name="uq_review_scores_criterion"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    criterion_code: Mapped[str] = mapped_column(ForeignKey("review_criteria.code"))
    score: Mapped[int] = mapped_column(Integer)
