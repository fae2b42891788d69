"""Recommendations lead somewhere (issue 12 item 4): the enterprise invites a recommended
capability's organisation to apply and asks a broker to connect them; the broker finds the
request in the queue with who asked. Buttons come from the API's `actions` and go once used."""

from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Pages, shot

pytestmark = pytest.mark.e2e

NEED = "车载中控屏使用一段时间后屏幕边缘发黄"  # ent_lanchi_auto's need, 张榜中


def _open_need(page: Page, title: str) -> None:
    page.goto(f"/needs?q={quote(title)}&mode=keyword")
    page.get_by_role("link", name=title).first.click()
    expect(page.locator("h1")).to_contain_text(title)


def test_invite_and_ask_a_broker_from_a_recommendation(pages: Pages, engine_ready: str) -> None:
    owner = pages.login("ent_lanchi_auto")
    _open_need(owner, NEED)
    section = owner.get_by_test_id("recommended-capabilities")
    card = section.locator(".hit-card").filter(has=owner.get_by_test_id("hit-invite")).first
    expect(card).to_be_visible()
    title = card.locator("h3").inner_text()
    card = section.locator(".hit-card").filter(has_text=title).first

    card.get_by_test_id("hit-invite").click()
    owner.get_by_role("button", name="发送邀请").click()
    expect(card.get_by_test_id("hit-invited")).to_be_visible()
    expect(card.get_by_test_id("hit-invite")).to_have_count(0)

    card.get_by_test_id("hit-request-broker").click()
    owner.get_by_role("button", name="提交申请").click()
    expect(card.get_by_test_id("hit-requested")).to_be_visible()
    expect(card.get_by_test_id("hit-request-broker")).to_have_count(0)
    # the page read again from the API keeps both steps done
    owner.reload()
    again = (
        owner.get_by_test_id("recommended-capabilities").locator(".hit-card").filter(has_text=title)
    )
    expect(again.get_by_test_id("hit-invited")).to_be_visible()
    expect(again.get_by_test_id("hit-requested")).to_be_visible()
    expect(again.get_by_role("button")).to_have_count(0)
    shot(owner, "recommendation-invited-and-requested")
    assert owner.console.unexpected() == [], owner.console.errors

    broker = pages.login("broker")
    broker.goto("/matches?status=candidate&requested=true")
    request = broker.locator(".match-card").filter(has_text=title).filter(has_text=NEED)
    expect(request.get_by_test_id("match-requested-by")).to_contain_text("需求方")
    expect(request.get_by_test_id("match-requested-by")).to_contain_text("请经纪人对接")
    expect(request.get_by_test_id("match-approve")).to_be_visible()
    shot(broker, "broker-queue-requests")
    assert broker.console.unexpected() == [], broker.console.errors
