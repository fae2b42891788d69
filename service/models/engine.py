from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base, TimestampMixin, UTCDateTime, utcnow


class PostingVector(TimestampMixin, Base):
    """The embedding of one posting under one model: the source of truth the index derives from.

    `text_hash` says which text was embedded, so an edit is re-embedded and an unchanged
    posting is not; `indexed_at` moves on every write and drives the indexes' incremental
    catch-up in every API process.
    """

    __tablename__ = "posting_vectors"
    __table_args__ = (
        UniqueConstraint("kind", "posting_id", "model_id", name="uq_posting_vectors_posting"),
        Index("ix_posting_vectors_catch_up", "kind", "model_id", "indexed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # need | capability
    posting_id: Mapped[int] = mapped_column(Integer)
    model_id: Mapped[str] = mapped_column(String(200))
    text_hash: Mapped[str] = mapped_column(String(64))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, L2-normalised
    indexed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EmbeddingFailure(TimestampMixin, Base):
    """A posting whose embedding failed: retried by the sweeper, listed for admins."""

    __tablename__ = "embedding_failures"
    __table_args__ = (UniqueConstraint("kind", "posting_id", name="uq_embedding_failures_posting"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    posting_id: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    last_error: Mapped[str] = mapped_column(Text)
