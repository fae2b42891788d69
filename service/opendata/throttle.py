"""Each key's rate limit: a fixed one-minute window counted in the database.

Every request with a key bumps its key's row for the current minute (`api_key_windows`) and
its day's usage (`api_key_usage`), each one upsert. The counts live in tables, not in process
memory: the service runs as several worker processes, and a per-process count would multiply
the allowance by the number of workers. A request past the limit is refused 429 with
Retry-After (the seconds left in the minute) and counted as throttled.
"""

import math
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from service.kit.clock import today
from service.kit.db import utcnow
from service.kit.errors import NotAuthenticated, TooManyRequests
from service.models.enums import ApiKeyStatus
from service.opendata import keys, repository

HEADER = "X-Api-Key"


class ApiKeyRefused(NotAuthenticated):
    """No key, an unknown key or a revoked one."""

    code = "api_key_required"
    headers = {"WWW-Authenticate": f'ApiKey header="{HEADER}"'}
    openapi_headers: ClassVar[dict[str, Any]] = {
        "WWW-Authenticate": {"description": "所需的认证方式", "schema": {"type": "string"}}
    }


class RateLimited(TooManyRequests):
    code = "rate_limited"


def missing() -> ApiKeyRefused:
    return ApiKeyRefused(
        f"缺少 API 密钥：请在请求头 {HEADER} 中提供开放接口密钥", "API key required"
    )


def admit(session: Session, secret: str, now: datetime | None = None) -> RateLimited | None:
    """Count one request of the key `secret`; the refusal to answer when it is over its
    limit (the caller commits the count first, then raises it). An unknown or revoked key
    is refused at once (401), and nothing is counted."""
    now = now or utcnow()
    minute = int(now.timestamp()) // 60
    digest = keys.digest(secret)
    counted = repository.bump_window(session, digest, minute)
    if counted is None:
        key = repository.key_by_digest(session, digest)
        if key is not None and key.status == ApiKeyStatus.revoked:
            raise ApiKeyRefused(
                "该 API 密钥已吊销，请在「开放接口」页面创建新的密钥",
                "API key revoked",
                code="api_key_revoked",
            )
        raise ApiKeyRefused(
            "API 密钥无效，请检查是否完整复制", "Invalid API key", code="api_key_invalid"
        )
    key_id, count = counted
    if count == 1:  # a new minute: the key's older windows are done with
        repository.forget_windows(session, key_id, minute)
    limit = repository.rate_limit(session, key_id)
    throttled = count > limit
    repository.bump_usage(session, key_id, today(), now, throttled=throttled)
    if not throttled:
        return None
    wait = max(1, math.ceil(60 - now.timestamp() % 60))
    return RateLimited(
        f"请求过于频繁：该密钥每分钟最多 {limit} 次，请 {wait} 秒后再试",
        f"Rate limit of {limit} requests per minute exceeded",
        retry_after=wait,
    )
