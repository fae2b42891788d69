"""A list longer than the count cap (`JIEBANG_LIST_COUNT_CAP`, here CAPPED_COUNT on a server of
its own): the server stops counting and the page says 「共 N+ 条」 instead of a number; a list
within the cap keeps its exact count."""

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CAPPED_COUNT, Pages

pytestmark = pytest.mark.e2e


@pytest.fixture
def capped_pages(browser: object, capped_app_url: str) -> Iterator[Pages]:
    opened = Pages(browser, capped_app_url)
    yield opened
    for ctx in opened.contexts:
        ctx.close()  # type: ignore[attr-defined]


def test_a_list_past_the_cap_shows_a_lower_bound(capped_pages: Pages, capped_app_url: str) -> None:
    listed = httpx.get(f"{capped_app_url}/api/v1/capabilities", params={"page_size": 10}).json()
    assert (listed["total"], listed["total_exact"]) == (CAPPED_COUNT, False)  # the demo has more
    page = capped_pages.new()
    page.goto("/capabilities")
    expect(page.get_by_text(f"共 {CAPPED_COUNT}+ 项成果")).to_be_visible()
    expect(page.get_by_test_id("pager-count")).to_have_text(f"共 {CAPPED_COUNT}+ 条")

    # a keyword filter that leaves fewer rows than the cap: the count is exact again
    title = listed["items"][0]["title"]
    page.goto(f"/capabilities?q={title}&mode=keyword")
    few = httpx.get(f"{capped_app_url}/api/v1/capabilities", params={"q": title}).json()
    assert few["total_exact"] and 1 <= few["total"] < CAPPED_COUNT, few["total"]
    expect(page.get_by_text(f"共 {few['total']} 项成果")).to_be_visible()
    expect(page.get_by_text(f"共 {few['total']} 条", exact=True)).to_be_visible()
    expect(page.get_by_test_id("pager-count")).to_be_hidden()
    assert page.console.unexpected() == [], page.console.errors
