"""The reader takes real files: openpyxl workbooks, CSV in GBK and UTF-8 (with and without
BOM), and refuses what is not a sheet (zip bombs, fake xlsx, binary, .xls) cleanly."""

import io

import pytest
from openpyxl import Workbook

from service.intake import files
from service.intake.columns import NEEDS
from tests.service.intake.sheets import csv_bytes, need_row, xlsx, zip_bomb


def _refused(content: bytes, code: str, filename: str = "x.xlsx") -> str:
    with pytest.raises(files.BadFile) as caught:
        files.read(content, filename, NEEDS)
    assert caught.value.code == code
    return caught.value.detail


def test_xlsx_cells_read_as_typed_text() -> None:
    table = files.read(xlsx([need_row()]), "需求.xlsx", NEEDS)
    [(number, cells)] = table.rows
    by_header = dict(zip(NEEDS.headers, cells, strict=True))
    assert number == 2
    assert by_header["联系电话"] == "13800000000"  # an Excel number, not 1.38e10
    assert by_header["悬赏金额（万元）"] == "300.5"
    assert by_header["实施周期（月）"] == "18"
    assert by_header["揭榜截止日期"].count("-") == 2  # a date cell → ISO
    assert not table.formulas and not table.notices


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_every_encoding_excel_writes(encoding: str) -> None:
    content = csv_bytes([need_row(), need_row("XQ-002", 需求名称="高精度定位平台研制")], encoding)
    if encoding == "gbk":
        content.decode("gbk")
        with pytest.raises(UnicodeDecodeError):
            content.decode("utf-8")  # really GBK bytes, not UTF-8 by luck
    table = files.read(content, "需求.csv", NEEDS)
    assert [cells[1] for _, cells in table.rows] == [
        "OLED 面板边缘发黄问题攻关",
        "高精度定位平台研制",
    ]
    assert table.rows[0][1][5] == "新型显示"


def test_formula_cells_are_flagged_not_run() -> None:
    content = xlsx([need_row(**{"悬赏金额（万元）": "=100*3", "实施周期（月）": "=SUM(1,2)"})])
    table = files.read(content, "需求.xlsx", NEEDS)
    bounty = NEEDS.headers.index("悬赏金额（万元）")
    months = NEEDS.headers.index("实施周期（月）")
    assert table.formulas == {(2, bounty), (2, months)}
    assert table.rows[0][1][bounty] == "=100*3"  # the formula text, never a computed 300


def test_zip_bomb_refused_before_inflating() -> None:
    bomb = zip_bomb()
    assert len(bomb) < 200 * 1024
    assert "压缩炸弹" in _refused(bomb, "zip_bomb")


def test_fake_and_foreign_files_refused() -> None:
    _refused(b"PK\x03\x04 this is not really a zip", "not_xlsx")
    _refused(b"<html>hello</html>", "not_xlsx", "需求.xlsx")
    _refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "legacy_xls", "需求.xls")
    _refused(bytes(range(256)) * 8, "bad_encoding", "需求.csv")
    _refused("编号\x00\x01".encode() * 10, "not_spreadsheet", "需求.csv")
    _refused(b"   \n\n", "empty_file", "a.csv")
    docx = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    _refused(docx.getvalue(), "not_xlsx")


def test_headers_must_match_the_template() -> None:
    assert "模板不符" in _refused("甲,乙\n1,2\n".encode(), "bad_headers", "a.csv")
    headers = [h for h in NEEDS.headers if h not in ("联系电话", "需求名称")]
    assert "需求名称、联系电话" in _refused(xlsx([need_row()], headers=headers), "bad_headers")
    table = files.read(xlsx([need_row()], headers=[*NEEDS.headers, "备注"]), "a.xlsx", NEEDS)
    assert table.notices == ["已忽略模板之外的列：备注"]


def test_columns_may_come_in_any_order_and_blank_rows_are_dropped() -> None:
    headers = list(reversed(NEEDS.headers))
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(headers)
    sheet.append([])
    sheet.append([need_row().get(h) for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = files.read(buffer.getvalue(), "a.xlsx", NEEDS)
    [(number, cells)] = table.rows
    assert number == 3 and cells[0] == "XQ-001" and cells[1] == "OLED 面板边缘发黄问题攻关"


def test_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(files.FileTooLarge) as caught:
        files.read(b"x" * (files.MAX_BYTES + 1), "a.csv", NEEDS)
    assert caught.value.status_code == 413
    monkeypatch.setattr(files, "MAX_ROWS", 3)
    content = csv_bytes([need_row(f"XQ-{i}") for i in range(4)], "utf-8")
    assert "超过 3 行" in _refused(content, "too_many_rows", "a.csv")
    wide = ",".join(f"列{i}" for i in range(files.MAX_COLUMNS + 1)).encode()
    _refused(wide, "too_many_columns", "a.csv")
    long = files.read(xlsx([need_row(主要问题="长" * 6000)]), "a.xlsx", NEEDS)
    problem = NEEDS.headers.index("主要问题")
    assert long.long_cells == {(2, problem)}
    assert len(long.rows[0][1][problem]) == files.MAX_CELL_CHARS
