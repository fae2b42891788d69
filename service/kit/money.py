"""Money is exact: Decimal CNY in the database, 万元 strings at the API edge."""

import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

WAN = Decimal(10000)
CENT = Decimal("0.01")
MAX_BOUNTY_WAN = Decimal(100000)  # 10 亿元: anything above is a typo, not a bounty

# One spelling of a decimal: digits, an optional point and decimals. No sign, exponent, spaces
# or "_" separators (Python's Decimal would take "1_000", " 10 " and "-0").


def _patterns(places: int) -> tuple[str, str]:
    decimals = rf"(?:\.[0-9]{{1,{places}}})?"
    non_negative = rf"^(?:0|[1-9][0-9]*){decimals}$"
    positive = rf"^(?:[1-9][0-9]*{decimals}|0\.[0-9]{{0,{places - 1}}}[1-9][0-9]*)$"
    return non_negative, positive


def _strict(pattern: str) -> Any:
    spelled = re.compile(pattern)

    def check(value: Any) -> Any:
        if isinstance(value, bool):  # JSON true is not 1
            raise ValueError("须为数字")
        if isinstance(value, str) and not spelled.match(value):
            raise ValueError("须写成普通小数，如 85.5，不带符号、空格或分隔符")
        return value

    return check


def _schema(places: int, le: Decimal, *, positive: bool) -> WithJsonSchema:
    non_negative, positive_pattern = _patterns(places)
    lower = "exclusiveMinimum" if positive else "minimum"
    return WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", lower: 0, "maximum": float(le)},
                {"type": "string", "pattern": positive_pattern if positive else non_negative},
            ]
        }
    )


_WAN_SPELLING = BeforeValidator(_strict(_patterns(6)[0]))
_PERCENT_SPELLING = BeforeValidator(_strict(_patterns(2)[0]))
_NO_NEGATIVE_ZERO = AfterValidator(lambda d: d.copy_abs() if d.is_zero() else d)
_WAN_DIGITS = {"le": MAX_BOUNTY_WAN, "max_digits": 12, "decimal_places": 6}

# A Decimal from a JSON number or a plain decimal string, with its rules in the schema.
Wan = Annotated[  # ≥ 0: own investment, prices, filters
    Decimal,
    _WAN_SPELLING,
    Field(ge=0, description="金额，单位万元（如 85.5，至多 6 位小数）", **_WAN_DIGITS),
    _NO_NEGATIVE_ZERO,
    _schema(6, MAX_BOUNTY_WAN, positive=False),
]
PositiveWan = Annotated[  # > 0: bounties, requests, awards, payments, contracts
    Decimal,
    _WAN_SPELLING,
    Field(gt=0, description="金额，单位万元（>0，至多 6 位小数）", **_WAN_DIGITS),
    _NO_NEGATIVE_ZERO,
    _schema(6, MAX_BOUNTY_WAN, positive=True),
]
Percent = Annotated[  # shares and weights: > 0, ≤ 100, two decimals
    Decimal,
    _PERCENT_SPELLING,
    Field(gt=0, le=100, max_digits=5, decimal_places=2),
    _schema(2, Decimal(100), positive=True),
]


def wan_to_yuan(wan: Decimal) -> Decimal:
    """万元 → 元, rounded to the cent (the API allows at most 6 decimal places of 万元)."""
    return (wan * WAN).quantize(CENT, rounding=ROUND_HALF_UP)


def yuan_to_wan(yuan: Decimal | None) -> str | None:
    """元 → 万元 as a plain decimal string without trailing zeros ("300", "85.5")."""
    if yuan is None:
        return None
    wan = (Decimal(yuan) / WAN).normalize()
    text = format(wan, "f")
    return text


def split_by_shares(amount: Decimal, shares: list[Decimal]) -> list[Decimal]:
    """Split `amount` by percentage `shares` (summing to 100) to the cent, exactly.

    Each part is rounded down; the cents left over go to the first (lead) share, so the
    parts always add up to `amount`.
    """
    parts = [(amount * share / 100).quantize(CENT, rounding=ROUND_DOWN) for share in shares]
    if parts:
        parts[0] += amount - sum(parts, Decimal(0))
    return parts
