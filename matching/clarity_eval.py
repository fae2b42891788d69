"""Are clearer needs matched better? 需求明确度 against per-need matching quality.

For one judged set: every need's clarity (the shipped rules; the set's capabilities stand in
for the published ones), its hybrid nDCG@k (:func:`matching.evaluation.run_eval`), the
Spearman correlation of the two, the mean nDCG in clarity terciles, and per rule the mean
nDCG of the needs it fires on against the others. ``jiebang eval-clarity`` prints it.

A set whose needs carry only a ``description`` (no 主要问题/技术关键/预期目标) is scored with
the description as 主要问题; the part rules then fire on every need alike, which shifts every
score by the same amount and leaves the ranks, hence the correlation, as they are.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from matching.clarity import Draft, Rule, TokenCounts, assess, default_signals, parse_rules
from matching.documents import Doc
from matching.evaluation import EvalRun, load_docs
from matching.lexical import default_analyzer

__all__ = ["ClarityReport", "format_report", "load_rules", "relate", "spearman"]


def load_rules(path: str | Path) -> list[Rule]:
    return parse_rules(tomllib.loads(Path(path).read_text(encoding="utf-8")))


def _ranks(values: Sequence[float]) -> list[float]:
    """Average ranks (ties share the mean of their positions), 1-based."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's ρ with ties (Pearson on average ranks); 0 when either side is constant."""
    if len(x) != len(y) or len(x) < 2:
        raise ValueError("two equally long sequences of at least two values")
    rx, ry = _ranks(x), _ranks(y)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = sum((a - mx) ** 2 for a in rx)
    vy = sum((b - my) ** 2 for b in ry)
    return cov / (vx * vy) ** 0.5 if vx and vy else 0.0


def draft_of(doc: Doc) -> Draft:
    """A judged need as the form would hold it (a bare description goes to 主要问题)."""
    has_parts = doc.problem or doc.key_difficulty or doc.expected_goal
    return Draft(
        title=doc.title,
        problem=doc.problem if has_parts else doc.description,
        key_difficulty=doc.key_difficulty,
        expected_goal=doc.expected_goal,
        field=doc.field,
        keywords=tuple(doc.keywords),
        indicators=tuple(i for i in doc.indicators if isinstance(i, Mapping)),
    )


@dataclass(frozen=True)
class ClarityReport:
    label: str
    k: int
    scores: dict[str, int]  # need id → clarity
    ndcg: dict[str, float]  # need id → hybrid nDCG@k
    fired: dict[str, set[str]]  # rule id → needs it fired on
    rules: list[str]
    has_parts: bool

    @property
    def needs(self) -> list[str]:
        return sorted(self.ndcg)

    def rho(self) -> float:
        ids = self.needs
        return spearman([self.scores[i] for i in ids], [self.ndcg[i] for i in ids])

    def terciles(self) -> list[tuple[int, int, int, float]]:
        """(lowest clarity, highest clarity, needs, mean nDCG) of each third, least clear first
        (ordered by clarity, then id)."""
        ids = sorted(self.needs, key=lambda i: (self.scores[i], i))
        n = len(ids)
        cuts = [0, round(n / 3), round(2 * n / 3), n]
        out = []
        for a, b in zip(cuts, cuts[1:], strict=False):
            part = ids[a:b]
            if part:
                mean = sum(self.ndcg[i] for i in part) / len(part)
                out.append((self.scores[part[0]], self.scores[part[-1]], len(part), mean))
        return out


def relate(
    needs_path: str | Path,
    capabilities_path: str | Path,
    run: EvalRun,
    rules: Sequence[Rule],
    *,
    label: str = "",
    k: int = 10,
) -> ClarityReport:
    """Clarity of every judged need of ``run`` next to its nDCG@k."""
    needs = {str(d.id): d for d in load_docs(needs_path, kind="need")}
    caps = load_docs(capabilities_path, kind="capability")
    analyzer = default_analyzer()
    corpus = TokenCounts.of(analyzer.tokens(c.lexical_text()) for c in caps)
    scores: dict[str, int] = {}
    fired: dict[str, set[str]] = {r.id: set() for r in rules}
    for need_id in run.per_query:
        result = assess(
            draft_of(needs[need_id]),
            rules,
            signals=default_signals(),
            corpus=corpus,
            analyzer=analyzer,
        )
        scores[need_id] = result.score
        for hint in result.hints:
            fired[hint.rule].add(need_id)
    has_parts = any(d.problem or d.key_difficulty or d.expected_goal for d in needs.values())
    return ClarityReport(
        label, k, scores, dict(run.per_query), fired, [r.id for r in rules], has_parts
    )


def format_report(report: ClarityReport) -> str:
    ids = report.needs
    scores = [report.scores[i] for i in ids]
    mean_ndcg = sum(report.ndcg[i] for i in ids) / len(ids)
    lines = [
        f"# {report.label}: {len(ids)} judged needs"
        + ("" if report.has_parts else " (description only: scored as 主要问题)"),
        f"clarity: mean {sum(scores) / len(scores):.1f}, min {min(scores)}, max {max(scores)};"
        f" hybrid ndcg@{report.k}: mean {mean_ndcg:.3f}",
        f"spearman(clarity, ndcg@{report.k}) = {report.rho():+.3f}",
        f"{'clarity tercile':<18} {'needs':>5} {'ndcg@' + str(report.k):>9}",
    ]
    for low, high, n, mean in report.terciles():
        lines.append(f"{f'{low}–{high}':<18} {n:>5} {mean:>9.3f}")
    lines.append(f"{'rule':<18} {'fires':>5} {'ndcg fired':>11} {'ndcg not':>9}")
    for rule in report.rules:
        hit = report.fired[rule]
        rest = [i for i in ids if i not in hit]
        on = sum(report.ndcg[i] for i in hit) / len(hit) if hit else float("nan")
        off = sum(report.ndcg[i] for i in rest) / len(rest) if rest else float("nan")
        lines.append(f"{rule:<18} {len(hit):>5} {on:>11.3f} {off:>9.3f}")
    return "\n".join(lines)
