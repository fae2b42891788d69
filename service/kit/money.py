"""Money is exact: Decimal CNY in the database, 万元 strings at the API edge."""

from decimal import ROUND_HALF_UP, Decimal

WAN = Decimal(10000)
CENT = Decimal("0.01")
MAX_BOUNTY_WAN = Decimal(100000)  # 10 亿元: anything above is a typo, not a bounty


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
