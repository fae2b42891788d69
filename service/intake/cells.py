"""Sheet text → the values the web form would send: one parser per kind of column.

Every parser takes the cell's text (already stripped, never empty) and returns the API value
or raises ValueError with a zh-CN message; the form's own schema then checks the rest.
"""

import re
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from service.models.enums import LabelledEnum

Parser = Callable[[str], Any]

SEPARATORS = re.compile(r"[；;，,、\n]+")
INDICATOR = re.compile(
    r"^(?P<name>.+?)\s*(?P<cmp>>=|<=|≥|≤|＞=|＜=|>|<|=|＞|＜|＝)\s*"
    r"(?P<value>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*(?P<unit>.*)$"
)
COMPARATORS = {"≥": ">=", "≤": "<=", "＞=": ">=", "＜=": "<=", "＞": ">", "＜": "<", "＝": "="}
DAY = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
INTEGER = re.compile(r"^\d+(?:\.0+)?$")


def text(value: str) -> str:
    return value


def items(value: str) -> list[str]:
    """Keywords, patent numbers: separated by ；, ；, 、 or a line break."""
    return [v.strip() for v in SEPARATORS.split(value) if v.strip()]


def indicators(value: str) -> list[dict[str, str]]:
    """技术指标 written as 「良率 ≥ 99.5 %；定位精度 ≤ 1 μm」."""
    out = []
    for part in re.split(r"[；;\n]+", value):
        part = part.strip()
        if not part:
            continue
        match = INDICATOR.match(part)
        if match is None:
            raise ValueError(
                f"「{part}」应写成「名称 ≥ 数值 单位」，如「良率 ≥ 99.5 %」，多项用；分隔"
            )
        cmp = COMPARATORS.get(match["cmp"], match["cmp"])
        out.append(
            {
                "name": match["name"].strip(),
                "comparator": cmp,
                "value": match["value"],
                "unit": match["unit"].strip(),
            }
        )
    return out


def day(value: str) -> str:
    """2026-12-31, 2026/12/31, 2026.12.31 or 2026年12月31日 → ISO (the form's spelling)."""
    match = DAY.match(value)
    if match is None:
        raise ValueError("日期应写成 2026-12-31")
    try:
        return date(int(match[1]), int(match[2]), int(match[3])).isoformat()
    except ValueError:
        raise ValueError("不是存在的日期") from None


def integer(value: str) -> int:
    if not INTEGER.match(value):
        raise ValueError("应为整数")
    return int(float(value))


def money(value: str) -> str:
    """万元 as the form spells it; a thousands separator or 万元 suffix is forgiven."""
    return value.replace(",", "").replace("，", "").removesuffix("万元").removesuffix("万").strip()


def choice(enum: type[LabelledEnum]) -> Parser:
    """One value of `enum`, by its Chinese label (the dropdown) or its code."""
    by_name = {m.label: m.value for m in enum} | {m.value: m.value for m in enum}

    def parse(value: str) -> str:
        if value not in by_name:
            raise ValueError(f"应为以下之一：{'、'.join(m.label for m in enum)}")
        return by_name[value]

    return parse


def choices(enum: type[LabelledEnum]) -> Parser:
    """Several values of `enum`, separated like `items`."""
    one = choice(enum)
    return lambda value: [one(v) for v in items(value)]


def lookup(names: dict[str, str], what: str) -> Parser:
    """A code from a table read at check time (the 所属领域 taxonomy), by name or code."""

    def parse(value: str) -> str:
        if value not in names:
            raise ValueError(f"未知的{what}「{value}」，请从下拉列表中选择")
        return names[value]

    return parse


def labels(enum: type[LabelledEnum]) -> list[str]:
    return [m.label for m in enum]


def join(values: Iterable[str]) -> str:
    return "；".join(values)
