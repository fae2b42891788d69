from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base, UTCDateTime


class AuthThrottle(Base):
    """Failed (or, for sign-up, all) attempts under one key, e.g. `login:user:alice` or
    `login:addr:203.0.113.5`, counted in a window; past the free attempts the key is blocked
    until `blocked_until`, each further failure doubling the wait.

    A table, not process memory: several worker processes share the database, and a counter
    kept in one process would let an attacker spread attempts over the others (or a restart
    wipe it)."""

    __tablename__ = "auth_throttles"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
