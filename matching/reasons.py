"""Reason lines for people: Chinese sentences from a match's evidence, never raw numbers.

A reason names what a reader can check in the two texts — the domain terms they share,
each requirement the capability meets or misses (only against a claim of the same quantity,
see :mod:`matching.indicators`), the common field — and says in words which kind of
evidence carries the match. Similarities (cosines, BM25) stay internal: they mean nothing
to a broker and differ in scale from the 0–100 score shown beside the reasons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matching.documents import FIELDS
from matching.indicators import IndicatorFit

__all__ = ["reasons"]

_EVIDENCE = {
    "semantic": "描述的问题与技术内容相近",
    "keyword": "用到了相同的专业术语",
    "indicator": "技术指标与要求相符",
}


def reasons(
    shared: Sequence[str],
    indicators: IndicatorFit,
    field_code: str | None,
    parts: Mapping[str, float] | None = None,
) -> tuple[str, ...]:
    """Chinese reason lines, strongest evidence first.

    ``field_code`` is the common field (None when the two differ); ``parts`` are the score's
    parts, whose largest positive one names the main evidence.
    """
    out: list[str] = []
    evidence = [(k, v) for k, v in (parts or {}).items() if k in _EVIDENCE]
    main = max(evidence, key=lambda kv: kv[1], default=None)
    if main is not None and main[1] > 0:
        out.append(_EVIDENCE[main[0]])
    if shared:
        out.append("共同关键词：" + "、".join(shared))
    out.extend(m.explain() for m in indicators.matches if m.claim is not None)
    if field_code:
        out.append(f"同属领域：{FIELDS.get(field_code, field_code)}")
    return tuple(out)
