from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.kit.db import Base, TimestampMixin, UTCDateTime
from service.models.org import Organization
from service.models.user import User


class ApiKey(TimestampMixin, Base):
    """开放接口密钥: an organisation's key to the open data API (/api/open/v1). Only the
    SHA-256 of the secret is kept; the secret is shown once, when the key is made."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(50))
    # the secret's first characters, to tell keys apart
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    rate_limit: Mapped[int] = mapped_column(Integer)  # requests per minute
    status: Mapped[str] = mapped_column(String(16), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    org: Mapped[Organization] = relationship(lazy="raise")
    created_by: Mapped[User] = relationship(lazy="raise")


class ApiKeyWindow(Base):
    """Requests of one key in one minute (a fixed window), bumped by an upsert: several worker
    processes share the count, so the limit holds whichever process answers."""

    __tablename__ = "api_key_windows"

    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), primary_key=True)
    minute: Mapped[int] = mapped_column(Integer, primary_key=True)  # Unix time // 60
    requests: Mapped[int] = mapped_column(Integer)


class ApiKeyUsage(Base):
    """Calls of one key on one day (China time): answered and refused for the rate limit."""

    __tablename__ = "api_key_usage"

    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    requests: Mapped[int] = mapped_column(Integer)
    throttled: Mapped[int] = mapped_column(Integer)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime())
