"""Duplicate and near-duplicate postings: one score for a pair of the same kind.

Two postings are duplicates when they ask for (or offer) the same thing, however worded.
Three signals separate a paraphrase from its two look-alikes:

``dense``    cosine of the two postings' stored e5 vectors (the engine's, same kind so the
             same encoder side): high for a paraphrase, but also high for the same topic.
``char``     Dice overlap of character bigrams (no dictionary): a paraphrase keeps most
             of the wording of the problem; a different problem of the same topic does not.
``numbers``  agreement of the quantities both texts state (``matching.indicators`` parses
             them, ``matching.units`` normalises "25 μm" = "0.025 mm"): the share of each
             side's quantities the other states with the same value, in [0, 1]; ``None``
             when neither side states any.  The same problem with other figures (another
             line, another target) keeps the wording and loses here.

``similarity`` = ``W_DENSE·dense' + W_CHAR·char + W_NUMBERS·(numbers − ½)``, where
``dense'`` rescales the cosine from the band [DENSE_FLOOR, 1] to [0, 1] (e5 puts any two
Chinese technical texts above ~0.8).  A pair is a likely duplicate at ``similarity ≥
THRESHOLD``: the one shipped threshold, chosen on half of ``eval/duplicates`` and reported
on the other half (``jiebang eval-duplicates``).  Pure: no service, database or web imports.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from matching.documents import Doc
from matching.indicators import Indicator, from_structured, parse_text
from matching.lexical import char_ngrams
from matching.units import format_number

__all__ = [
    "DENSE_FLOOR",
    "THRESHOLD",
    "W_CHAR",
    "W_DENSE",
    "NUMBERS_FULL",
    "NUMBERS_NONE",
    "DuplicateScore",
    "JudgedPair",
    "char_overlap",
    "load_pairs",
    "number_agreement",
    "number_gate",
    "score_pair",
    "split_halves",
]

DENSE_FLOOR = 0.85
W_DENSE = 0.7
W_CHAR = 0.3
NUMBERS_NONE = 0.25
NUMBERS_FULL = 0.75
THRESHOLD = 0.55
_REL_TOL = 0.02  # two figures are the same when within 2 %


@dataclass(frozen=True)
class DuplicateScore:
    """One pair's duplicate similarity (0–1) and what it is made of."""

    similarity: float
    dense: float  # raw cosine
    char: float
    numbers: float | None
    differing: tuple[str, ...] = ()  # Chinese: the figures that differ ("废品率 4% / 8%")

    @property
    def likely_duplicate(self) -> bool:
        """At or above the shipped threshold."""
        return self.similarity >= THRESHOLD


def _text(doc: Doc) -> str:
    return f"{doc.title}。{doc.body}"


def _bigrams(text: str) -> frozenset[str]:
    return frozenset(char_ngrams(text, 2))


def char_overlap(a: Doc, b: Doc) -> float:
    """Dice coefficient of the two postings' character-bigram sets (title and body)."""
    ga, gb = _bigrams(_text(a)), _bigrams(_text(b))
    if not ga or not gb:
        return 0.0
    return 2 * len(ga & gb) / (len(ga) + len(gb))


_POWER = re.compile(r"(\d(?:\.\d+)?)\s*[×xX*]\s*10\s*\^\s*([-+]?\d+)")
_NOISE_UNITS = {"个"}  # "3个钟头", "6个人": a counter, not a figure (unless "个/mL")


def _quantities(doc: Doc) -> list[Indicator]:
    """Every figure with a unit the posting states (text and structured indicators), once."""
    text = _POWER.sub(r"\1e\2", _text(doc))  # "1.2×10^7" → "1.2e7"
    out: list[Indicator] = []
    seen: set[tuple[str, float, float | None]] = set()
    structured = [i for i in doc.indicators if isinstance(i, Indicator)]
    structured += from_structured(i for i in doc.indicators if isinstance(i, Mapping))
    for q in [*parse_text(text), *structured]:
        key = (q.dimension, round(q.base, 12), q.base_high)
        if key in seen or (q.unit in _NOISE_UNITS and f"{q.text}/" not in text):
            continue
        seen.add(key)
        out.append(q)
    return out


def _close(p: float, q: float) -> bool:
    return abs(p - q) <= _REL_TOL * max(abs(p), abs(q), 1e-12)


def _same_value(x: Indicator, y: Indicator) -> bool:
    """The same figure: same dimension and value, or the same number as written (the unit
    parsed differently on the two sides: "12度以下" and "低于12℃")."""
    if x.dimension == y.dimension:
        if not _close(x.base, y.base):
            return False
        if x.base_high is None or y.base_high is None:
            return True
        return _close(x.base_high, y.base_high)
    return _close(x.value, y.value)


def _share(mine: Sequence[Indicator], theirs: Sequence[Indicator]) -> float:
    if not mine:
        return 0.0
    return sum(any(_same_value(q, t) for t in theirs) for q in mine) / len(mine)


def number_agreement(a: Doc, b: Doc) -> tuple[float | None, tuple[str, ...]]:
    """The mean of the two sides' shares of figures the other states too (None: no figures),
    and up to three figures of `a` that `b` states otherwise (same dimension, other value)."""
    qa, qb = _quantities(a), _quantities(b)
    if not qa and not qb:
        return None, ()
    agreement = (_share(qa, qb) + _share(qb, qa)) / 2
    differing: list[str] = []
    for q in qa:
        if any(_same_value(q, t) for t in qb):
            continue
        other = next((t for t in qb if t.dimension == q.dimension and t.name == q.name), None)
        if other is None:
            other = next((t for t in qb if t.dimension == q.dimension), None)
        if other is not None and not any(_same_value(other, s) for s in qa):
            name = q.name or other.name
            differing.append(f"{name} {_plain(q)} / {_plain(other)}".strip())
        if len(differing) == 3:
            break
    return agreement, tuple(differing)


def _plain(q: Indicator) -> str:
    return q.text or f"{format_number(q.value)}{q.unit}"


def number_gate(numbers: float | None) -> float:
    """How far the figures let a pair count as a duplicate: 1 when no figures are stated or
    at least NUMBERS_FULL of them agree, 0 at NUMBERS_NONE or fewer, linear between."""
    if numbers is None:
        return 1.0
    return min(max((numbers - NUMBERS_NONE) / (NUMBERS_FULL - NUMBERS_NONE), 0.0), 1.0)


def score_pair(a: Doc, b: Doc, cosine: float) -> DuplicateScore:
    """The duplicate similarity of two postings of one kind; ``cosine`` of their vectors."""
    char = char_overlap(a, b)
    numbers, differing = number_agreement(a, b)
    dense = min(max((cosine - DENSE_FLOOR) / (1.0 - DENSE_FLOOR), 0.0), 1.0)
    value = (W_DENSE * dense + W_CHAR * char) * number_gate(numbers)
    return DuplicateScore(
        similarity=round(min(max(value, 0.0), 1.0), 4),
        dense=round(float(cosine), 4),
        char=round(char, 4),
        numbers=None if numbers is None else round(numbers, 4),
        differing=differing,
    )


# --- the judged set --------------------------------------------------------------------
@dataclass(frozen=True)
class JudgedPair:
    """One judged pair of ``eval/duplicates/pairs.jsonl``."""

    id: str
    category: str  # paraphrase | different_problem | different_numbers
    duplicate: bool
    a: Doc
    b: Doc


def load_pairs(path: str | Path) -> list[JudgedPair]:
    """Read the judged pairs (one JSON object a line)."""
    out: list[JudgedPair] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        kind = row["kind"]
        docs = [
            Doc.from_mapping({"id": f"{row['id']}{side}", **row[side]}, kind=kind)
            for side in ("a", "b")
        ]
        out.append(JudgedPair(str(row["id"]), str(row["category"]), bool(row["duplicate"]), *docs))
    return out


def split_halves(pairs: Sequence[JudgedPair], seed: int = 14) -> tuple[list[str], list[str]]:
    """Pair ids in two halves, stratified by category (deterministic): tune, report."""
    tune: list[str] = []
    report: list[str] = []
    by_cat: dict[str, list[str]] = {}
    for p in pairs:
        by_cat.setdefault(p.category, []).append(p.id)
    rng = random.Random(seed)
    for cat in sorted(by_cat):
        ids = sorted(by_cat[cat])
        rng.shuffle(ids)
        half = math.ceil(len(ids) / 2)
        tune += ids[:half]
        report += ids[half:]
    return sorted(tune), sorted(report)


def precision_recall(
    scored: Iterable[tuple[float, bool]], threshold: float
) -> tuple[float, float, int, int, int]:
    """Precision, recall, true positives, false positives, false negatives at ``threshold``."""
    tp = fp = fn = 0
    for value, duplicate in scored:
        flagged = value >= threshold
        tp += flagged and duplicate
        fp += flagged and not duplicate
        fn += duplicate and not flagged
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, tp, fp, fn


def score_pairs(
    pairs: Sequence[JudgedPair], encode: Callable[[list[Doc]], np.ndarray]
) -> dict[str, DuplicateScore]:
    """Each pair's score; ``encode`` turns postings into unit vectors (as the engine stores
    them: ``matching.ranking.encode_postings``)."""
    docs = [d for p in pairs for d in (p.a, p.b)]
    vectors = encode(docs)
    out: dict[str, DuplicateScore] = {}
    for n, p in enumerate(pairs):
        cosine = float(np.dot(vectors[2 * n], vectors[2 * n + 1]))
        out[p.id] = score_pair(p.a, p.b, cosine)
    return out


def table(
    pairs: Sequence[JudgedPair],
    scores: Mapping[str, DuplicateScore],
    ids: Iterable[str],
    thresholds: Iterable[float],
) -> list[dict[str, Any]]:
    """Precision and recall of the pairs ``ids`` at each threshold."""
    wanted = set(ids)
    scored = [(scores[p.id].similarity, p.duplicate) for p in pairs if p.id in wanted]
    rows = []
    for t in thresholds:
        precision, recall, tp, fp, fn = precision_recall(scored, t)
        rows.append(
            {"threshold": t, "precision": precision, "recall": recall, "tp": tp, "fp": fp, "fn": fn}
        )
    return rows


GRID: tuple[float, ...] = tuple(round(0.05 * n, 2) for n in range(4, 17))  # 0.20 … 0.80


def choose_threshold(
    pairs: Sequence[JudgedPair], scores: Mapping[str, DuplicateScore], ids: Iterable[str]
) -> float:
    """The rule the shipped threshold came from: on the pairs ``ids``, the highest threshold
    of ``GRID`` with the best F1 (ties go to the stricter threshold: a warning that cries
    wolf is ignored)."""
    best, best_f1 = GRID[0], -1.0
    for row in table(pairs, scores, list(ids), GRID):
        p, r = row["precision"], row["recall"]
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        if f1 >= best_f1 - 1e-12:
            best, best_f1 = row["threshold"], f1
    return float(best)


def report(pairs: Sequence[JudgedPair], scores: Mapping[str, DuplicateScore]) -> str:
    """The text ``jiebang eval-duplicates`` prints."""
    tune, held = split_halves(pairs)
    chosen = choose_threshold(pairs, scores, tune)
    lines = [
        f"# {len(pairs)} judged pairs ({sum(p.duplicate for p in pairs)} duplicates); "
        f"tuning half {len(tune)}, report half {len(held)}",
        f"# shipped threshold {THRESHOLD:.2f}; the rule on the tuning half picks {chosen:.2f}",
        "",
        f"{'pairs':<22} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} {'fn':>4}",
    ]
    halves = (
        ("report half (held out)", held),
        ("tuning half", tune),
        ("all", [p.id for p in pairs]),
    )
    for label, ids in halves:
        row = table(pairs, scores, ids, [THRESHOLD])[0]
        lines.append(
            f"{label:<22} {row['precision']:>9.3f} {row['recall']:>7.3f} "
            f"{row['tp']:>4} {row['fp']:>4} {row['fn']:>4}"
        )
    lines += ["", "flagged at the shipped threshold, by category (all pairs):"]
    for cat in sorted({p.category for p in pairs}):
        inside = [p for p in pairs if p.category == cat]
        flagged = sum(scores[p.id].similarity >= THRESHOLD for p in inside)
        lines.append(f"  {cat:<18} {flagged:>3} / {len(inside)}")
    lines += [
        "",
        "threshold table (precision / recall): report half | tuning half",
    ]
    held_rows = table(pairs, scores, held, GRID)
    tune_rows = table(pairs, scores, tune, GRID)
    for h, t in zip(held_rows, tune_rows, strict=True):
        mark = "  ← shipped" if abs(h["threshold"] - THRESHOLD) < 1e-9 else ""
        lines.append(
            f"  {h['threshold']:.2f}   {h['precision']:.3f} / {h['recall']:.3f}   |   "
            f"{t['precision']:.3f} / {t['recall']:.3f}{mark}"
        )
    wrong = [p for p in pairs if (scores[p.id].similarity >= THRESHOLD) != p.duplicate]
    if wrong:
        lines += ["", "misjudged at the shipped threshold:"]
        for p in wrong:
            s = scores[p.id]
            lines.append(
                f"  {p.id} {p.category:<18} sim={s.similarity:.3f} cos={s.dense:.3f} "
                f"char={s.char:.3f} numbers={s.numbers}"
            )
    return "\n".join(lines)
