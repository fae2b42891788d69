from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base, TimestampMixin, UTCDateTime


class MailRetry(TimestampMixin, Base):
    """The outbox: every e-mail, written in the transaction that causes it, until the SMTP
    server takes it (`sent_at`) or the tick gives up (`gave_up_at`); see
    service/notifications/mail.py and retries.py. `attempts` counts the sends tried."""

    __tablename__ = "mail_retries"
    __table_args__ = (Index("ix_mail_retries_due", "sent_at", "gave_up_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_addr: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    headers: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    attempts: Mapped[int] = mapped_column(default=1)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(String(500), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    gave_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
