from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base, UTCDateTime, utcnow


class RecommendationList(Base):
    """The head of one posting's stored recommendations (need → capabilities or capability →
    needs), written by the engine worker off the request path.

    `subject_hash` is the hash of the subject's matching text when the list was ranked: a
    request serves the list only while it equals the posting's current hash (an edited posting
    is ranked live until the worker has refreshed it). `rank_model` names the rank model that
    scored it: `learned:<rank_models.id>`, or `shipped:<digest>` for the model shipped in
    `matching/data/rank_model.json` (`RankModel.digest`), NULL when unknown (a list stored
    before it was kept, or marked stale by `jiebang reindex`). A list scored by another model
    than the one in use is served until the worker has stored it again (`recommendations`).
    A list may be empty (`size` 0).

    `viewed_at`: when it was last served (to within `recommendations.VIEWED_EVERY`) or first
    stored; beyond `engine_stored_lists` per side the lists viewed longest ago are dropped.
    """

    __tablename__ = "recommendation_lists"
    __table_args__ = (
        UniqueConstraint("subject_kind", "subject_id", name="uq_recommendation_lists_subject"),
        # the lists viewed longest ago: evicted first beyond the bound
        Index("ix_recommendation_lists_viewed", "subject_kind", "viewed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(16))  # need | capability
    subject_id: Mapped[int] = mapped_column(Integer)
    subject_hash: Mapped[str] = mapped_column(String(64))
    model_id: Mapped[str] = mapped_column(String(200))  # the embedder it was ranked with
    # the rank model it was scored with (see above): `learned:12`, `shipped:<digest>`
    rank_model: Mapped[str | None] = mapped_column(String(40), nullable=True)
    size: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    viewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StoredRecommendation(Base):
    """One ranked posting of a subject's stored list, with what the API shows of it.

    Rows are never filtered when written beyond "published, not the subject's organisation";
    a request joins the posting's current row and applies its caller's filters (status,
    visibility) then, so a posting withdrawn since is never shown, and is dropped at the
    subject's next refresh. The band is derived from `score` when shown.
    """

    __tablename__ = "recommendations"
    __table_args__ = (
        UniqueConstraint("subject_kind", "subject_id", "rank", name="uq_recommendations_rank"),
        # the lists that hold a posting: a change re-ranks them (the posting may leave them)
        Index("ix_recommendations_holders", "subject_kind", "posting_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(16))  # the list's subject: need | capability
    subject_id: Mapped[int] = mapped_column(Integer)
    posting_id: Mapped[int] = mapped_column(Integer)  # of the other kind
    rank: Mapped[int] = mapped_column(Integer)  # 0 = best
    score: Mapped[float] = mapped_column(Float)  # 匹配度 0–100 (not money)
    parts: Mapped[dict[str, float]] = mapped_column(JSON)
    features: Mapped[dict[str, float]] = mapped_column(JSON)
    reasons: Mapped[list[str]] = mapped_column(JSON)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
