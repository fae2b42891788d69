"""Tables → CSV (UTF-8 with BOM, so Excel opens Chinese correctly) or XLSX (openpyxl).

Cells are plain Python values: text, int, float, Decimal (money in 万元), date, datetime, bool.
Text that a spreadsheet would run as a formula (=, +, -, @ first) is neutralised: CSV
prefixes an apostrophe (OWASP's advice), XLSX stores it as a string cell. Control characters
(which XLSX cannot hold at all) are dropped from text, so old data cannot break an export.
"""

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from service.kit.clock import CHINA

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MONEY_FORMAT = "0.00####"
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab, newline, CR stay


def _text(value: Any) -> str:
    return CONTROL.sub("", str(value))


def _local(value: datetime) -> datetime:
    """Naive Beijing time: Excel has no time zones and readers of the file are in China."""
    return value.astimezone(CHINA).replace(tzinfo=None, microsecond=0)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return _local(value).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    text = _text(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return _local(value)
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = MONEY_FORMAT
        return cell
    if isinstance(value, str):
        value = _text(value)
        if value.startswith("="):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # openpyxl would otherwise store it as a formula
            return cell
    return value
