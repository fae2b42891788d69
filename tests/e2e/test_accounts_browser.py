"""Accounts on screen: an admin resets a password and the user must set a new one at the next
login; logout ends the session on the server; a self-registered broker waits, sees the pending
notice, and is approved in user management."""

import json
import re
import urllib.error
import urllib.request
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Pages, shot

pytestmark = pytest.mark.e2e


def _api(base: str, path: str, token: str | None = None, body: dict | None = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{base}{path}", data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return int(r.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


def _fill(page: Page, label: str, value: str) -> None:
    page.locator("form .el-form-item").filter(
        has=page.locator("label", has_text=re.compile(f"^{label}$"))
    ).locator("input").fill(value)


def _sign_in(pages: Pages, username: str, password: str) -> Page:
    page = pages.new()
    page.goto("/login")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(lambda u: "/login" not in u)
    return page


def test_admin_reset_forces_a_password_change_and_logout_revokes(pages: Pages) -> None:
    suffix = uuid.uuid4().hex[:6]
    username = f"reset_{suffix}"
    signup = {
        "username": username,
        "password": "First#2026",
        "display_name": "改密用户",
        "org": {"name": f"改密测试企业{suffix}", "kind": "enterprise"},
    }
    assert _api(pages.base_url, "/api/v1/auth/register", body=signup) == 201

    admin = pages.login("admin")
    admin.goto("/admin/users?role=enterprise")
    admin.get_by_test_id(f"reset-{username}").click()
    admin.get_by_role("button", name="重置", exact=True).click()
    box = admin.locator(".temporary-password")
    expect(box).to_contain_text("临时密码")
    temporary = re.search(r"临时密码：(\w+)", box.inner_text()).group(1)  # type: ignore[union-attr]
    shot(admin, "admin-password-reset")
    admin.get_by_role("button", name="我已记下").click()

    user = _sign_in(pages, username, temporary)
    expect(user).to_have_url(re.compile(r"^[^?]*/password"))
    expect(user.get_by_test_id("must-change-notice")).to_be_visible()
    user.goto("/my/needs")  # nothing else until the password is changed
    expect(user).to_have_url(re.compile(r"^[^?]*/password"))
    shot(user, "password-change-forced")
    user.get_by_test_id("password-current").fill(temporary)
    user.get_by_test_id("password-new").fill("Second#2026")
    user.get_by_test_id("password-confirm").fill("Second#2026")
    user.get_by_test_id("password-submit").click()
    expect(user).to_have_url(re.compile(r"^[^?]*/my/needs$"))
    token = user.evaluate("localStorage.getItem('jiebang.token')")
    assert _api(pages.base_url, "/api/v1/me", token) == 200

    user.locator(".account-btn").click()
    user.get_by_test_id("logout").click()
    expect(user).to_have_url(re.compile(r"^https?://[^/]+/needs$"))
    assert user.evaluate("localStorage.getItem('jiebang.token')") is None
    assert _api(pages.base_url, "/api/v1/me", token) == 401  # revoked on the server
    again = _sign_in(pages, username, "Second#2026")
    expect(again).to_have_url(re.compile(r"^[^?]*/my/needs$"))
    for page in (admin, user, again):
        assert page.console.unexpected() == [], page.console.errors


def test_self_registered_broker_waits_for_approval(pages: Pages) -> None:
    suffix = uuid.uuid4().hex[:6]
    username = f"broker_{suffix}"
    page = pages.new()
    page.goto("/register")
    page.get_by_text("技术转移机构", exact=True).click()
    expect(page.get_by_text("须经平台管理员审核后开通")).to_be_visible()
    page.get_by_placeholder("如：昆山某某科技有限公司").fill(f"测试技术转移中心{suffix}")
    for label, value in (
        ("用户名", username),
        ("密码", "Broker#2026"),
        ("确认密码", "Broker#2026"),
        ("姓名", "待审经纪人"),
    ):
        _fill(page, label, value)
    page.get_by_role("button", name="注册").click()
    expect(page.get_by_test_id("pending-notice")).to_be_visible()
    expect(page).to_have_url(re.compile(r"^https?://[^/]+/needs$"))
    expect(page.get_by_role("link", name="匹配审核")).to_have_count(0)
    shot(page, "broker-pending")

    admin = pages.login("admin")
    admin.goto("/admin/users?status=pending")
    expect(admin.get_by_text(username)).to_be_visible()
    shot(admin, "admin-pending-accounts")
    admin.get_by_test_id(f"approve-{username}").click()
    admin.get_by_role("button", name="通过", exact=True).last.click()
    expect(admin.get_by_text("已通过")).to_be_visible()

    page.reload()
    expect(page.get_by_test_id("pending-notice")).to_have_count(0)
    expect(page.get_by_role("link", name="匹配审核")).to_be_visible()
    for p in (page, admin):
        assert p.console.unexpected() == [], p.console.errors
