from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.kit.db import Base, TimestampMixin, UTCDateTime
from service.models.user import User


class Subscription(TimestampMixin, Base):
    """订阅: a user follows new needs or capabilities in some fields and with some keywords
    (kind `search`), or the engine's 为我推荐 (kind `recommended`, researchers: new needs at
    the 高 band for their organisation's capabilities); heard in-app and in an e-mail digest."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    side: Mapped[str] = mapped_column(String(16), index=True)  # need | capability
    name: Mapped[str] = mapped_column(String(60))
    field_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    frequency: Mapped[str] = mapped_column(String(8))  # of the e-mail digest
    status: Mapped[str] = mapped_column(String(16), index=True)
    # 为我推荐: needs published before this were already looked at
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    user: Mapped[User] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}


class SubscriptionDigest(TimestampMixin, Base):
    """One e-mail digest sent to one user for one period (a day or an ISO week): the unique
    key is what keeps re-runs and concurrent ticks to one e-mail per user and period."""

    __tablename__ = "subscription_digests"
    __table_args__ = (UniqueConstraint("user_id", "frequency", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    frequency: Mapped[str] = mapped_column(String(8))
    period: Mapped[str] = mapped_column(String(16))  # 2026-12-01 or 2026-W49
    items: Mapped[int] = mapped_column(Integer)


class SubscriptionHit(TimestampMixin, Base):
    """A published posting that matched a subscription: at most one per subscription and
    posting; it waits for the digest (`digest_id`) and says whether it was notified in-app."""

    __tablename__ = "subscription_hits"
    __table_args__ = (
        UniqueConstraint("subscription_id", "posting_kind", "posting_id"),
        Index("ix_subscription_hits_pending", "user_id", "digest_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    posting_kind: Mapped[str] = mapped_column(String(16))
    posting_id: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    notified: Mapped[bool] = mapped_column(Boolean, default=False)
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("subscription_digests.id"))
