from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.kit.db import Base, TimestampMixin
from service.models.capability import Capability
from service.models.need import Need


class Invitation(TimestampMixin, Base):
    """邀请揭榜: a need's enterprise invites the organisation of a recommended capability to
    apply. One per need × capability; its birth is in the audit table (object_type
    "invitation")."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("need_id", "capability_id", name="uq_invitations_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    capability_id: Mapped[int] = mapped_column(ForeignKey("capabilities.id"), index=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16))  # InvitationStatus

    need: Mapped[Need] = relationship(lazy="raise")
    capability: Mapped[Capability] = relationship(lazy="raise")
