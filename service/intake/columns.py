"""The two sheets (技术需求, 科技成果): their columns in template order, what each holds, and
how a row of text becomes the web form's payload."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from service.intake import cells
from service.intake.cells import Parser
from service.models.enums import (
    CallType,
    CooperationMode,
    IpType,
    Maturity,
    TechLevel,
    TransactionMode,
    Visibility,
)

REF_MAX = 64
EXAMPLE_PREFIX = "示例"  # rows whose 外部编号 starts with it are the template's example
RESULT_HEADER = "检查结果"  # the column the marked report adds (ignored when re-uploaded)


@dataclass(frozen=True)
class Column:
    header: str
    key: str  # the form's field ("contact.phone" inside the contact)
    parse: Parser | None  # None: the 所属领域 taxonomy, read when the sheet is checked
    note: str
    example: str
    required: bool = False
    options: Sequence[str] = ()  # the dropdown
    several: bool = False  # more than one option may be typed, separated by ；
    width: int = 16


@dataclass(frozen=True)
class Sheet:
    kind: str
    title: str  # the data sheet's name, also what one row is called in messages
    columns: tuple[Column, ...]
    field_column: int = field(init=False)

    def __post_init__(self) -> None:
        keys = [c.key for c in self.columns]
        object.__setattr__(self, "field_column", keys.index("field"))

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


def _ref() -> Column:
    return Column(
        "外部编号",
        "external_ref",
        cells.text,
        f"贵单位自己的编号（不超过 {REF_MAX} 字），同一单位内唯一。再次上传同一编号会更新该草稿，"
        f"不会重复创建；以「{EXAMPLE_PREFIX}」开头的行视为示例，不导入",
        f"{EXAMPLE_PREFIX}-001",
        required=True,
        width=14,
    )


def _field() -> Column:
    return Column("所属领域", "field", None, "从下拉列表选择", "新型显示", required=True)


def _contact() -> tuple[Column, ...]:
    return (
        Column("联系人", "contact.name", cells.text, "不超过 50 字", "王工", required=True),
        Column("联系电话", "contact.phone", cells.text, "5–30 位数字", "13800000000", True),
        Column("联系邮箱", "contact.email", cells.text, "可不填", "wang@example.com", width=22),
    )


_KEYWORDS = Column(
    "关键词",
    "keywords",
    cells.items,
    "1–5 个，用；分隔，每个不超过 20 字",
    "薄膜封装；水氧阻隔",
    True,
)
_INDICATORS = Column(
    "技术指标",
    "indicators",
    cells.indicators,
    "可不填；每项写成「名称 ≥ 数值 单位」，多项用；分隔，最多 10 项",
    "水汽透过率 ≤ 0.000001 g/m²/day",
    width=28,
)

NEEDS = Sheet(
    "needs",
    "技术需求",
    (
        _ref(),
        Column(
            "需求名称", "title", cells.text, "4–100 字", "OLED 面板边缘发黄问题攻关", True, width=28
        ),
        Column(
            "主要问题",
            "problem",
            cells.text,
            "10–2000 字",
            "高温高湿老化后，面板边缘出现发黄和暗斑，客户退货率上升。",
            True,
            width=40,
        ),
        Column(
            "技术关键",
            "key_difficulty",
            cells.text,
            "10–2000 字",
            "薄膜封装层水氧阻隔不足，边缘侧向渗透难以抑制。",
            True,
            width=40,
        ),
        Column(
            "预期目标",
            "expected_goal",
            cells.text,
            "10–2000 字",
            "85℃/85%RH 老化 1000 小时后无可见发黄。",
            True,
            width=40,
        ),
        _field(),
        Column("应用行业", "industry", cells.text, "可不填，不超过 100 字", "平板显示面板制造"),
        _KEYWORDS,
        _INDICATORS,
        Column(
            "榜单类型",
            "call_type",
            cells.choice(CallType),
            "不填为「常规需求」",
            CallType.jiebang_guashuai.label,
            options=cells.labels(CallType),
        ),
        Column(
            "合作方式",
            "cooperation_mode",
            cells.choice(CooperationMode),
            "从下拉列表选择",
            CooperationMode.tech_development.label,
            required=True,
            options=cells.labels(CooperationMode),
        ),
        Column("悬赏金额（万元）", "bounty_wan", cells.money, "大于 0，单位万元", "300", True),
        Column("拟投入自有资金（万元）", "own_investment_wan", cells.money, "可不填", "500.5"),
        Column(
            "揭榜截止日期",
            "deadline",
            cells.day,
            "晚于今天，三年以内，如 2027-06-30",
            "",  # filled with a date 90 days ahead when the template is made
            True,
        ),
        Column("实施周期（月）", "implementation_months", cells.integer, "1–120", "18", True),
        Column(
            "公开方式",
            "visibility",
            cells.choice(Visibility),
            "不填为「公开」",
            Visibility.public.label,
            options=cells.labels(Visibility),
            width=20,
        ),
        *_contact(),
    ),
)

CAPABILITIES = Sheet(
    "capabilities",
    "科技成果",
    (
        _ref(),
        Column(
            "成果名称", "title", cells.text, "4–100 字", "原子层沉积超薄阻隔膜技术", True, width=28
        ),
        Column(
            "成果简介",
            "description",
            cells.text,
            "20–5000 字",
            "采用低温原子层沉积制备氧化铝/氧化锆叠层阻隔膜，水汽透过率达到1e-6量级。",
            True,
            width=40,
        ),
        _field(),
        _KEYWORDS,
        _INDICATORS,
        Column(
            "成熟度",
            "maturity",
            cells.choice(Maturity),
            "从下拉列表选择",
            Maturity.pilot_small.label,
            required=True,
            options=cells.labels(Maturity),
        ),
        Column("技术就绪度（TRL）", "trl", cells.integer, "可不填，1–9", "5"),
        Column(
            "知识产权类型",
            "ip_type",
            cells.choice(IpType),
            "不填为「无」",
            IpType.patent.label,
            options=cells.labels(IpType),
        ),
        Column("专利号", "patent_numbers", cells.items, "可不填，多个用；分隔", "ZL202110000001.1"),
        Column(
            "技术水平",
            "tech_level",
            cells.choice(TechLevel),
            "不填为「国内先进」",
            TechLevel.international_advanced.label,
            options=cells.labels(TechLevel),
        ),
        Column(
            "交易方式",
            "transaction_modes",
            cells.choices(TransactionMode),
            "可不填；可选多项，用；分隔",
            cells.join(
                [TransactionMode.exclusive_license.label, TransactionMode.joint_development.label]
            ),
            options=cells.labels(TransactionMode),
            several=True,
        ),
        Column("价格下限（万元）", "price_min_wan", cells.money, "可不填", "80"),
        Column("价格上限（万元）", "price_max_wan", cells.money, "可不填，不低于下限", "200"),
        Column("团队", "team", cells.text, "可不填，不超过 2000 字", "材料学院薄膜团队", width=24),
        *_contact(),
    ),
)

SHEETS = {s.kind: s for s in (NEEDS, CAPABILITIES)}


def to_payload(
    sheet: Sheet, parsers: Sequence[Parser], row: Sequence[str]
) -> tuple[dict[str, Any], list[tuple[int, str]]]:
    """The form payload of one row (every field present, so a re-import replaces them all)
    and the cells that could not be read: (column index, zh message)."""
    payload: dict[str, Any] = {"contact": {}}
    errors: list[tuple[int, str]] = []
    for index, (column, parse) in enumerate(zip(sheet.columns, parsers, strict=True)):
        if column.key == "external_ref":
            continue
        value = row[index]
        if not value:
            if column.required:
                errors.append((index, f"「{column.header}」必须填写"))
            continue
        try:
            parsed = parse(value)
        except ValueError as exc:
            errors.append((index, str(exc)))
            continue
        if column.key.startswith("contact."):
            payload["contact"][column.key.removeprefix("contact.")] = parsed
        else:
            payload[column.key] = parsed
    return payload, errors


def column_of(sheet: Sheet, loc: Sequence[Any]) -> int | None:
    """The column a schema error is about (its `loc`), or None for the whole row."""
    if not loc:
        return None
    key = str(loc[0])
    if key == "contact" and len(loc) > 1:
        key = f"contact.{loc[1]}"
    for index, column in enumerate(sheet.columns):
        if column.key == key:
            return index
    return None
