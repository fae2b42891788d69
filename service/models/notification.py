from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base, TimestampMixin, UTCDateTime


class Notification(TimestampMixin, Base):
    """One in-app message to one user; `read_at` is set when the user has seen it."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_inbox", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(48))  # machine code, e.g. application_received
    title: Mapped[str] = mapped_column(String(200))  # zh-CN
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(300))  # path in the web app, e.g. /needs/3
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[int | None] = mapped_column()
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
