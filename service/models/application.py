from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.kit.db import Base, TimestampMixin, UTCDateTime, unique_where
from service.models.need import Need
from service.models.org import Organization

# A forming consortium holds the organisation's one live application too.
LIVE_APPLICATION = "status IN ('forming', 'submitted', 'shortlisted', 'awarded')"


class Application(TimestampMixin, Base):
    """揭榜申请: an organisation (or consortium) takes up a published need."""

    __tablename__ = "applications"
    __table_args__ = (
        # One live application per organisation per need, enforced by the database too.
        unique_where("uq_applications_live", "need_id", "org_id", where=LIVE_APPLICATION),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    capability_id: Mapped[int | None] = mapped_column(ForeignKey("capabilities.id"))
    technical_plan: Mapped[str] = mapped_column(Text)
    work_plan: Mapped[str] = mapped_column(Text)
    assessable_goals: Mapped[str] = mapped_column(Text)
    requested_amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    timeline_months: Mapped[int] = mapped_column(Integer)
    team: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32), index=True)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    committed_amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    evaluation: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    org: Mapped[Organization] = relationship(lazy="raise")
    need: Mapped[Need] = relationship(lazy="raise")
    members: Mapped[list["ApplicationMember"]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="ApplicationMember.id"
    )

    __mapper_args__ = {"version_id_col": version}


class ApplicationMember(TimestampMixin, Base):
    """One organisation of a (consortium) application with its declared share in percent."""

    __tablename__ = "application_members"
    __table_args__ = (
        UniqueConstraint("application_id", "org_id", name="uq_application_members_org"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    share: Mapped[Decimal] = mapped_column(Numeric(5, 2))  # percent, members sum to 100
    is_lead: Mapped[bool] = mapped_column(default=False)
    # invited → confirmed | declined (the lead is confirmed from the start).
    status: Mapped[str] = mapped_column(String(16), default="confirmed", server_default="confirmed")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decline_reason: Mapped[str | None] = mapped_column(Text)

    org: Mapped[Organization] = relationship(lazy="raise")
