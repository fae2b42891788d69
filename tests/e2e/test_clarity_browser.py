"""需求明确度 in the browser: the live panel beside the need form, and the score with its hints
in the admin review queue."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Pages, shot

pytestmark = pytest.mark.e2e


def test_review_queue_shows_the_submitted_clarity(pages: Pages) -> None:
    admin = pages.login("admin")
    admin.goto("/admin/review")
    queue = admin.get_by_test_id("review-needs")
    note = queue.get_by_test_id("review-clarity").first
    expect(note).to_contain_text(re.compile(r"需求明确度 \d+ · (明确|基本明确|待完善)"))
    shot(admin, "review-queue-clarity")
    assert admin.console.unexpected() == [], admin.console.errors


def test_live_clarity_panel_coaches_while_writing(pages: Pages, engine_ready: str) -> None:
    ent = pages.login("enterprise")
    ent.goto("/my/needs/new")
    panel = ent.get_by_test_id("clarity-panel")
    expect(panel).to_be_visible()
    ent.get_by_test_id("need-title-input").fill("提高良率")
    ent.get_by_test_id("need-problem").fill("良率低，希望提高。")
    ent.get_by_test_id("need-expected-goal").fill("优化工艺，提升产品质量")
    vague = panel.locator("[data-rule='vague_goal']")
    # the score comes before the engine's preview (the engine may still be warming up)
    expect(vague).to_contain_text("“优化工艺”只说要优化", timeout=60_000)
    expect(vague).to_contain_text("预期目标")
    expect(panel.locator("[data-rule='no_indicators']")).to_be_visible()
    expect(panel.get_by_test_id("clarity-score")).to_have_text(re.compile(r"^\d{1,2}$"))
    expect(panel.get_by_test_id("clarity-preview")).to_have_text(
        re.compile(r"目前平台上有 \d+ 项成果与之高度匹配"), timeout=60_000
    )
    low = int(panel.get_by_test_id("clarity-score").inner_text())

    ent.get_by_test_id("need-problem").fill(
        "我司车载OLED模组目前在85℃/85%RH存放500小时后边缘出现发黄，整批判为不合格。"
    )
    ent.get_by_test_id("need-key-difficulty").fill(
        "已尝试更换边框密封胶三轮，仍无改善；屏体需弯折，无法用玻璃盖板整体封装。"
    )
    ent.get_by_test_id("need-expected-goal").fill(
        "85℃/85%RH存放1000小时后边缘无发黄，弯折半径3mm弯折10万次后同样无异常。"
    )
    expect(vague).to_have_count(0, timeout=60_000)
    expect(panel.locator("[data-rule='no_current_state']")).to_have_count(0)
    expect(panel.get_by_test_id("clarity-score")).not_to_have_text(str(low))
    assert int(panel.get_by_test_id("clarity-score").inner_text()) > low
    shot(ent, "need-form-clarity")
    assert ent.console.unexpected() == [], ent.console.errors
