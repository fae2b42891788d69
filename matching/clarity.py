"""需求明确度: how clearly a draft need says what it wants, as a 0–100 score with hints.

Pure text logic. The rules are data (the service keeps them in a TOML file); this module
validates them (:func:`parse_rules`) and runs them (:func:`assess`). Each rule names a check
``kind``; the kinds are:

``indicators``       no quantified 技术指标: no structured indicator and no figure with a unit
                     in the text (parsed by :mod:`matching.indicators`);
``vague_goal``       a clause with a vague verb (提高/优化/改善/提升 …) and no number;
``current_state``    none of the words that describe the present state or what was tried;
``part_length``      a key part of the form empty or too short (one hint per part);
``total_length``     the whole text too short;
``field_signals``    the text uses clearly more dictionary terms of another 所属领域 than of
                     the chosen one (the terms are the matching dictionary's field sections);
``capability_rarity`` words the capability side never uses (document frequency over the
                     published capabilities, read from the matcher's BM25 index), that are
                     neither dictionary terms nor ordinary words: likely in-house jargon.

Score: every applicable rule has a weight; a rule that fires takes away ``weight × severity``
(severity 0–1); the score is the share of the applicable weight kept, ×100. A rule whose
input is missing (no capability corpus yet, a field the dictionary does not know) is not
applicable and is left out of both sides.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from matching.documents import FIELDS, normalise_field
from matching.indicators import from_structured, parse_text
from matching.lexical import DATA_DIR, Analyzer, default_analyzer, normalise_text
from matching.terms import is_domain_term

__all__ = [
    "BANDS",
    "KINDS",
    "PARTS",
    "Clarity",
    "Draft",
    "FieldSignals",
    "Hint",
    "Rule",
    "RuleError",
    "TokenCounts",
    "Vocabulary",
    "assess",
    "band",
    "default_signals",
    "parse_rules",
]

PARTS: dict[str, str] = {
    "title": "需求名称",
    "problem": "主要问题",
    "key_difficulty": "技术关键",
    "expected_goal": "预期目标",
    "field": "所属领域",
    "indicators": "技术指标",
    "keywords": "关键词",
}
TEXT_PARTS = ("title", "problem", "key_difficulty", "expected_goal")
# band → (lowest score, label)
BANDS: dict[str, tuple[int, str]] = {
    "clear": (80, "明确"),
    "fair": (60, "基本明确"),
    "vague": (0, "待完善"),
}

# What each kind reads from its params (name → type) and may put into its hint text.
KINDS: dict[str, tuple[dict[str, type], frozenset[str]]] = {
    "indicators": ({}, frozenset()),
    "vague_goal": ({"words": list, "scope": list}, frozenset({"word", "clause"})),
    "current_state": ({"markers": list, "scope": list}, frozenset()),
    "part_length": ({"min_chars": dict, "advice": dict}, frozenset({"part", "state", "advice"})),
    "total_length": ({"min_chars": int}, frozenset({"chars", "min_chars"})),
    "field_signals": (
        {"min_terms": int, "ratio": float},
        frozenset({"chosen", "suggested", "terms"}),
    ),
    "capability_rarity": (
        {"min_docs": int, "min_terms": int, "min_share": float, "show": int},
        frozenset({"terms"}),
    ),
}


class RuleError(ValueError):
    """The rules file is invalid (raised at load, so a bad file stops the start)."""


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    weight: float
    part: str  # the form part the hint concerns (part_length names each part itself)
    hint: str  # zh-CN text, may hold the kind's {placeholders}
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Hint:
    rule: str
    message: str
    part: str


@dataclass(frozen=True)
class Clarity:
    score: int
    band: str
    hints: tuple[Hint, ...]
    skipped: tuple[str, ...] = ()  # rules not applicable to this draft


@dataclass(frozen=True)
class Draft:
    """The need form as typed so far (any part may be empty)."""

    title: str = ""
    problem: str = ""
    key_difficulty: str = ""
    expected_goal: str = ""
    field: str = ""  # a field code (or its Chinese name)
    keywords: Sequence[str] = ()
    indicators: Sequence[Mapping[str, Any]] = ()

    def part(self, name: str) -> str:
        return normalise_text(str(getattr(self, name, "") or ""))

    def text(self, parts: Iterable[str] = TEXT_PARTS) -> str:
        return "。".join(t for t in (self.part(p) for p in parts) if t)


class Vocabulary(Protocol):
    """Document counts over the published capabilities."""

    def __len__(self) -> int: ...

    def df(self, term: str) -> int:
        """How many capabilities use the canonical token ``term``."""
        ...


@dataclass(frozen=True)
class TokenCounts:
    """A :class:`Vocabulary` counted from token lists (one per capability)."""

    counts: Mapping[str, int]
    size: int

    @classmethod
    def of(cls, documents: Iterable[Iterable[str]]) -> TokenCounts:
        counts: Counter[str] = Counter()
        size = 0
        for tokens in documents:
            counts.update(set(tokens))
            size += 1
        return cls(counts, size)

    def __len__(self) -> int:
        return self.size

    def df(self, term: str) -> int:
        return self.counts.get(term, 0)


# --- the rules file ------------------------------------------------------------------
def parse_rules(data: Mapping[str, Any]) -> list[Rule]:
    """Validated rules from a parsed file ``{"rules": [{id, kind, weight, part, hint, ...}]}``."""
    rows = data.get("rules")
    if not isinstance(rows, list) or not rows:
        raise RuleError("the file needs a non-empty [[rules]] list")
    rules: list[Rule] = []
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            raise RuleError(f"rule {n}: not a table")
        rules.append(_rule(n, row))
    ids = [r.id for r in rules]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise RuleError(f"duplicate rule ids: {', '.join(dupes)}")
    return rules


def _rule(n: int, row: Mapping[str, Any]) -> Rule:
    rule_id = row.get("id")
    if not isinstance(rule_id, str) or not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", rule_id):
        raise RuleError(f"rule {n}: id must be lower_snake_case")
    where = f"rule {rule_id}"
    kind = row.get("kind")
    if kind not in KINDS:
        raise RuleError(f"{where}: unknown kind {kind!r} (one of {', '.join(KINDS)})")
    weight = row.get("weight")
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= 100:
        raise RuleError(f"{where}: weight must be a number in (0, 100]")
    part = row.get("part")
    if part not in PARTS:
        raise RuleError(f"{where}: part must be one of {', '.join(PARTS)}")
    hint = row.get("hint")
    if not isinstance(hint, str) or not re.search(r"[\u4e00-\u9fff]", hint):
        raise RuleError(f"{where}: hint must be a Chinese text")
    wanted, placeholders = KINDS[kind]
    used = {name for _, name, _, _ in string.Formatter().parse(hint) if name is not None}
    if used - placeholders:
        raise RuleError(f"{where}: unknown placeholders {sorted(used - placeholders)}")
    params = {k: v for k, v in row.items() if k not in {"id", "kind", "weight", "part", "hint"}}
    for name, kind_type in wanted.items():
        value = params.get(name)
        ok = isinstance(value, kind_type) or (kind_type is float and isinstance(value, int))
        if value is None or not ok or isinstance(value, bool):
            raise RuleError(f"{where}: {name} must be a {kind_type.__name__}")
    for name in ("scope",):
        if name in params and any(p not in TEXT_PARTS for p in params[name]):
            raise RuleError(f"{where}: scope parts must be among {', '.join(TEXT_PARTS)}")
    if kind == "part_length":
        mins, advice = params["min_chars"], params["advice"]
        if set(mins) - set(TEXT_PARTS) or set(advice) != set(mins):
            raise RuleError(f"{where}: min_chars and advice name the same text parts")
    if kind in ("vague_goal", "current_state"):
        listed = params["words" if kind == "vague_goal" else "markers"]
        if not listed or not all(isinstance(w, str) and w for w in listed):
            raise RuleError(f"{where}: the word list must hold non-empty strings")
    return Rule(rule_id, kind, float(weight), part, hint, params)


# --- field signals -----------------------------------------------------------------------
@dataclass(frozen=True)
class FieldSignals:
    """Field code → the dictionary terms (with their synonyms) that point to it."""

    terms: Mapping[str, frozenset[str]]

    def hits(self, text: str) -> dict[str, list[str]]:
        """Per field, the distinct terms found in ``text`` (case-insensitive, Latin whole)."""
        low = normalise_text(text).lower()
        squashed = low.replace(" ", "")
        found: dict[str, list[str]] = {}
        for code, terms in self.terms.items():
            seen = [t for t in sorted(terms) if _contains(low, squashed, t)]
            if seen:
                found[code] = seen
        return found


def _contains(text: str, squashed: str, term: str) -> bool:
    t = term.lower()
    if re.fullmatch(r"[a-z0-9+\-./ ]+", t):  # Latin: a whole word, not inside another one
        pattern = rf"(?<![a-z0-9]){re.escape(t)}(?![a-z0-9])"
        return re.search(pattern, text) is not None or (
            " " in t and re.search(pattern.replace(r"\ ", ""), squashed) is not None
        )
    return t.replace(" ", "") in squashed


@lru_cache(maxsize=1)
def default_signals() -> FieldSignals:
    """The field sections of ``matching/data/terms.txt`` (``# --- 领域名 ---``) with the
    synonym groups whose canonical term is listed there."""
    by_name = {name: code for code, name in FIELDS.items()}
    sections: dict[str, set[str]] = {}
    current: str | None = None
    for raw in (DATA_DIR / "terms.txt").read_text(encoding="utf-8").splitlines():
        line = raw.strip("\ufeff\r\n ")
        head = re.fullmatch(r"#\s*-+\s*(.+?)\s*-+", line)
        if head:
            current = by_name.get(head.group(1))
            continue
        if not line or line.startswith("#") or current is None:
            continue
        term = normalise_text(line.split("\t")[0])
        if len(term) >= 2:
            sections.setdefault(current, set()).add(term)
    for raw in (DATA_DIR / "synonyms.tsv").read_text(encoding="utf-8").splitlines():
        if raw.startswith("#") or not raw.strip():
            continue
        members = [normalise_text(m) for m in raw.split("\t") if m.strip()]
        for terms in sections.values():
            if members and members[0] in terms:
                terms.update(m for m in members if len(m) >= 2)
    return FieldSignals({code: frozenset(ts) for code, ts in sections.items()})


# --- checks ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Context:
    draft: Draft
    signals: FieldSignals | None
    corpus: Vocabulary | None
    analyzer: Analyzer | None
    field_names: Mapping[str, str]


Outcome = list[tuple[float, Hint]] | None  # None: not applicable; [] passed; else (severity, hint)
_NUMBER = re.compile(r"\d|[一二两三四五六七八九十百千万半]+(?:倍|成|个百分点)")
_CLAUSE = re.compile(r"[。；;！!？?\n，,]")


def _scope(rule: Rule, draft: Draft) -> str:
    """The parts the rule reads, or the whole text when those are all empty."""
    text = draft.text(rule.params.get("scope") or TEXT_PARTS)
    return text or draft.text()


def _hint(rule: Rule, where: str | None = None, **values: object) -> Hint:
    return Hint(rule.id, rule.hint.format(**values), where or rule.part)


def _indicators(rule: Rule, ctx: _Context) -> Outcome:
    draft = ctx.draft
    if from_structured(i for i in draft.indicators if _complete(i)):
        return []
    found = [i for i in parse_text(draft.text()) if i.unit]
    return [] if found else [(1.0, _hint(rule))]


def _complete(item: Mapping[str, Any]) -> bool:
    return all(str(item.get(k) or "").strip() for k in ("name", "comparator", "value"))


def _vague_goal(rule: Rule, ctx: _Context) -> Outcome:
    words = rule.params["words"]
    vague: list[tuple[str, str]] = []
    for clause in _CLAUSE.split(_scope(rule, ctx.draft)):
        word = next((w for w in words if w in clause), None)
        if word and not _NUMBER.search(clause):
            vague.append((word, clause.strip()))
    if not vague:
        return []
    word, clause = vague[0]
    short = clause if len(clause) <= 24 else clause[:23] + "…"
    return [(min(1.0, 0.6 + 0.2 * (len(vague) - 1)), _hint(rule, word=word, clause=short))]


def _current_state(rule: Rule, ctx: _Context) -> Outcome:
    text = _scope(rule, ctx.draft)
    if not text:
        return [(1.0, _hint(rule))]
    return [] if any(m in text for m in rule.params["markers"]) else [(1.0, _hint(rule))]


def _part_length(rule: Rule, ctx: _Context) -> Outcome:
    mins: Mapping[str, int] = rule.params["min_chars"]
    out: list[tuple[float, Hint]] = []
    for part, least in mins.items():
        n = len(re.sub(r"\s", "", ctx.draft.part(part)))
        if n >= least:
            continue
        state = "尚未填写" if n == 0 else f"只有 {n} 字"
        severity = (1.0 if n == 0 else 0.5) / len(mins)
        out.append(
            (
                severity,
                _hint(
                    rule, part, part=PARTS[part], state=state, advice=rule.params["advice"][part]
                ),
            )
        )
    return out


def _total_length(rule: Rule, ctx: _Context) -> Outcome:
    least = rule.params["min_chars"]
    n = len(re.sub(r"\s", "", ctx.draft.text()))
    if n >= least:
        return []
    return [(1.0 - n / least, _hint(rule, chars=n, min_chars=least))]


def _field_signals(rule: Rule, ctx: _Context) -> Outcome:
    chosen = normalise_field(ctx.draft.field)
    if ctx.signals is None or chosen not in ctx.signals.terms:
        return None  # a field the dictionary does not cover: nothing to compare with
    hits = ctx.signals.hits(ctx.draft.text([*TEXT_PARTS]) + " " + " ".join(ctx.draft.keywords))
    own = len(hits.get(chosen, []))
    least = max(rule.params["min_terms"], rule.params["ratio"] * max(own, 1))
    strong = sorted(
        ((len(ts), code, ts) for code, ts in hits.items() if code != chosen and len(ts) >= least),
        key=lambda o: (-o[0], o[1]),
    )
    # The names are read only now (a service may look them up): active fields only.
    names = ctx.field_names
    found = next(((code, ts) for _, code, ts in strong if code in names), None)
    if found is None:
        return []
    code, terms = found
    own_terms = set(hits.get(chosen, []))
    shown = "".join(f"「{t}」" for t in [t for t in terms if t not in own_terms][:3])
    chosen_name = names.get(chosen) or FIELDS.get(chosen, chosen)
    return [(1.0, _hint(rule, chosen=chosen_name, suggested=names[code], terms=shown))]


# Candidates: Latin words and abbreviations, or Chinese words of three characters or more
# (two-character pieces are mostly segmentation leftovers, not terms).
_JARGON_SHAPE = re.compile(r"^(?:[\u4e00-\u9fff]{3,}|[a-z][a-z0-9\-]{2,})$")


def _capability_rarity(rule: Rule, ctx: _Context) -> Outcome:
    corpus, analyzer = ctx.corpus, ctx.analyzer or default_analyzer()
    if corpus is None:
        return None  # no capability side to compare with
    dictionary = _dictionary(analyzer)
    terms = [
        t
        for t in dict.fromkeys(analyzer.tokens(ctx.draft.text()))
        if is_domain_term(t) and _JARGON_SHAPE.match(t)
    ]
    # Pure text first: the corpus (maybe a query) is read only when jargon is possible.
    unknown = [t for t in terms if t not in dictionary and not _ordinary(t)]
    if len(unknown) < rule.params["min_terms"]:
        return []
    if len(corpus) < rule.params["min_docs"]:
        return None  # too few published capabilities to say what they never use
    rare = [t for t in unknown if corpus.df(t) == 0]
    if len(rare) < rule.params["min_terms"] or len(rare) < rule.params["min_share"] * len(terms):
        return []
    shown = "".join(f"「{analyzer.display(t)}」" for t in rare[: rule.params["show"]])
    part = next((p for p in TEXT_PARTS if rare[0] in ctx.draft.part(p).lower()), rule.part)
    return [(1.0, _hint(rule, part, terms=shown))]


_DICTIONARIES: dict[int, frozenset[str]] = {}


def _dictionary(analyzer: Analyzer) -> frozenset[str]:
    """The analyzer's technical terms and synonyms (standard words, never jargon)."""
    key = id(analyzer)
    if key not in _DICTIONARIES:
        lex = analyzer.lexicon
        words = {t.lower().replace(" ", "") for t in lex.terms}
        words |= {m.lower().replace(" ", "") for g in lex.groups for m in g}
        _DICTIONARIES[key] = frozenset(words)
    return _DICTIONARIES[key]


@lru_cache(maxsize=1)
def _general_dictionary() -> Any:
    import rjieba

    return rjieba.Jieba()


def _ordinary(token: str) -> bool:
    """A word of jieba's general dictionary (an everyday word, not in-house jargon)."""
    return bool(_CJK_ONLY.match(token)) and bool(_general_dictionary().has_word(token))


_CJK_ONLY = re.compile(r"^[\u4e00-\u9fff]+$")

_CHECKS = {
    "indicators": _indicators,
    "vague_goal": _vague_goal,
    "current_state": _current_state,
    "part_length": _part_length,
    "total_length": _total_length,
    "field_signals": _field_signals,
    "capability_rarity": _capability_rarity,
}


def band(score: int) -> str:
    """clear / fair / vague by :data:`BANDS`."""
    for name, (low, _) in BANDS.items():
        if score >= low:
            return name
    return "vague"


def assess(
    draft: Draft,
    rules: Sequence[Rule],
    *,
    signals: FieldSignals | None = None,
    corpus: Vocabulary | None = None,
    analyzer: Analyzer | None = None,
    field_names: Mapping[str, str] | None = None,
) -> Clarity:
    """Score ``draft`` with ``rules``; ``field_names`` are the active fields (code → name)
    a suggestion may name (default: the matching taxonomy)."""
    draft = Draft(
        title=unicodedata.normalize("NFKC", draft.title),
        problem=unicodedata.normalize("NFKC", draft.problem),
        key_difficulty=unicodedata.normalize("NFKC", draft.key_difficulty),
        expected_goal=unicodedata.normalize("NFKC", draft.expected_goal),
        field=draft.field,
        keywords=tuple(draft.keywords),
        indicators=tuple(draft.indicators),
    )
    ctx = _Context(draft, signals, corpus, analyzer, FIELDS if field_names is None else field_names)
    kept = total = 0.0
    hints: list[Hint] = []
    skipped: list[str] = []
    for rule in rules:
        outcome = _CHECKS[rule.kind](rule, ctx)
        if outcome is None:
            skipped.append(rule.id)
            continue
        severity = min(1.0, sum(s for s, _ in outcome))
        total += rule.weight
        kept += rule.weight * (1.0 - severity)
        hints.extend(h for _, h in outcome)
    score = round(100 * kept / total) if total else 100
    return Clarity(score, band(score), tuple(hints), tuple(skipped))
