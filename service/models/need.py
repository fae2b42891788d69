from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.kit.db import Base, TimestampMixin, UTCDateTime, newest_first
from service.models.field import Field
from service.models.org import Organization


class Need(TimestampMixin, Base):
    """技术需求: an enterprise's technical problem with a bounty and a 揭榜 deadline."""

    __tablename__ = "needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(100))
    problem: Mapped[str] = mapped_column(Text)
    key_difficulty: Mapped[str] = mapped_column(Text)
    expected_goal: Mapped[str] = mapped_column(Text)
    field_code: Mapped[str] = mapped_column(ForeignKey("fields.code"), index=True)
    industry: Mapped[str] = mapped_column(String(100), default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    indicators: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    call_type: Mapped[str] = mapped_column(String(32))
    cooperation_mode: Mapped[str] = mapped_column(String(32))
    bounty: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    own_investment: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    deadline: Mapped[date] = mapped_column(Date, index=True)
    implementation_months: Mapped[int] = mapped_column(Integer)
    visibility: Mapped[str] = mapped_column(String(32))
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_phone: Mapped[str] = mapped_column(String(30))
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(32))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # 外部编号: the poster's own id from an imported sheet; a re-upload updates, never duplicates
    external_ref: Mapped[str | None] = mapped_column(String(64))
    # 需求明确度 as assessed when last submitted (service/needs/clarity.py): 0–100 and the hints
    clarity_score: Mapped[int | None] = mapped_column(Integer)
    clarity_hints: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)

    org: Mapped[Organization] = relationship(lazy="raise")
    field: Mapped[Field] = relationship(lazy="raise")

    __table_args__ = (
        UniqueConstraint("org_id", "external_ref", name="uq_needs_org_external_ref"),
        # the lists' default order (service.kit.db.newest_first), alone and after 所属领域
        Index("ix_needs_newest", *newest_first(published_at, id)),
        Index("ix_needs_field_newest", field_code, *newest_first(published_at, id)),
        # by status alone, and the public lists' count (`visibility <> 'brokers_only'`) from
        # the index only
        Index("ix_needs_status_visibility", status, visibility),
    )
    __mapper_args__ = {"version_id_col": version}
