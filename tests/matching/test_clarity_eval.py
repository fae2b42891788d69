"""The clarity-vs-matching report: Spearman with ties, terciles, and a run on a judged set."""

from pathlib import Path

import pytest

from matching.clarity_eval import format_report, load_rules, relate, spearman
from matching.embedders import load_embedder
from matching.evaluation import run_eval

ROOT = Path(__file__).resolve().parents[2]


def test_spearman_handles_ties_and_constants() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 1, 2, 2], [1, 2, 3, 4]) == pytest.approx(0.894, abs=1e-3)
    assert spearman([5, 5, 5], [1, 2, 3]) == 0.0
    with pytest.raises(ValueError, match="at least two"):
        spearman([1], [1])


def test_report_on_the_eval_set() -> None:
    paths = [ROOT / "eval" / f for f in ("needs.jsonl", "capabilities.jsonl", "qrels.tsv")]
    run = run_eval(*paths, embedder=load_embedder("hash"))
    rules = load_rules(ROOT / "service" / "needs" / "clarity_rules.toml")
    report = relate(paths[0], paths[1], run, rules, label="eval")
    assert set(report.scores) == set(run.per_query) and len(report.scores) >= 40
    assert all(0 <= s <= 100 for s in report.scores.values())
    assert -1.0 <= report.rho() <= 1.0
    thirds = report.terciles()
    assert sum(n for _, _, n, _ in thirds) == len(report.scores)
    assert thirds[0][0] <= thirds[-1][1]
    text = format_report(report)
    assert "spearman(clarity, ndcg@10)" in text and "no_indicators" in text
