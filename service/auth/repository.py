"""Throttle counters: one row per key, bumped atomically (several workers share the table)."""

from datetime import datetime

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from service.models import AuthThrottle


def blocked_until(session: Session, keys: list[str]) -> datetime | None:
    """The latest block among `keys`, if any."""
    return session.scalar(
        select(func.max(AuthThrottle.blocked_until)).where(AuthThrottle.key.in_(keys))
    )


def bump(session: Session, key: str, now: datetime, quiet_since: datetime) -> int:
    """Count one attempt under `key` and return the count in its window. A key quiet since
    `quiet_since` (no window start and no block after it) starts a new window at 1."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    last_seen = func.coalesce(AuthThrottle.blocked_until, AuthThrottle.window_started_at)
    stale = last_seen < quiet_since
    statement = (
        insert(AuthThrottle)
        .values(key=key, failures=1, window_started_at=now, blocked_until=None)
        .on_conflict_do_update(
            index_elements=[AuthThrottle.key],
            set_={
                "failures": case((stale, 1), else_=AuthThrottle.failures + 1),
                "window_started_at": case((stale, now), else_=AuthThrottle.window_started_at),
                "blocked_until": case((stale, None), else_=AuthThrottle.blocked_until),
            },
        )
        .returning(AuthThrottle.failures)
    )
    return int(session.execute(statement).scalar_one())


def block(session: Session, key: str, until: datetime) -> None:
    session.execute(update(AuthThrottle).where(AuthThrottle.key == key).values(blocked_until=until))


def clear(session: Session, key: str) -> None:
    session.execute(delete(AuthThrottle).where(AuthThrottle.key == key))
