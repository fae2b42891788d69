"""An expert review's steps in a real browser: the expert submits and declines on the review
sheet, the admin withdraws on the need's review page. A step answers the assignment's new
state, not its sheet (issue 15); the pages read what they show again."""

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, Pages, shot

pytestmark = pytest.mark.e2e

STORAGE = "储能电池舱热失控早期预警技术"  # demo: one application, `expert` assigned, expert2 not


def _api(app_url: str, username: str) -> httpx.Client:
    login = {"username": username, "password": PASSWORD}
    token = httpx.post(f"{app_url}/api/v1/auth/token", data=login, timeout=60).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    return httpx.Client(base_url=f"{app_url}/api/v1", headers=headers, timeout=60)


def _assign(admin: httpx.Client, need_id: int, expert_id: int) -> int:
    r = admin.post(f"/needs/{need_id}/review-assignments", json={"expert_id": expert_id})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_expert_submits_and_declines_and_the_admin_withdraws(pages: Pages, app_url: str) -> None:
    admin, expert2 = _api(app_url, "admin"), _api(app_url, "expert2")
    listed = admin.get("/review-assignments", params={"page_size": 100}).json()["items"]
    need_id = next(a["need_id"] for a in listed if a["need_title"] == STORAGE)
    expert2_id = expert2.get("/me").json()["id"]
    codes = [c["code"] for c in expert2.get("/review-criteria").json()]

    # expert2 has scored every card (through the API); submitting is the browser's
    first = _assign(admin, need_id, expert2_id)
    sheet = expert2.get(f"/review-assignments/{first}").json()
    for card in sheet["reviews"]:
        body = {"scores": dict.fromkeys(codes, 4), "comment": "预警指标可考核"}
        url = f"/review-assignments/{first}/reviews/{card['application']['id']}"
        assert expert2.put(url, json=body).status_code == 200
    expert = pages.login("expert2")
    expert.goto(f"/reviews/{first}")
    expect(expert.get_by_role("heading", name=STORAGE)).to_be_visible()
    expert.get_by_test_id("review-submit").click()
    expert.locator(".el-message-box").get_by_role("button", name="提交").click()
    expect(expert.get_by_text("评审意见已提交")).to_be_visible()
    # the sheet read again: submitted, read-only, the scores still shown
    expect(expert.locator(".page-title")).to_contain_text("已提交")
    expect(expert.get_by_test_id("review-submit")).to_have_count(0)
    cards = expert.locator("section[data-application-id]")
    expect(cards).to_have_count(len(sheet["reviews"]))
    expect(cards.first.locator(".el-rate__text").first).to_have_text("4 / 5 分")
    expect(cards.first.get_by_role("button", name="保存评分")).to_have_count(0)
    shot(expert, "review-submitted")

    # the admin withdraws the submitted assignment on the need's review page
    page = pages.login("admin")
    page.goto(f"/needs/{need_id}/reviews")
    row = page.locator("tr", has_text="钱文华")
    expect(row).to_contain_text("已提交")
    row.get_by_role("button", name="撤销").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("textarea").fill("专家日程冲突，改派其他专家")
    dialog.get_by_test_id("reason-confirm").click()
    expect(page.get_by_text("已撤销指派")).to_be_visible()
    expect(row).to_contain_text("已撤销")
    expect(row).to_contain_text("专家日程冲突，改派其他专家")

    # assigned again, expert2 declines on the sheet, which then holds no proposals
    second = _assign(admin, need_id, expert2_id)
    expert.goto(f"/reviews/{second}")
    expect(cards).to_have_count(len(sheet["reviews"]))
    expert.get_by_role("button", name="谢绝评审").click()
    dialog = expert.get_by_role("dialog")
    dialog.locator("textarea").fill("与申请单位存在合作关系，需利益回避")
    dialog.get_by_role("button", name="确认谢绝").click()
    expect(expert.get_by_text("已谢绝评审")).to_be_visible()
    expect(expert.locator(".page-title")).to_contain_text("已谢绝")
    expect(cards).to_have_count(0)
    expect(expert.get_by_role("button", name="谢绝评审")).to_have_count(0)
    expect(expert).to_have_url(re.compile(rf"/reviews/{second}$"))
    for p in (expert, page):
        assert p.console.unexpected() == [], p.console.errors
