"""Issue 12's flows in a real browser: work is never lost on the expert's scoring sheet, the award
dialog proposes what the applicant asked for, the broker queue filters and groups, the admin
review confirms with the 技术指标, and review figures carry their scale."""

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD, PHONE, Pages, shot

pytestmark = pytest.mark.e2e

COOLING = "智算中心高密度机柜液冷散热系统"  # demo: expert2 has scored one of two cards


def _open_assignment(page: Page, title: str) -> None:
    page.goto("/reviews")
    page.locator(".posting-card", has_text=title).get_by_role("button", name="去评分").click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()


def _rate(card, row: int, stars: int) -> None:  # noqa: ANN001 - playwright Locator
    card.locator(".el-rate").nth(row).locator(".el-rate__item").nth(stars - 1).click()


def test_scoring_sheet_keeps_unsaved_cards_and_refuses_empty_ones(pages: Pages) -> None:
    expert = pages.login("expert2")
    _open_assignment(expert, COOLING)
    # The need's 技术指标 and the criteria's weights as shares, scores with their scale.
    expect(expert.get_by_test_id("review-indicators")).to_be_visible()
    criteria = expert.locator(".criteria")
    expect(criteria).to_contain_text("满分 5 分")
    expect(criteria.locator("li").first).to_contain_text("权重 30%")
    expect(criteria).not_to_contain_text("30.00")
    cards = expert.locator("section[data-application-id]")
    expect(cards).to_have_count(2)
    drafted, empty = cards.nth(0), cards.nth(1)
    expect(drafted.locator(".el-rate__text").first).to_have_text("4 / 5 分")

    # An empty card is refused with a clear message, and nothing claims it was saved.
    empty.get_by_role("button", name="保存评分").click()
    refusal = "请至少为一个评审项打分或填写评审意见后再保存"
    expect(empty.get_by_text(refusal)).to_be_visible()
    expect(expert.get_by_text("评分已保存")).to_have_count(0)

    # Unsaved work on one card survives saving another.
    _rate(drafted, 2, 3)
    drafted.locator("textarea").fill("团队工程化经验充分，建议补充漏液事故应急预案")
    expect(drafted.get_by_test_id("unsaved")).to_be_visible()
    for row in range(4):
        _rate(empty, row, 4)
    empty.get_by_role("button", name="保存评分").click()
    expect(expert.get_by_text("评分已保存")).to_be_visible()
    expect(empty.get_by_test_id("unsaved")).to_have_count(0)
    expect(empty.get_by_text("已评分")).to_be_visible()
    expect(drafted.locator(".el-rate__text").nth(2)).to_have_text("3 / 5 分")
    expect(drafted.locator("textarea")).to_have_value(
        "团队工程化经验充分，建议补充漏液事故应急预案"
    )
    expect(drafted.get_by_test_id("unsaved")).to_be_visible()
    shot(expert, "review-sheet-unsaved")

    # Leaving with unsaved changes asks first; cancelling stays on the sheet.
    expert.locator(".crumbs").get_by_text("评审任务").click()
    box = expert.locator(".el-message-box")
    expect(box).to_contain_text("尚未保存")
    box.get_by_role("button", name="取消").click()
    expect(expert.get_by_role("heading", name=COOLING)).to_be_visible()
    # Saved, it leaves without asking; reopened, the saved card reads back.
    drafted.get_by_role("button", name="保存评分").click()
    expect(drafted.get_by_test_id("unsaved")).to_have_count(0)
    expert.locator(".crumbs").get_by_text("评审任务").click()
    expect(expert).to_have_url(re.compile(r"/reviews$"))
    _open_assignment(expert, COOLING)
    expect(cards.nth(0).locator(".el-rate__text").nth(2)).to_have_text("3 / 5 分")
    expect(cards.nth(1).locator(".el-rate__text").first).to_have_text("4 / 5 分")
    assert expert.console.unexpected() == [], expert.console.errors


MURA = "柔性AMOLED模组Mura缺陷自动检测与分级系统"  # demo: bounty 480, 金陵工程大学 asked 420


def test_award_dialog_proposes_the_requested_amount(pages: Pages) -> None:
    ent = pages.login("enterprise")
    ent.goto(f"/needs?q={MURA}&mode=keyword")
    ent.locator(".need-card", has_text=MURA).get_by_role("link", name=MURA).click()
    ent.wait_for_url(re.compile(r"/needs/\d+$"))
    ent.goto(f"{ent.url}/applications")
    table = ent.get_by_test_id("compare-table")
    expect(table.locator("thead th", has_text="金陵工程大学")).to_be_visible()
    heads = table.locator("thead th").all_inner_texts()
    column = next(i for i, text in enumerate(heads) if "金陵工程大学" in text)
    operations = table.locator("tbody tr").filter(has=ent.locator("th", has_text="操作"))
    operations.locator("td").nth(column - 1).get_by_role("button", name="确定揭榜方").click()

    dialog = ent.get_by_role("dialog")
    amount = dialog.get_by_test_id("award-amount")
    expect(amount).to_have_value("420")  # what the applicant asked for, not the 480 left
    expect(dialog.get_by_test_id("award-difference")).to_have_text("与申请金额一致")
    amount.fill("400")
    expect(dialog.get_by_test_id("award-difference")).to_have_text(
        "比申请金额少 20 万元（申请 420 万元，承诺 400 万元）"
    )
    amount.fill("435.5")
    expect(dialog.get_by_test_id("award-difference")).to_contain_text("比申请金额多 15.5 万元")
    shot(ent, "award-dialog-difference")
    dialog.get_by_role("button", name="取消").click()  # the demo keeps its open call
    assert ent.console.unexpected() == [], ent.console.errors


def test_enterprise_reads_where_the_expert_review_stands(pages: Pages) -> None:
    ent = pages.login("ent_suanli_data")
    ent.goto(f"/needs?q={COOLING}&mode=keyword")
    ent.locator(".need-card", has_text=COOLING).get_by_role("link", name=COOLING).click()
    ent.get_by_test_id("view-reviews").click()
    progress = ent.get_by_test_id("review-progress")
    # Demo: one expert submitted, one still scoring; who they are stays with the bureau.
    expect(progress).to_contain_text("科技局已指派 2 位评审专家，1 位已提交评审意见，1 位评审中")
    expect(progress).to_contain_text(re.compile(r"评审结果预计 \d{4}-\d{2}-\d{2} 前产生"))
    results = ent.get_by_test_id("review-results")
    expect(results).to_contain_text("满分 5 分")
    expect(results.locator("th", has_text="技术先进性（权重 30%）")).to_be_visible()
    lead = results.locator("tr", has_text="苏南理工大学")
    expect(lead).to_contain_text("4.00 / 5 分")
    expect(lead).to_contain_text("4.50 / 5 分")  # (4×30 + 5×30 + 5×20 + 4×20) / 100
    expect(ent.locator("body")).not_to_contain_text("钱文华")
    shot(ent, "review-results-enterprise")
    assert ent.console.unexpected() == [], ent.console.errors


def test_broker_queue_filters_groups_and_deep_links(pages: Pages, engine_ready: str) -> None:
    broker = pages.login("broker")
    expect(broker).to_have_url(re.compile(r"/matches$"))
    cards = broker.locator(".match-card")
    expect(cards.first).to_be_visible()

    # Score band: every card shown is 高.
    broker.get_by_test_id("filter-band").click()
    broker.locator(".el-select-dropdown__item:visible", has_text="高（≥50）").click()
    expect(broker).to_have_url(re.compile(r"band=high"))
    broker.wait_for_load_state("networkidle")  # the list reloads after the URL changes
    expect(cards.first).to_be_visible()
    # Auto-retrying checks: the list may re-render while the board refreshes.
    expect(broker.locator('.match-card .score:not([data-band="high"])')).to_have_count(0)

    # Field and keyword narrow it further; the URL keeps every filter.
    broker.get_by_test_id("filter-field").click()
    broker.locator(".el-select-dropdown__item:visible", has_text="新型显示").click()
    expect(broker).to_have_url(re.compile(r"field=display"))
    broker.wait_for_load_state("networkidle")
    expect(cards.first).to_be_visible()
    expect(cards.filter(has_not_text="新型显示")).to_have_count(0)
    broker.get_by_test_id("filter-keyword").fill("显示")  # the testid is on the <input> itself
    broker.get_by_test_id("filter-keyword").press("Enter")
    expect(broker).to_have_url(re.compile(r"q=%E6%98%BE%E7%A4%BA"))
    broker.wait_for_load_state("networkidle")
    expect(cards.first).to_be_visible()
    expect(cards.filter(has_not_text="显示")).to_have_count(0)  # need or capability title
    shot(broker, "broker-queue-filtered")

    # Grouped by need: a group narrows the queue to its need.
    broker.get_by_role("button", name="清除筛选").click()
    broker.wait_for_load_state("networkidle")
    groups = broker.get_by_test_id("need-groups")
    expect(groups.locator("button.group").first).to_be_visible()
    # The groups may re-order while the board refreshes: read the title from the chip the
    # click produced, not from the button before it.
    groups.locator("button.group").first.click()
    expect(broker).to_have_url(re.compile(r"need_id=\d+"))
    chip = broker.get_by_test_id("filter-need")
    expect(chip).to_have_text(re.compile(r"^\s*需求：[^#]"))  # the title, not the bare #id
    title = chip.inner_text().strip().removeprefix("需求：")
    broker.wait_for_load_state("networkidle")
    expect(cards.first).to_be_visible()
    expect(cards.filter(has_not_text=title)).to_have_count(0)

    # The 新候选 notification's link (/matches?status=candidate&need_id=…) is this same view:
    # its link is tested in tests/service/engine/test_candidates.py.
    noted = title
    broker.goto(f"/matches?status=candidate&need_id={broker.url.split('need_id=')[1]}")
    expect(broker.get_by_test_id("match-board").locator(".stage.active")).to_contain_text("待审核")
    broker.wait_for_load_state("networkidle")
    expect(cards.first).to_be_visible()
    expect(cards.filter(has_not_text=noted)).to_have_count(0)
    shot(broker, "broker-queue-need-candidates")

    # The need's own page offers the same review actions.
    cards.first.locator(".side-title").first.click()
    expect(broker.get_by_test_id("need-title")).to_have_text(noted)
    panel = broker.get_by_test_id("need-candidates")
    expect(panel.locator(".match-card").first).to_be_visible()
    expect(panel.locator(".match-card").first.get_by_test_id("match-reject")).to_be_visible()
    expect(panel.get_by_test_id("need-queue-link")).to_be_visible()
    assert broker.console.unexpected() == [], broker.console.errors


# Demo needs past their award: won by 苏南理工大学 and 纳微研究院 jointly, and by 东方能源研究院.
AWARDED = ("柔性OLED薄膜封装水汽阻隔性能提升", "阵列工艺剥离液废液回收再利用")


def _need_id(app_url: str, title: str) -> tuple[int, str]:
    page = httpx.get(f"{app_url}/api/v1/needs", params={"q": title, "page_size": 5}).json()
    need = next(n for n in page["items"] if n["title"] == title)
    return need["id"], need["status"]


def test_only_the_parties_ask_for_milestones_and_the_ledger(pages: Pages, app_url: str) -> None:
    """Issue 12 item 12: a non-party's page of an awarded or in-progress need asks for no
    milestones or ledger, so logs no 401/403; the owner still sees them."""
    needs = [_need_id(app_url, title) for title in AWARDED]
    assert {status for _, status in needs} <= {"awarded", "in_progress"}, needs
    owner = pages.login("enterprise")
    for need_id, _ in needs:
        owner.goto(f"/needs/{need_id}")
        expect(owner.get_by_test_id("ledger")).to_be_visible()
    assert owner.console.unexpected() == [], owner.console.errors

    viewers = {name: pages.login(name) for name in ("broker", "enterprise2", "expert")}
    viewers["visitor"] = pages.new()
    for name, page in viewers.items():
        asked: list[str] = []
        page.on("request", lambda r, asked=asked: asked.append(r.url))
        for need_id, _ in needs:
            page.goto(f"/needs/{need_id}")
            expect(page.get_by_test_id("need-title")).to_be_visible()
            # The panel would ask as it mounts, with the title: no wait for a network lull.
            expect(page.get_by_test_id("milestones")).to_have_count(0)
        parts = [u for u in asked if re.search(r"/needs/\d+/(ledger|milestones)", u)]
        assert parts == [], (name, parts)
        assert page.console.unexpected() == [], (name, page.console.errors)


def test_public_board_shows_status_opens_on_open_needs_and_publishes_results(
    pages: Pages,
) -> None:
    """Issue 12 item 8: every card carries its status, the board opens on 张榜中, and the
    揭榜结果公示 lists the awards of public needs (winner, amount in 万元, date)."""
    public = pages.new()
    public.goto("/needs")
    cards, badges = public.locator(".need-card"), public.get_by_test_id("need-status")
    expect(public.get_by_test_id("filter-status")).to_contain_text("张榜中")
    expect(cards.first).to_be_visible()
    expect(cards.filter(has_not=public.get_by_test_id("need-status"))).to_have_count(0)
    expect(badges.filter(has_not_text="张榜中")).to_have_count(0)
    shot(public, "board-open-needs")

    # Closed needs are one choice away, and say what they are.
    public.get_by_test_id("filter-status").click()
    public.locator(".el-select-dropdown__item:visible", has_text="揭榜成功").click()
    expect(public).to_have_url(re.compile(r"status=awarded"))
    expect(cards.filter(has_text=AWARDED[1])).to_be_visible()
    expect(badges.filter(has_not_text="揭榜成功")).to_have_count(0)
    public.get_by_test_id("filter-status").click()
    public.locator(".el-select-dropdown__item:visible", has_text="全部状态").click()
    expect(public).to_have_url(re.compile(r"status=all"))
    expect(public.get_by_test_id("filter-status")).to_contain_text("全部状态")

    # 揭榜结果公示, from the board: both winners of the OLED need, with amounts and dates.
    public.get_by_test_id("results-link").click()
    expect(public).to_have_url(re.compile(r"/results$"))
    oled = public.get_by_test_id("award-result").filter(has_text=AWARDED[0])
    expect(oled).to_have_count(2)
    lead = oled.filter(has_text="苏南理工大学")
    expect(lead.get_by_test_id("award-amount")).to_have_text("400 万元")
    expect(lead.get_by_test_id("award-date")).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2}$"))
    expect(public.get_by_test_id("award-result").filter(has_text="已验收")).not_to_have_count(0)
    shot(public, "award-results")
    assert public.console.unexpected() == [], public.console.errors

    phone = pages.login("researcher", PHONE)
    phone.goto("/results")
    expect(phone.get_by_test_id("award-result").first).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"揭榜结果公示 scrolls sideways at 375px ({width}px wide)"
    shot(phone, "award-results-phone")
    assert phone.console.unexpected() == [], phone.console.errors


RAW_CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")  # need_interest, capability_interest, …


def test_match_records_and_figures_read_as_chinese(pages: Pages) -> None:
    """Issue 12 item 9: 撮合记录 names every step in Chinese, no demo text stands as a match
    reason, and a figure such as 1e-6 is written for people (≤ 1×10⁻⁶)."""
    broker = pages.login("broker")
    broker.goto("/matches?status=recommended&q=800V")
    card = broker.locator(".match-card", has_text="800V SiC高功率密度电机控制器集成设计")
    card.get_by_role("link", name="详情与记录").click()
    expect(broker).to_have_url(re.compile(r"/matches/\d+$"))
    record = broker.locator(".match-detail section.history")
    expect(record).to_contain_text("需求方表示有意向")
    expect(record).to_contain_text("成果方表示有意向")
    text = broker.locator(".match-detail").inner_text()
    assert not RAW_CODE.search(text), RAW_CODE.findall(text)
    assert "演示" not in text
    shot(broker, "match-record")

    for stage in ("candidate", "recommended", "deal"):  # the reasons on the cards
        broker.goto(f"/matches?status={stage}")
        expect(broker.locator(".match-card").first).to_be_visible()
        expect(broker.locator(".match-card", has_text="演示")).to_have_count(0)

    need_id, _ = _need_id(pages.base_url, AWARDED[0])
    broker.goto(f"/needs/{need_id}")
    figures = broker.locator(".indicators")
    expect(figures).to_contain_text("≤ 1×10⁻⁶ g/(m²·day)")
    expect(figures).not_to_contain_text("1e-6")
    assert broker.console.unexpected() == [], broker.console.errors


OPEN_NEED = "协作机器人高灵敏碰撞检测与安全停机"  # demo: published, nobody has applied yet


def test_visitors_learn_the_flow_and_are_asked_to_apply(pages: Pages, app_url: str) -> None:
    """Issue 12 item 6: the home page says who posts, who applies and what follows, and an
    open need asks a visitor to sign in (or up) to apply; after signing in they can."""
    public = pages.new()
    public.goto("/")
    strip = public.get_by_test_id("flow-strip")
    expect(strip.locator("li")).to_have_count(3)
    for step in ("企业发榜", "团队揭榜", "评审实施"):
        expect(strip).to_contain_text(step)
    shot(public, "home-visitor")

    closed_id, _ = _need_id(app_url, AWARDED[1])
    public.goto(f"/needs/{closed_id}")
    expect(public.get_by_test_id("need-title")).to_be_visible()
    expect(public.get_by_test_id("visitor-cta")).to_have_count(0)  # no call on a closed need

    open_id, status = _need_id(app_url, OPEN_NEED)
    assert status == "published"
    public.goto(f"/needs/{open_id}")
    cta = public.get_by_test_id("visitor-cta")
    expect(cta.get_by_test_id("register-to-apply")).to_be_visible()
    shot(public, "need-visitor-cta")
    cta.get_by_test_id("login-to-apply").click()
    expect(public).to_have_url(re.compile(r"/login\?redirect="))
    public.get_by_test_id("login-username").fill("researcher")
    public.get_by_test_id("login-password").fill(PASSWORD)
    public.get_by_test_id("login-submit").click()
    expect(public).to_have_url(re.compile(rf"/needs/{open_id}$"))
    expect(public.get_by_test_id("apply")).to_be_visible()
    expect(public.get_by_test_id("visitor-cta")).to_have_count(0)
    public.goto("/")
    expect(public.locator(".need-card").first).to_be_visible()
    expect(public.get_by_test_id("flow-strip")).to_have_count(0)  # signed in: no visitor intro
    assert public.console.unexpected() == [], public.console.errors


def test_milestones_name_their_awardee_fit_a_phone_and_step_through_a_form(
    pages: Pages, app_url: str
) -> None:
    """Issue 12 item 11: with two awardees each milestone sits under its awardee's name; at
    375 px the status and the buttons stay on screen; a step asks for its reason in a form."""
    need_id, _ = _need_id(app_url, AWARDED[0])
    owner = pages.login("enterprise", PHONE)
    owner.goto(f"/needs/{need_id}")
    groups = owner.get_by_test_id("milestone-group")
    expect(groups).to_have_count(2)
    expect(groups.filter(has_text="揭榜方：苏南理工大学")).to_have_count(1)
    lab = groups.filter(has_text="揭榜方：苏州纳微材料与器件研究所")
    expect(lab.get_by_test_id("milestone-row").first).to_be_visible()
    width = owner.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the need page scrolls sideways at 375px ({width}px wide)"
    for row in owner.get_by_test_id("milestone-row").all():
        box = row.get_by_test_id("milestone-status").bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"], box
    shot(owner, "milestones-phone")

    row = owner.get_by_test_id("milestone-row").filter(has_text="85℃/85%RH 1000小时可靠性验证")
    button = row.get_by_test_id("milestone-return")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"], box
    button.click()
    dialog = owner.get_by_test_id("milestone-step-dialog")
    expect(dialog).to_contain_text("苏南理工大学")  # what the step is about
    expect(owner.locator(".el-message-box")).to_have_count(0)  # a form, not a prompt box
    dialog.get_by_test_id("milestone-step-confirm").click()
    expect(dialog).to_contain_text("请填写退回理由")
    dialog.get_by_test_id("milestone-step-text").fill(
        "请补充第三方检测机构出具的可靠性试验原始记录。"
    )
    shot(owner, "milestone-return-form")
    dialog.get_by_test_id("milestone-step-confirm").click()
    expect(row.get_by_test_id("milestone-status")).to_have_text("已退回")
    expect(row).to_contain_text("理由：请补充第三方检测机构出具的可靠性试验原始记录。")
    assert owner.console.unexpected() == [], owner.console.errors
