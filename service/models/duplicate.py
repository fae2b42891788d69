from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base, TimestampMixin, unique_where

LIVE_LINK = "status = 'linked'"


class DuplicateLink(TimestampMixin, Base):
    """重复: an admin's judgement that one posting repeats another of the same kind.

    `posting_id` is the repeat, `duplicate_of_id` the posting it repeats (both needs or both
    capabilities, by `kind`). Never deleted: unlinking moves `status` to unlinked, and every
    step is in the audit table (object_type "duplicate"). One live link per ordered pair.
    """

    __tablename__ = "duplicate_links"
    __table_args__ = (
        CheckConstraint("kind IN ('need', 'capability')", name="kind"),
        CheckConstraint("posting_id <> duplicate_of_id", name="distinct_postings"),
        unique_where(
            "uq_duplicate_links_live", "kind", "posting_id", "duplicate_of_id", where=LIVE_LINK
        ),
        Index("ix_duplicate_links_of", "kind", "duplicate_of_id"),
        Index("ix_duplicate_links_posting", "kind", "posting_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # need | capability
    posting_id: Mapped[int] = mapped_column(Integer)
    duplicate_of_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))
    similarity: Mapped[float | None] = mapped_column(Float)  # the score when it was marked
    reason: Mapped[str] = mapped_column(Text)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
