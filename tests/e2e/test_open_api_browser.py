"""开放接口 on screen: a researcher creates a key and sees the secret once, a program reads the
open data API with it, the page shows the call, the admin sees the key's usage, and after
the researcher revokes it the API refuses the key."""

import re
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Pages, shot

pytestmark = pytest.mark.e2e
README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_sync(base_url: str, key: str) -> tuple[dict, str | None, dict]:
    """Run the README's incremental-sync example against the live app: twice."""
    section = README.read_text(encoding="utf-8").split("## 开放数据接口")[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    namespace: dict = {}
    exec(code.group(1), namespace)  # noqa: S102 - our own README's example
    namespace |= {"BASE": f"{base_url}/api/open/v1", "KEY": key}
    store: dict = {}
    since = namespace["sync"](store)
    again: dict = {}
    namespace["sync"](again, since)
    return store, since, again


def test_researcher_creates_uses_and_revokes_an_api_key(pages: Pages) -> None:
    page = pages.login("res_jiangdong_univ")
    page.goto("/open-api")
    expect(page.get_by_role("heading", name="开放接口")).to_be_visible()
    expect(page.get_by_text("/api/open/v1/export.jsonl")).to_be_visible()
    name = f"省科技厅数据同步{uuid.uuid4().hex[:4]}"
    page.get_by_test_id("key-name").fill(name)
    with page.expect_response("**/api/v1/api-keys") as made:
        page.get_by_test_id("create-key").click()
    assert made.value.status == 201, (made.value.status, made.value.text(), page.console.errors)
    secret_box = page.get_by_test_id("key-secret")
    expect(secret_box).to_contain_text("jb_")
    secret = secret_box.inner_text().strip()
    shot(page, "open-api-key-created")
    page.get_by_test_id("secret-saved").click()
    expect(secret_box).to_have_count(0)
    row = page.get_by_test_id("key-table").locator("tr", has_text=name)
    expect(row).to_contain_text(secret[:10])
    expect(row).to_contain_text("从未使用")

    # A program elsewhere reads the open API with the key.
    answer = page.request.get("/api/open/v1/needs?limit=5", headers={"X-Api-Key": secret})
    assert answer.status == 200 and len(answer.json()["items"]) > 0
    assert all("contact" not in item for item in answer.json()["items"])

    page.reload()
    expect(row).to_contain_text("有效")
    row.get_by_role("button", name="用量").click()
    expect(page.get_by_test_id("usage-summary")).to_contain_text("近 30 天共应答 1 次")

    # The README's example syncs: everything first, then only what changed since (with its
    # minute of overlap: the demo data was all written in the last minutes).
    store, since, again = _readme_sync(pages.base_url, secret)
    assert len(store) >= 5 and since is not None
    assert set(again) <= set(store)
    assert all(
        datetime.fromisoformat(n["updated_at"]) >= datetime.fromisoformat(since)
        for n in again.values()
    )

    admin = pages.login("admin")
    admin.goto("/open-api")
    admin_row = admin.get_by_test_id("key-table").locator("tr", has_text=name)
    expect(admin_row).to_contain_text("江东")  # the organisation's name
    shot(admin, "open-api-admin")

    page.keyboard.press("Escape")
    row.get_by_role("button", name="吊销").click()
    page.get_by_role("button", name="吊销", exact=True).last.click()
    expect(row).to_contain_text("已吊销")
    refused = page.request.get("/api/open/v1/needs", headers={"X-Api-Key": secret})
    assert refused.status == 401 and refused.json()["error"] == "api_key_revoked"
    assert page.console.unexpected() == []
    assert admin.console.unexpected() == []
