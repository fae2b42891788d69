"""The asking dialogs no other browser test opens (FormDialog): 添加人工匹配, 提出里程碑 and 签约
each open, refuse an empty form next to its field, and close on 取消, leaving the data as it was."""

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD, Pages

pytestmark = pytest.mark.e2e

AWARDED = "柔性OLED薄膜封装水汽阻隔性能提升"  # demo: the enterprise's need with a winner


def _token(app_url: str, username: str) -> dict[str, str]:
    r = httpx.post(
        f"{app_url}/api/v1/auth/token", data={"username": username, "password": PASSWORD}
    )
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _refuses_empty_then_cancels(page: Page, title: str, confirm: str, message: str) -> None:
    dialog = page.get_by_role("dialog", name=title)
    expect(dialog).to_be_visible()
    dialog.get_by_test_id(confirm).click()
    expect(dialog.get_by_text(message)).to_be_visible()
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()


def test_manual_match_dialog(pages: Pages) -> None:
    broker = pages.login("broker")
    broker.goto("/matches")
    broker.get_by_test_id("manual-add").click()
    _refuses_empty_then_cancels(broker, "添加人工匹配", "manual-save", "请选择需求和成果")
    assert broker.console.unexpected() == [], broker.console.errors


def test_milestone_form_dialog(pages: Pages, app_url: str) -> None:
    needs = httpx.get(f"{app_url}/api/v1/needs", params={"q": AWARDED, "page_size": 5}).json()
    need_id = next(n["id"] for n in needs["items"] if n["title"] == AWARDED)
    owner = pages.login("enterprise")
    owner.goto(f"/needs/{need_id}")
    owner.get_by_test_id("milestone-new").click()
    _refuses_empty_then_cancels(owner, "提出里程碑", "milestone-save", "请填写里程碑名称")
    assert owner.console.unexpected() == [], owner.console.errors


def test_deal_dialog(pages: Pages, app_url: str) -> None:
    headers = _token(app_url, "broker")
    params = {"status": "negotiating", "page_size": 50}
    matches = httpx.get(f"{app_url}/api/v1/matches", params=params, headers=headers).json()
    match = next(m for m in matches["items"] if "deal" in m["actions"])
    broker = pages.login("broker")
    broker.goto(f"/matches/{match['id']}")
    broker.get_by_test_id("match-deal").click()
    _refuses_empty_then_cancels(broker, "签约", "deal-confirm", "请填写大于 0 的合同金额")
    after = httpx.get(f"{app_url}/api/v1/matches/{match['id']}", headers=headers).json()
    assert after["status"] == "negotiating"
    assert broker.console.unexpected() == [], broker.console.errors
