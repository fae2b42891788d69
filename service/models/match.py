from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.kit.db import Base, TimestampMixin
from service.models.capability import Capability
from service.models.need import Need
from service.models.user import User


class Match(TimestampMixin, Base):
    """匹配: one need × one capability, proposed by the engine or added by a broker.

    The score parts and reasons are those of the ranking that proposed it; `texts_hash` is the
    hash of both postings' texts at that time, so a rejected pair is proposed again only once
    either text changes. Every status change is in the audit table (object_type "match").
    """

    __tablename__ = "matches"
    __table_args__ = (UniqueConstraint("need_id", "capability_id", name="uq_matches_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    capability_id: Mapped[int] = mapped_column(ForeignKey("capabilities.id"), index=True)
    origin: Mapped[str] = mapped_column(String(16))  # MatchOrigin: engine | broker
    status: Mapped[str] = mapped_column(String(32), index=True)  # MatchStatus
    # 0–100 engine score (not money); None for a pair a broker added by hand
    score: Mapped[float | None] = mapped_column(Float)
    # what the engine scored the pair on (matching.model features), kept as a training label
    features: Mapped[dict[str, float] | None] = mapped_column(JSON)
    parts: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # terms, indicators
    texts_hash: Mapped[str] = mapped_column(String(64), default="")
    broker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # 请经纪人对接: who of either side asked a broker to take the pair up, and which side
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_side: Mapped[str | None] = mapped_column(String(16))  # "need" | "capability"
    reject_reason: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    need_interest: Mapped[bool] = mapped_column(Boolean, default=False)
    capability_interest: Mapped[bool] = mapped_column(Boolean, default=False)
    contract_value: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    version: Mapped[int] = mapped_column(Integer, default=1)

    need: Mapped[Need] = relationship(lazy="raise")
    broker: Mapped[User | None] = relationship(lazy="raise", foreign_keys=[broker_id])
    requester: Mapped[User | None] = relationship(lazy="raise", foreign_keys=[requested_by_id])
    capability: Mapped[Capability] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}
