"""Throttling with backoff for login, sign-up and passwords, per account and per address.

Each attempt that counts (a failed login or password check; every sign-up) bumps a counter
per key. Past a policy's free attempts the key is blocked, and each further failure doubles
the wait up to a cap; a key left quiet for a whole window starts again. A blocked key is
answered 429 with Retry-After before any password is checked.

The counters live in a table (`auth_throttles`), not in process memory: the service runs as
several worker processes over one database, and per-process counters would multiply the
allowance by the number of workers and vanish on every restart.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from service.auth import repository
from service.kit.db import utcnow
from service.kit.errors import JiebangError, TooManyRequests
from service.kit.identity import identity_key


@dataclass(frozen=True)
class Policy:
    name: str
    free: int  # attempts in a window before the first block
    window: timedelta
    first_delay: int  # seconds; doubled by each attempt past `free`
    max_delay: int

    def delay(self, count: int) -> int:
        if count < self.free:
            return 0
        return min(self.first_delay * 2 ** min(count - self.free, 20), self.max_delay)


_QUARTER = timedelta(minutes=15)
LOGIN_ACCOUNT = Policy("login:user", 5, _QUARTER, 30, 900)
LOGIN_ADDRESS = Policy("login:addr", 20, _QUARTER, 30, 900)
REGISTER_ACCOUNT = Policy("register:user", 3, timedelta(hours=1), 60, 3600)
REGISTER_ADDRESS = Policy("register:addr", 10, timedelta(hours=1), 60, 3600)
PASSWORD_ACCOUNT = Policy("password:user", 5, _QUARTER, 30, 900)
PASSWORD_ADDRESS = Policy("password:addr", 20, _QUARTER, 30, 900)


class Counted(Exception):
    """A refusal whose attempt has been counted. The endpoint answers `error` without raising,
    so that the request's transaction commits the count (a raised error would roll it back)."""

    def __init__(self, error: JiebangError):
        super().__init__(error.detail)
        self.error = error


@dataclass(frozen=True)
class Subject:
    """Who is trying: the account name (if any) and the client address."""

    account: str | None
    address: str

    def keys(self, account: Policy, address: Policy) -> list[tuple[Policy, str]]:
        keys = [(address, f"{address.name}:{self.address}")]
        if self.account:
            keys.append((account, f"{account.name}:{identity_key(self.account)[:100]}"))
        return keys


def _wait_message(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} 秒"
    return f"{math.ceil(seconds / 60)} 分钟"


def check(session: Session, keys: list[tuple[Policy, str]], now: datetime | None = None) -> None:
    """Refuse with 429 while any of `keys` is blocked."""
    now = now or utcnow()
    until = repository.blocked_until(session, [key for _, key in keys])
    if until is not None and until > now:
        wait = max(1, math.ceil((until - now).total_seconds()))
        raise TooManyRequests(
            f"尝试次数过多，请 {_wait_message(wait)}后再试",
            "Too many attempts; retry later",
            retry_after=wait,
        )


def count(session: Session, keys: list[tuple[Policy, str]], now: datetime | None = None) -> None:
    """Count one attempt under each key, blocking those past their free attempts."""
    now = now or utcnow()
    for policy, key in keys:
        attempts = repository.bump(session, key, now, now - policy.window)
        delay = policy.delay(attempts)
        if delay:
            repository.block(session, key, now + timedelta(seconds=delay))


def clear(session: Session, keys: list[tuple[Policy, str]]) -> None:
    """Forget the account keys after a success (the address keys keep counting)."""
    for policy, key in keys:
        if policy.name.endswith(":user"):
            repository.clear(session, key)
