"""An uploaded file → its header row and data rows as text, or a clear refusal.

Never trusts the file: the size is capped before parsing; an xlsx is a zip whose declared
sizes are checked before anything is inflated (zip bombs); formulas are never evaluated
(openpyxl does not, and we read the formula text, not a cached result, to flag the cell);
a CSV is read as UTF-8 (with or without BOM) or GBK/GB18030, whatever Excel saved.
"""

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from service.intake.columns import RESULT_HEADER, Sheet
from service.kit.errors import BadRequest, JiebangError

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 10_000
MAX_COLUMNS = 60
MAX_CELL_CHARS = 5_000
MAX_INFLATED = 200 * 1024 * 1024  # every member of the xlsx, as declared
MAX_RATIO = 200  # inflated / compressed, for members over 1 MB (XML compresses ~10–30x)
MAX_MEMBERS = 1_000

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and .et) format


class FileTooLarge(JiebangError):
    status_code = 413
    code = "file_too_large"


class BadFile(BadRequest):
    code = "bad_file"


@dataclass
class Table:
    """Rows in template column order, with what the check must flag."""

    notices: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (sheet row number, cells)
    formulas: set[tuple[int, int]] = field(default_factory=set)  # (row number, column index)
    long_cells: set[tuple[int, int]] = field(default_factory=set)


def read(content: bytes, filename: str, sheet: Sheet) -> Table:
    """The table in `content` (xlsx or csv, told by its bytes, not its name)."""
    if len(content) > MAX_BYTES:
        raise FileTooLarge(
            f"文件超过 {MAX_BYTES // 1024 // 1024} MB，请拆分后分批上传", "File too large"
        )
    if not content.strip():
        raise BadFile("文件是空的", "Empty file", code="empty_file")
    if content.startswith(OLE_MAGIC):
        raise BadFile(
            "不支持旧版 .xls 格式，请在 Excel 中另存为 .xlsx 后上传",
            "Legacy .xls",
            code="legacy_xls",
        )
    if content.startswith(XLSX_MAGIC):
        return _xlsx(content, sheet)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise BadFile("文件不是有效的 xlsx 工作簿", "Not an xlsx file", code="not_xlsx")
    return _csv(content, sheet)


def _check_zip(content: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise BadFile("文件不是有效的 xlsx 工作簿", "Not an xlsx file", code="not_xlsx") from None
    members = archive.infolist()
    inflated = sum(m.file_size for m in members)
    bomb = len(members) > MAX_MEMBERS or inflated > MAX_INFLATED
    bomb = bomb or any(
        m.file_size > 1024 * 1024 and m.file_size > MAX_RATIO * max(m.compress_size, 1)
        for m in members
    )
    if bomb:
        raise BadFile(
            "文件解压后过大或压缩比异常，疑似压缩炸弹，已拒绝",
            "Suspected zip bomb",
            code="zip_bomb",
        )


def _xlsx(content: bytes, sheet: Sheet) -> Table:
    _check_zip(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise BadFile(
            "文件不是有效的 xlsx 工作簿", "Not an xlsx workbook", code="not_xlsx"
        ) from None
    try:
        names = workbook.sheetnames
        data = workbook[sheet.title] if sheet.title in names else workbook.worksheets[0]
        return _table(sheet, (_cells(row) for row in data.iter_rows(max_col=MAX_COLUMNS + 1)))
    except JiebangError:
        raise
    except Exception:  # a damaged part inside a real zip (openpyxl raises many kinds)
        raise BadFile("工作簿内容已损坏，无法读取", "Damaged workbook", code="not_xlsx") from None
    finally:
        workbook.close()


def _cells(row: Sequence[Any]) -> list[tuple[str, bool]]:
    return [(_text(cell.value), getattr(cell, "data_type", None) == "f") for cell in row]


def _text(value: Any) -> str:
    """A cell's value as the text a person typed: 13800000000 not 1.38e10, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value).strip()


def _csv(content: bytes, sheet: Sheet) -> Table:
    text = _decode(content)
    if "\x00" in text:
        raise BadFile("文件不是 xlsx，也不是文本格式的 CSV", "Binary file", code="not_spreadsheet")
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        return _table(
            sheet, ([(v.strip(), False) for v in row[: MAX_COLUMNS + 1]] for row in reader)
        )
    except csv.Error:
        raise BadFile("CSV 格式有误，无法读取", "Malformed CSV", code="not_spreadsheet") from None


def _decode(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    else:
        encodings = ["utf-8", "gb18030"]  # GB18030 reads every GBK and GB2312 file
    for encoding in encodings:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BadFile(
        "无法识别文件编码，请上传 xlsx，或保存为 UTF-8 / GBK 编码的 CSV",
        "Unknown text encoding",
        code="bad_encoding",
    )


def _table(sheet: Sheet, rows: Iterable[list[tuple[str, bool]]]) -> Table:
    """Header = the first non-blank row; cells put in template column order; blank rows
    dropped; limits checked as we go."""
    table: Table | None = None
    positions: list[int | None] = []
    for number, row in enumerate(rows, start=1):
        values = [v for v, _ in row]
        if not any(values):
            continue
        if table is None:
            table, positions = _header(sheet, values)
            continue
        if len(table.rows) >= MAX_ROWS:
            raise BadFile(
                f"数据超过 {MAX_ROWS} 行，请拆分后分批上传", "Too many rows", code="too_many_rows"
            )
        cells = []
        for index, position in enumerate(positions):
            value, formula = (
                row[position] if position is not None and position < len(row) else ("", False)
            )
            if formula:
                table.formulas.add((number, index))
            if len(value) > MAX_CELL_CHARS:
                table.long_cells.add((number, index))
                value = value[:MAX_CELL_CHARS]
            cells.append(value)
        table.rows.append((number, cells))
    if table is None:
        raise BadFile("文件中没有表头和数据", "No header row", code="empty_file")
    return table


def _header(sheet: Sheet, values: list[str]) -> tuple[Table, list[int | None]]:
    """The table and, per template column, where the file has it (None: absent)."""
    while values and not values[-1]:
        values = values[:-1]
    if len(values) > MAX_COLUMNS:
        raise BadFile(f"列数超过 {MAX_COLUMNS} 列", "Too many columns", code="too_many_columns")
    found = {_name(v): i for i, v in reversed(list(enumerate(values))) if v}
    positions = [found.get(h) for h in sheet.headers]
    if all(p is None for p in positions):
        raise BadFile(
            f"表头与「{sheet.title}」模板不符，请下载模板填写后上传",
            "Header row does not match the template",
            code="bad_headers",
        )
    missing = [
        c.header for c, p in zip(sheet.columns, positions, strict=True) if p is None and c.required
    ]
    if missing:
        raise BadFile(
            f"缺少必填列：{'、'.join(missing)}", "Required columns missing", code="bad_headers"
        )
    unknown = [v for v in found if v not in sheet.headers and v != RESULT_HEADER]
    notices = [f"已忽略模板之外的列：{'、'.join(unknown)}"] if unknown else []
    return Table(notices=notices), positions


def _name(header: str) -> str:
    return header.replace("*", "").replace("＊", "").strip()
