"""Fitting the rank model leave-one-set-out, and the CLI that writes it."""

from pathlib import Path

import pytest

from matching import cli
from matching.embedders import HashEmbedder
from matching.evaluation import run_eval
from matching.model import RankModel
from matching.tuning import fit_model, leave_one_set_out, rank_scores
from tests.matching.test_evaluation import write_set

FEATURES = ["dense", "char", "agree", "indicator", "field"]


def two_sets(tmp_path: Path) -> list[Path]:
    roots = [tmp_path / "a", tmp_path / "b"]
    for root in roots:
        root.mkdir()
        needs, caps, qrels = write_set(root)
        needs.rename(root / "needs.jsonl")
        caps.rename(root / "capabilities.jsonl")
        qrels.rename(root / "qrels.tsv")
    return roots


@pytest.mark.parametrize("loss", ["pointwise", "listwise"])
def test_each_set_is_scored_by_a_model_fitted_on_the_others(tmp_path: Path, loss: str) -> None:
    runs = {
        r.name: run_eval(
            r / "needs.jsonl", r / "capabilities.jsonl", r / "qrels.tsv", embedder=HashEmbedder()
        )
        for r in two_sets(tmp_path)
    }
    folds = leave_one_set_out(runs, FEATURES, loss=loss)
    assert [f.held for f in folds] == ["a", "b"]
    for fold in folds:
        assert fold.model.n_labels == len(runs["b" if fold.held == "a" else "a"].rows)
        assert 0.0 <= fold.scores.ndcg <= 1.0 and 0.0 <= fold.ece_top <= 1.0
    model = fit_model(list(runs.values()), FEATURES, loss=loss)
    assert model.weights.keys() == set(FEATURES)
    assert model.parts["agree"] == "semantic+keyword"
    scores, _ = rank_scores(model, runs["a"])
    assert scores.ndcg == pytest.approx(1.0)


def test_cli_fit_model_writes_a_loadable_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = two_sets(tmp_path)
    out = tmp_path / "model.json"
    argv = ["fit-model", "--set", str(a), "--set", str(b), "--embedder", "hash"]
    assert cli.main([*argv, "--cache-dir", "", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "held-out set" in printed and f"wrote {out}" in printed
    model = RankModel.from_json(out.read_text(encoding="utf-8"))
    assert model.heldout.keys() >= {"a ndcg@10", "b ndcg@10", "a ece"}
    assert model.source == "shipped" and model.n_labels > 0


def test_an_unknown_loss_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown loss"):
        fit_model([], FEATURES, loss="pairwise")


def test_cli_fit_model_takes_the_listwise_loss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = two_sets(tmp_path)
    out = tmp_path / "model.json"
    argv = ["fit-model", "--set", str(a), "--set", str(b), "--embedder", "hash", "--loss"]
    assert cli.main([*argv, "listwise", "--cache-dir", "", "--out", str(out)]) == 0
    model = RankModel.from_json(out.read_text(encoding="utf-8"))
    assert model.weights.keys() == set(FEATURES) and model.heldout.keys() >= {"a ndcg@10"}


def test_cli_fit_model_nests_a_fallback_and_writes_each_fold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = two_sets(tmp_path)
    previous, out, folds = tmp_path / "previous.json", tmp_path / "model.json", tmp_path / "f"
    argv = ["fit-model", "--set", str(a), "--set", str(b), "--embedder", "hash"]
    assert cli.main([*argv, "--cache-dir", "", "--out", str(previous)]) == 0
    both = ",".join([*FEATURES, "dpass", "dqq"])
    extra = ["--features", both, "--fallback", str(previous), "--fold-out", str(folds)]
    assert cli.main([*argv, *extra, "--cache-dir", "", "--out", str(out)]) == 0
    model = RankModel.from_json(out.read_text(encoding="utf-8"))
    assert model.weights.keys() == {*FEATURES, "dpass", "dqq"}
    assert model.fallback == RankModel.from_json(previous.read_text(encoding="utf-8"))
    held = {p.name: RankModel.from_json(p.read_text(encoding="utf-8")) for p in folds.iterdir()}
    assert held.keys() == {"heldout-a.json", "heldout-b.json"}
    assert all(m.fallback == model.fallback for m in held.values())
    capsys.readouterr()
    # the held-out model through jiebang eval: the figure fit-model printed for that set
    assert cli.main([*argv, "--features", both, "--cache-dir", ""]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("a "))
    files = ["--needs", str(a / "needs.jsonl"), "--capabilities", str(a / "capabilities.jsonl")]
    evaluated = ["eval", *files, "--qrels", str(a / "qrels.tsv"), "--embedder", "hash"]
    assert cli.main([*evaluated, "--cache-dir", "", "--model", str(folds / "heldout-a.json")]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith(f"hybrid ndcg@10={line.split()[1]}")
