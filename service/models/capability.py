from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.kit.db import Base, TimestampMixin, UTCDateTime, newest_first
from service.models.field import Field
from service.models.org import Organization


class Capability(TimestampMixin, Base):
    """科技成果 / 技术能力 offered by a university or institute."""

    __tablename__ = "capabilities"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    field_code: Mapped[str] = mapped_column(ForeignKey("fields.code"), index=True)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    indicators: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    maturity: Mapped[str] = mapped_column(String(32), index=True)
    trl: Mapped[int | None] = mapped_column(Integer)
    ip_type: Mapped[str] = mapped_column(String(32))
    patent_numbers: Mapped[list[str]] = mapped_column(JSON, default=list)
    tech_level: Mapped[str] = mapped_column(String(32))
    transaction_modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    price_min: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    price_max: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    team: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_phone: Mapped[str] = mapped_column(String(30))
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(32), index=True)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # 外部编号: the poster's own id from an imported sheet; a re-upload updates, never duplicates
    external_ref: Mapped[str | None] = mapped_column(String(64))

    org: Mapped[Organization] = relationship(lazy="raise")
    field: Mapped[Field] = relationship(lazy="raise")

    __table_args__ = (
        UniqueConstraint("org_id", "external_ref", name="uq_capabilities_org_external_ref"),
        # the lists' default order (service.kit.db.newest_first), alone and after 所属领域
        Index("ix_capabilities_newest", *newest_first(published_at, id)),
        Index("ix_capabilities_field_newest", field_code, *newest_first(published_at, id)),
    )
    __mapper_args__ = {"version_id_col": version}
