"""批量导入 on screen: an enterprise user downloads the template, uploads a filled sheet with
one bad row, reads the check, downloads the marked report, imports the valid rows, and finds
them among its drafts."""

import io
import uuid
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.e2e.conftest import Pages, shot
from tests.service.intake.sheets import need_row, xlsx

pytestmark = pytest.mark.e2e


def test_enterprise_imports_needs_from_a_sheet(pages: Pages, tmp_path: Path) -> None:
    page = pages.login("enterprise")
    page.goto("/intake")
    expect(page.get_by_test_id("intake-page")).to_contain_text("批量导入")
    with page.expect_download() as download:
        page.get_by_test_id("download-template").click()
    template = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert download.value.suggested_filename == "技术需求导入模板.xlsx"
    assert template.sheetnames == ["技术需求", "选项", "填写说明"]

    tag = uuid.uuid4().hex[:6]
    rows = [
        need_row(f"E2E-{tag}-1", 需求名称=f"批量导入需求甲{tag}"),
        need_row(f"E2E-{tag}-2", 需求名称=f"批量导入需求乙{tag}"),
        need_row(f"E2E-{tag}-3", 联系电话="打电话"),
    ]
    upload = tmp_path / "需求.xlsx"
    upload.write_bytes(xlsx(rows))
    page.get_by_test_id("intake-file").locator("input[type=file]").set_input_files(str(upload))
    page.get_by_test_id("check").click()
    report = page.get_by_test_id("intake-report")
    expect(report.get_by_test_id("valid-rows")).to_contain_text("可导入 2 行")
    expect(report.get_by_test_id("error-rows")).to_contain_text("有错误 1 行")
    expect(report.get_by_test_id("issues")).to_contain_text("联系电话")
    expect(page.get_by_test_id("import-all")).to_be_disabled()
    shot(page, "intake-checked")

    with page.expect_download() as download:
        page.get_by_test_id("download-report").click()
    marked = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))["技术需求"]
    headers = [c.value for c in marked[1]]
    phone = marked.cell(row=4, column=headers.index("联系电话*") + 1)
    assert phone.fill.fgColor.rgb.endswith("FFC7CE") and phone.comment is not None

    page.get_by_test_id("import-valid").click()
    expect(page.get_by_test_id("import-summary")).to_contain_text("已导入", timeout=60_000)
    expect(page.get_by_test_id("import-summary")).to_contain_text("新建 2")
    shot(page, "intake-imported")
    page.goto("/my/needs")
    expect(page.get_by_text(f"批量导入需求甲{tag}")).to_be_visible()
    assert page.console.unexpected() == []
