"""The .xlsx files we hand out: the blank template, and the checked upload with its errors
marked (red cells with a comment each, a 检查结果 column). The report keeps the template's
layout and dropdowns, so it can be corrected in place and uploaded again."""

import io
from collections.abc import Sequence
from datetime import timedelta

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from service.intake.columns import EXAMPLE_PREFIX, RESULT_HEADER, Sheet
from service.intake.files import MAX_CELL_CHARS, MAX_ROWS
from service.kit.clock import today

OPTIONS_SHEET = "选项"
HELP_SHEET = "填写说明"
BOLD = Font(bold=True)
REQUIRED = PatternFill("solid", fgColor="FFF2CC")
ERROR = PatternFill("solid", fgColor="FFC7CE")
PASSED = PatternFill("solid", fgColor="C6EFCE")
SKIPPED = PatternFill("solid", fgColor="EDEDED")
DATA_ROWS = MAX_ROWS + 1  # how far down the dropdowns reach


def template(sheet: Sheet, field_names: Sequence[str]) -> bytes:
    """A blank sheet to fill: headers (required ones starred and shaded), dropdowns, one
    example row (skipped on import), and the instructions."""
    workbook, data = _skeleton(sheet, field_names)
    example = {"deadline": (today() + timedelta(days=90)).isoformat()}
    data.append([example.get(c.key, c.example) for c in sheet.columns])
    return _save(workbook)


Mark = tuple[str, str]  # (fill: "error" | "passed" | "skipped", text for 检查结果)


def report(
    sheet: Sheet,
    field_names: Sequence[str],
    rows: Sequence[tuple[int, Sequence[str]]],
    cell_errors: dict[tuple[int, int], list[str]],
    marks: dict[int, Mark],
) -> bytes:
    """The upload as read, each row where it was in the file: bad cells red with the reason
    as a comment, and a 检查结果 column that says what the import will do with the row."""
    workbook, data = _skeleton(sheet, field_names)
    result_column = len(sheet.columns) + 1
    header = data.cell(row=1, column=result_column, value=RESULT_HEADER)
    header.font = BOLD
    data.column_dimensions[get_column_letter(result_column)].width = 40
    fills = {"error": ERROR, "passed": PASSED, "skipped": SKIPPED}
    for number, cells in rows:
        for index, value in enumerate(cells):
            cell = data.cell(row=number, column=index + 1, value=value or None)
            if value:
                cell.data_type = "s"  # text stays text: a formula is shown, never run
            messages = cell_errors.get((number, index))
            if messages:
                cell.fill = ERROR
                cell.comment = Comment("\n".join(messages), "揭榜平台", width=300, height=120)
        fill, text = marks[number]
        result = data.cell(row=number, column=result_column, value=text)
        result.fill = fills[fill]
        result.alignment = Alignment(wrap_text=True, vertical="top")
    return _save(workbook)


def _skeleton(sheet: Sheet, field_names: Sequence[str]) -> tuple[Workbook, Worksheet]:
    workbook = Workbook()
    data = workbook.active
    assert data is not None
    data.title = sheet.title
    data.freeze_panes = "B2"
    options = workbook.create_sheet(OPTIONS_SHEET)
    options.sheet_state = "hidden"
    for index, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        cell = data.cell(
            row=1, column=index, value=column.header + ("*" if column.required else "")
        )
        cell.font = BOLD
        if column.required:
            cell.fill = REQUIRED
        cell.comment = Comment(column.note, "揭榜平台", width=240, height=80)
        data.column_dimensions[letter].width = column.width
        choices = field_names if column.key == "field" else column.options
        if choices:
            _dropdown(workbook, data, options, index, column.header, choices, column.several)
    _help(workbook.create_sheet(HELP_SHEET), sheet)
    return workbook, data


def _dropdown(
    workbook: Workbook,
    data: Worksheet,
    options: Worksheet,
    index: int,
    header: str,
    choices: Sequence[str],
    several: bool,
) -> None:
    """A list kept on the hidden 选项 sheet (no 255-character limit), named for the rule."""
    letter = get_column_letter(index)
    for row, choice in enumerate(choices, start=1):
        options.cell(row=row, column=index, value=choice)
    name = f"list_{letter}"
    ref = f"{quote_sheetname(OPTIONS_SHEET)}!${letter}$1:${letter}${len(choices)}"
    workbook.defined_names[name] = DefinedName(name, attr_text=ref)
    rule = DataValidation(
        type="list",
        formula1=name,
        allow_blank=True,
        showErrorMessage=not several,  # several modes are typed as 「A；B」
        errorTitle="取值不在列表中",
        error=f"「{header}」请从下拉列表中选择",
    )
    rule.add(f"{letter}2:{letter}{DATA_ROWS}")
    data.add_data_validation(rule)


def _help(sheet: Worksheet, spec: Sheet) -> None:
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 80
    lines = [
        (f"{spec.title}导入说明", ""),
        ("1", f"在「{spec.title}」工作表中每行填写一项，第一行表头请勿修改；带 * 的列必须填写。"),
        ("2", f"第 2 行是示例（外部编号以「{EXAMPLE_PREFIX}」开头），导入时自动跳过，可删除。"),
        ("3", "上传后先做检查（不写入任何数据），可下载标出错误的检查结果，改正后重新上传。"),
        ("4", "导入的内容保存为草稿，须由本单位人员核对后在平台上提交审核。"),
        ("5", "再次上传相同外部编号的行会更新原草稿；已提交审核或已发布的不能再通过导入修改。"),
        ("6", f"每次最多 {MAX_ROWS} 行，文件不超过 10 MB，每个单元格不超过 {MAX_CELL_CHARS} 字。"),
        ("7", "请直接填写数值，不要使用公式；含公式的单元格会被标为错误。"),
        ("8", "也可上传 CSV（UTF-8 或 GBK 编码），表头与本模板相同。"),
        ("", ""),
        ("列", "填写要求"),
    ]
    lines += [(c.header + ("*" if c.required else ""), c.note) for c in spec.columns]
    for row in lines:
        sheet.append(row)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.cell(row=11, column=1).font = BOLD
    sheet.cell(row=11, column=2).font = BOLD


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
