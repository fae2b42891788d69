"""Money is exact: Decimal CNY in the database, 万元 strings at the API edge."""

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

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


def split_by_shares(amount: Decimal, shares: list[Decimal]) -> list[Decimal]:
    """Split `amount` by percentage `shares` (summing to 100) to the cent, exactly.

    Each part is rounded down; the cents left over go to the first (lead) share, so the
    parts always add up to `amount`.
    """
    parts = [(amount * share / 100).quantize(CENT, rounding=ROUND_DOWN) for share in shares]
    if parts:
        parts[0] += amount - sum(parts, Decimal(0))
    return parts
