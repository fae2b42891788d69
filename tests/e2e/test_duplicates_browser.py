"""Issue 14 §2 in a real browser: an enterprise that saves a need another organisation has
already posted is warned with a link; the admin review lists the pair with its similarity
and marks it 重复 with a reason."""

import re
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, Pages, shot

pytestmark = pytest.mark.e2e

ORIGINAL = "柔性AMOLED模组Mura缺陷自动检测与分级系统"  # demo: chenguang_display's need
REPEAT = {  # the same need, written again by another enterprise (ours, not the demo's text)
    "title": "AMOLED模组Mura缺陷智能检测及等级判定",
    "problem": "公司柔性AMOLED模组点灯工位的云纹、带状、斑点类Mura全靠人工看，一个班要配12名"
    "目检员，漏检约3%，不同人判得不一样，客户退货里大约四成是Mura问题。通用AOI对对比度低于2%"
    "的Mura检不出来。",
    "key_difficulty": "Mura和正常亮度波动的差异常常不到1%，形状不规则、边缘模糊；要在多个灰阶下"
    "高分辨率拍摄、做亮度校正并量化缺陷，还要在节拍内给出和人工一致的等级；严重Mura样本少。",
    "expected_goal": "希望建设能上线的Mura自动检测分级系统：漏检率≤0.5%，过检率≤2%，每片检测"
    "时间≤30秒，与资深目检员判级一致率≥95%，能对接MES，覆盖6.67英寸到12.3英寸各型号。",
    "field": "display",
    "industry": "平板显示面板制造",
    "keywords": ["Mura检测", "机器视觉"],
    "indicators": [{"name": "漏检率", "comparator": "<=", "value": "0.5", "unit": "%"}],
    "call_type": "regular",
    "cooperation_mode": "tech_development",
    "bounty_wan": "300",
    "deadline": (date.today() + timedelta(days=60)).isoformat(),
    "implementation_months": 12,
    "visibility": "public",
    "contact": {"name": "周工", "phone": "13812345678"},
}


def _token(app_url: str, username: str) -> dict[str, str]:
    r = httpx.post(
        f"{app_url}/api/v1/auth/token", data={"username": username, "password": PASSWORD}
    )
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _draft(app_url: str) -> dict[str, Any]:
    r = httpx.post(f"{app_url}/api/v1/needs", json=REPEAT, headers=_token(app_url, "enterprise2"))
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_repeated_need_is_warned_of_and_marked_by_the_admin(
    pages: Pages, engine_ready: str
) -> None:
    need = _draft(engine_ready)
    page = pages.login("enterprise2")
    page.goto(f"/my/needs/{need['id']}/edit")
    page.get_by_test_id("save-draft").click()
    warning = page.get_by_test_id("duplicate-warning")
    expect(warning).to_be_visible(timeout=60_000)  # a busy 2-core machine embeds the draft
    expect(warning).to_contain_text("草稿已保存")
    link = warning.get_by_test_id("duplicate-link").filter(has_text=ORIGINAL)
    expect(link).to_have_attribute("href", re.compile(r"^/needs/\d+$"))
    expect(warning).to_contain_text("其他单位发布")
    shot(page, "duplicate-warning")
    page.get_by_test_id("duplicate-done").click()
    page.wait_for_url("**/my/needs")
    assert page.console.unexpected() == []  # type: ignore[attr-defined]

    r = httpx.post(
        f"{engine_ready}/api/v1/needs/{need['id']}/submit",
        json={},
        headers=_token(engine_ready, "enterprise2"),
    )
    assert r.status_code == 200, r.text
    admin = pages.login("admin")
    admin.goto("/admin/review")
    admin.get_by_test_id(f"duplicates-{need['id']}").click()
    table = admin.get_by_test_id("duplicate-table")
    row = table.locator("tr", has_text=ORIGINAL)
    expect(row).to_contain_text("%")
    row.get_by_test_id("mark-duplicate").click()
    admin.get_by_test_id("duplicate-reason").fill("与晨光显示已发布的需求为同一问题，重复发布")
    admin.get_by_test_id("duplicate-confirm").click()
    expect(row).to_contain_text("已标记重复")
    shot(admin, "duplicate-review")
    assert admin.console.unexpected() == []  # type: ignore[attr-defined]
