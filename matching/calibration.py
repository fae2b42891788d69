"""Calibration of 匹配度: a reliability table and the expected calibration error (ECE).

A score of 70 should mean that about 70 % of the pairs scored near 70 are relevant.  The
pairs are binned by score; ECE is the pair-weighted mean gap between a bin's mean score
(as a chance) and the share of relevant pairs in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Bin", "expected_calibration_error", "format_reliability", "reliability"]

EDGES: tuple[float, ...] = (0, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)


@dataclass(frozen=True)
class Bin:
    """Pairs with ``low ≤ score < high`` (the last bin includes 100)."""

    low: float
    high: float
    n: int
    mean_score: float
    relevant: float  # share of relevant pairs, 0–1


def reliability(
    scores: Sequence[float], labels: Sequence[int], edges: Sequence[float] = EDGES
) -> list[Bin]:
    """Non-empty bins of (score 0–100, label 0/1) pairs."""
    out: list[Bin] = []
    last = len(edges) - 2
    for n, (low, high) in enumerate(zip(edges[:-1], edges[1:], strict=False)):
        pick = [
            (s, y)
            for s, y in zip(scores, labels, strict=True)
            if low <= s < high or (n == last and s == high)
        ]
        if pick:
            out.append(
                Bin(
                    low,
                    high,
                    len(pick),
                    sum(s for s, _ in pick) / len(pick),
                    sum(1 for _, y in pick if y) / len(pick),
                )
            )
    return out


def expected_calibration_error(bins: Sequence[Bin]) -> float:
    """Pair-weighted mean |mean score/100 − share relevant| over the bins (0–1)."""
    total = sum(b.n for b in bins)
    if not total:
        return 0.0
    return sum(b.n * abs(b.mean_score / 100.0 - b.relevant) for b in bins) / total


def format_reliability(bins: Sequence[Bin]) -> str:
    """The reliability table as text."""
    lines = [f"{'score':<9} {'pairs':>6} {'mean score':>11} {'relevant %':>11}"]
    lines += [
        f"{f'{b.low:g}–{b.high:g}':<9} {b.n:>6} {b.mean_score:>11.1f} {100 * b.relevant:>11.1f}"
        for b in bins
    ]
    return "\n".join(lines)
