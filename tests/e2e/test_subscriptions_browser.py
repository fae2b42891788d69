"""我的订阅 on screen: a researcher subscribes to the board's current search (「订阅此搜索」),
manages it from the user menu (frequency, pause, resume), hears of a matching need when the
admin approves it, 退订 with the e-mail's signed link without signing in, then deletes it."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, Pages, shot
from tests.factories import need_payload

pytestmark = pytest.mark.e2e
NAME = "新能源汽车 + 热管理"
TITLE = "电驱总成热管理与油冷回路优化"


def _token(app_url: str, username: str) -> dict[str, str]:
    r = httpx.post(
        f"{app_url}/api/v1/auth/token", data={"username": username, "password": PASSWORD}
    )
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _publish_matching_need(app_url: str) -> int:
    """An enterprise posts and submits a need, the admin approves it (张榜)."""
    body = need_payload(title=TITLE, field="nev", keywords=["热管理", "油冷"])
    owner = _token(app_url, "enterprise2")
    r = httpx.post(f"{app_url}/api/v1/needs", json=body, headers=owner)
    assert r.status_code == 201, r.text
    need_id = r.json()["id"]
    r = httpx.post(f"{app_url}/api/v1/needs/{need_id}/submit", headers=owner)
    assert r.status_code == 200, r.text
    r = httpx.post(f"{app_url}/api/v1/needs/{need_id}/approve", headers=_token(app_url, "admin"))
    assert r.status_code == 200, r.text
    return int(need_id)


def _server_key(tmp_path_factory: pytest.TempPathFactory, access: str) -> str:
    """The live server's signing key: the one of its var directory that signed `access`."""
    for path in Path(tmp_path_factory.getbasetemp()).glob("e2e-var*/secret.key"):
        key = path.read_text().strip()
        try:
            jwt.decode(access, key, algorithms=["HS256"])
            return key
        except jwt.PyJWTError:
            continue
    raise AssertionError("the server's secret.key was not found")


def _link_token(key: str, user_id: int, sub_id: int) -> str:
    """What the digest's 退订 link carries, signed with the live server's key."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sids": [sub_id],
        "sub": str(user_id),
        "typ": "unsubscribe",
        "iat": now,
        "exp": now + timedelta(days=60),
    }
    return jwt.encode(claims, key, algorithm="HS256")


def test_subscribe_manage_hear_and_unsubscribe(
    pages: Pages, app_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    page = pages.login("researcher2")
    page.goto("/needs?field=nev&q=热管理&mode=keyword")
    with page.expect_response(
        lambda r: r.url.endswith("/api/v1/subscriptions") and r.request.method == "POST"
    ) as made:
        page.get_by_test_id("subscribe-search").click()
    assert made.value.status == 201, made.value.text()
    sub = made.value.json()
    assert sub["name"] == NAME and sub["side"] == "need"
    expect(page.get_by_text(f"已订阅「{NAME}」")).to_be_visible()

    # 我的订阅 from the user menu
    page.locator(".account-btn").click()
    page.get_by_test_id("menu-subscriptions").click()
    page.wait_for_url(re.compile(r"/my/subscriptions"))
    row = page.get_by_test_id("subscription-table").locator("tr", has_text=NAME)
    expect(row).to_contain_text("订阅中")
    expect(row).to_contain_text("技术需求")
    page.get_by_test_id(f"frequency-{sub['id']}").click()
    with page.expect_response(lambda r: r.request.method == "PATCH") as patched:
        page.get_by_role("option", name="每日").click()
    assert patched.value.status == 200 and patched.value.json()["frequency"] == "daily"
    page.get_by_test_id(f"pause-{sub['id']}").click()
    expect(page.get_by_test_id(f"status-{sub['id']}")).to_have_text("已暂停")
    page.get_by_test_id(f"resume-{sub['id']}").click()
    expect(page.get_by_test_id(f"status-{sub['id']}")).to_have_text("订阅中")
    shot(page, "subscriptions-mine")

    # a matching need is published: the researcher hears of it in-app
    need_id = _publish_matching_need(app_url)
    page.goto("/notifications")
    notice = page.get_by_text(f"您订阅的「{NAME}」有新技术需求：{TITLE}")
    expect(notice).to_be_visible()
    page.reload()
    page.goto("/my/subscriptions")
    expect(row).to_contain_text("1")  # hits

    # 退订 from the e-mail, signed out: a tampered link is refused, the real one works twice
    headers = _token(app_url, "researcher2")
    me = httpx.get(f"{app_url}/api/v1/me", headers=headers).json()
    key = _server_key(tmp_path_factory, headers["Authorization"].removeprefix("Bearer "))
    token = _link_token(key, me["id"], sub["id"])
    visitor = pages.new()
    visitor.goto(f"/unsubscribe?token={token[:-3]}AAA")
    expect(visitor.get_by_test_id("unsubscribe-result")).to_contain_text("无法退订")
    expect(visitor.get_by_test_id("unsubscribe-result")).to_contain_text("退订链接无效或已被改动")
    for _ in range(2):
        visitor.goto(f"/unsubscribe?token={token}")
        expect(visitor.get_by_test_id("unsubscribe-result")).to_contain_text("退订成功")
        expect(visitor.get_by_test_id("unsubscribe-result")).to_contain_text(f"已退订：{NAME}")
    shot(visitor, "subscriptions-unsubscribed")
    page.reload()
    expect(page.get_by_test_id(f"status-{sub['id']}")).to_have_text("已暂停")

    page.get_by_test_id(f"delete-{sub['id']}").click()
    page.get_by_role("button", name="删除").last.click()
    expect(page.get_by_test_id("subscription-table")).not_to_contain_text(NAME)
    assert need_id
    assert page.console.unexpected() == [] and visitor.console.unexpected("400") == []
