"""Each key's rate limit (a fixed minute window counted in the database, so every worker
process shares it) and its usage counts, seen by the owner and the admin."""

import time
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.kit.clock import today
from service.models import ApiKeyUsage, ApiKeyWindow
from service.models.enums import Role
from service.opendata import keys, throttle
from service.opendata.schemas import ApiKeyCreate
from service.opendata.service import create_key
from tests.factories import auth, create_user

OPEN = "/api/open/v1"


def _clear_of_the_minute_end() -> None:
    """The HTTP test counts within one minute: start it early enough in the minute."""
    second = datetime.now(UTC).second
    if second > 50:
        time.sleep(61 - second)


def test_a_key_past_its_limit_gets_429_with_retry_after_and_the_count_is_kept(
    client: TestClient, session: Session
) -> None:
    owner = create_user(session, Role.enterprise)
    created = client.post(
        "/api/v1/api-keys",
        json={"name": "限流测试", "rate_limit_per_minute": 3},
        headers=auth(owner),
    ).json()
    header = {"X-Api-Key": created["secret"]}
    _clear_of_the_minute_end()
    answers = [client.get(f"{OPEN}/fields/stats", headers=header) for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    refused = answers[3]
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 60
    assert refused.json() == {
        "error": "rate_limited",
        "detail": f"请求过于频繁：该密钥每分钟最多 3 次，请 {wait} 秒后再试",
        "detail_en": "Rate limit of 3 requests per minute exceeded",
    }
    # The refusals were counted (committed before the 429), as were the answers.
    usage = session.scalars(select(ApiKeyUsage).where(ApiKeyUsage.key_id == created["id"])).one()
    assert (usage.day, usage.requests, usage.throttled) == (today(), 3, 2)
    listed = client.get("/api/v1/api-keys", headers=auth(owner)).json()["items"][0]
    assert (listed["requests_today"], listed["throttled_today"]) == (3, 2)
    assert listed["requests_30_days"] == 3 and listed["last_used_at"] is not None
    # Another key of the same organisation has its own allowance.
    other = client.post("/api/v1/api-keys", json={"name": "第二个"}, headers=auth(owner)).json()
    response = client.get(f"{OPEN}/needs", headers={"X-Api-Key": other["secret"]})
    assert response.status_code == 200


def test_the_window_is_per_minute_and_old_windows_are_dropped(session: Session) -> None:
    owner = create_user(session, Role.researcher)
    created = create_key(session, owner, ApiKeyCreate(name="窗口测试", rate_limit_per_minute=2))
    at = datetime(2026, 12, 2, 8, 0, 10, tzinfo=UTC)
    assert throttle.admit(session, created.secret, at) is None
    assert throttle.admit(session, created.secret, at + timedelta(seconds=20)) is None
    refusal = throttle.admit(session, created.secret, at + timedelta(seconds=35))
    assert refusal is not None and refusal.retry_after == 15
    assert refusal.headers == {"Retry-After": "15"}
    # The next minute starts again, and the finished minute's row is gone.
    assert throttle.admit(session, created.secret, at + timedelta(seconds=50)) is None
    windows = session.execute(
        select(ApiKeyWindow.minute, ApiKeyWindow.requests).where(ApiKeyWindow.key_id == created.id)
    ).all()
    assert windows == [(int(at.timestamp()) // 60 + 1, 1)]
    assert created.secret not in str(windows)
    assert keys.digest(created.secret) != created.secret


def test_usage_per_day_is_visible_to_the_owner_and_the_admin_not_to_others(
    client: TestClient, session: Session
) -> None:
    owner = create_user(session, Role.enterprise)
    created = client.post("/api/v1/api-keys", json={"name": "用量"}, headers=auth(owner)).json()
    header = {"X-Api-Key": created["secret"]}
    for path in ("needs", "capabilities", "results", "fields/stats"):
        assert client.get(f"{OPEN}/{path}", headers=header).status_code == 200
    # A request refused for bad input still counts as a call.
    assert client.get(f"{OPEN}/needs", params={"limit": 0}, headers=header).status_code == 422
    for viewer in (owner, create_user(session, Role.admin)):
        usage = client.get(f"/api/v1/api-keys/{created['id']}/usage", headers=auth(viewer))
        assert usage.status_code == 200
        body = usage.json()
        assert len(body["days"]) == 30 and body["days"][-1]["day"] == today().isoformat()
        assert body["days"][-1]["requests"] == 5 and body["days"][-1]["throttled"] == 0
        assert sum(d["requests"] for d in body["days"]) == 5
        assert body["key"]["requests_today"] == 5
    stranger = create_user(session, Role.enterprise)
    usage = client.get(f"/api/v1/api-keys/{created['id']}/usage", headers=auth(stranger))
    assert usage.status_code == 404
    rows = session.scalar(
        select(func.count()).select_from(ApiKeyUsage).where(ApiKeyUsage.key_id == created["id"])
    )
    assert rows == 1


def test_an_unknown_or_revoked_key_counts_nothing(client: TestClient, session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    created = client.post("/api/v1/api-keys", json={"name": "吊销"}, headers=auth(owner)).json()
    client.post(f"/api/v1/api-keys/{created['id']}/revoke", headers=auth(owner))
    response = client.get(f"{OPEN}/needs", headers={"X-Api-Key": created["secret"]})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'ApiKey header="X-Api-Key"'
    count = session.scalar(
        select(func.count()).select_from(ApiKeyUsage).where(ApiKeyUsage.key_id == created["id"])
    )
    assert count == 0
