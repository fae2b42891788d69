"""Metrics against hand-computed values, loaders, the runner and the CLI."""

import json
import math
import re
from pathlib import Path

import pytest

from matching import cli
from matching.embedders import HashEmbedder
from matching.evaluation import (
    evaluate,
    format_results,
    load_docs,
    load_qrels,
    mrr,
    ndcg_at_k,
    recall_at_k,
    run_eval,
    transpose,
)

RELEVANT = {"a": 2, "b": 1, "c": 1}


def test_recall_at_k() -> None:
    assert recall_at_k(["a", "x", "b", "y"], RELEVANT, 2) == pytest.approx(1 / 3)
    assert recall_at_k(["a", "x", "b", "c"], RELEVANT, 4) == 1.0
    assert recall_at_k(["a"], {"a": 0}, 1) == 0.0


def test_ndcg_at_k_graded() -> None:
    ranked = ["x", "a", "b"]
    dcg = 2 / math.log2(3) + 1 / math.log2(4)
    idcg = 2 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(ranked, RELEVANT, 3) == pytest.approx(dcg / idcg)
    assert ndcg_at_k(["a", "b", "c"], RELEVANT, 3) == pytest.approx(1.0)
    assert ndcg_at_k(["b", "a"], {"a": 2, "b": 1}, 1) == pytest.approx(0.5)


def test_mrr() -> None:
    assert mrr(["x", "y", "b"], RELEVANT) == pytest.approx(1 / 3)
    assert mrr(["x", "b", "a"], RELEVANT, min_grade=2) == pytest.approx(1 / 3)
    assert mrr(["x"], RELEVANT) == 0.0


def test_evaluate_averages_over_judged_queries() -> None:
    qrels = {"q1": {"a": 2}, "q2": {"b": 1}, "q3": {"c": 0}}
    rankings = {"q1": ["a"], "q2": ["x", "b"]}
    scores = evaluate(lambda q: rankings.get(q, []), qrels, k=10)
    assert scores.queries == 2
    assert scores.mrr == pytest.approx((1 + 0.5) / 2)
    assert scores.recall == 1.0


def write_set(root: Path) -> tuple[Path, Path, Path]:
    needs = [
        {
            "id": "N1",
            "title": "碳化硅衬底缺陷检测",
            "description": "SiC 衬底微管检测，检测时间不超过10分钟",
            "field": "半导体与集成电路",
            "indicators": [{"name": "检测时间", "comparator": "<=", "value": "10", "unit": "分钟"}],
        },
        {
            "id": "N2",
            "title": "锂电池低温续航",
            "description": "电动车冬季续航下降",
            "field": "nev",
        },
    ]
    caps = [
        {
            "id": "C1",
            "title": "碳化硅晶圆缺陷光学检测",
            "description": "单片检测时间5分钟",
            "field": "半导体与集成电路",
        },
        {
            "id": "C2",
            "title": "碳化硅晶圆缺陷光学检测",
            "description": "单片检测时间3小时",
            "field": "semiconductor",
        },
        {
            "id": "C3",
            "title": "热泵空调",
            "description": "电动汽车低温热泵，提升冬季续航",
            "field": "新能源汽车",
        },
    ]
    paths = root / "needs.jsonl", root / "caps.jsonl", root / "qrels.tsv"
    for path, rows in zip(paths[:2], (needs, caps), strict=True):
        path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n")
    paths[2].write_text("need_id\tcapability_id\tgrade\nN1\tC1\t2\nN1\tC2\t1\nN2\tC3\t2\n")
    return paths


def test_loaders(tmp_path: Path) -> None:
    needs_path, caps_path, qrels_path = write_set(tmp_path)
    needs = load_docs(needs_path, kind="need")
    assert [d.id for d in needs] == ["N1", "N2"] and needs[1].field_code == "nev"
    assert needs[0].parsed_indicators()[0].name == "检测时间"
    qrels = load_qrels(qrels_path)
    assert qrels == {"N1": {"C1": 2, "C2": 1}, "N2": {"C3": 2}}
    assert transpose(qrels) == {"C1": {"N1": 2}, "C2": {"N1": 1}, "C3": {"N2": 2}}


def test_run_eval_both_directions(tmp_path: Path) -> None:
    paths = write_set(tmp_path)
    forward = run_eval(*paths, embedder=HashEmbedder())
    assert set(forward.methods) == {"lexical-word", "lexical-char", "dense", "fusion", "hybrid"}
    assert forward.methods["hybrid"].ndcg == pytest.approx(1.0)  # C1 meets the 10-minute bound
    assert {q for q, _, _ in forward.rows} == {"N1", "N2"}
    assert sum(label for _, _, label in forward.rows) == 3
    reverse = run_eval(*paths, embedder=HashEmbedder(), reverse=True)
    assert reverse.methods["hybrid"].queries == 3
    last = format_results(forward).splitlines()[-1]
    assert last == "hybrid ndcg@10=1.000 recall@10=1.000 mrr=1.000"


def test_cli_eval_prints_the_hybrid_line_last(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    needs, caps, qrels = write_set(tmp_path)
    argv = [
        "eval",
        "--needs",
        str(needs),
        "--capabilities",
        str(caps),
        "--qrels",
        str(qrels),
        "--embedder",
        "hash",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--reverse",
    ]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1].startswith("hybrid ndcg@10=") and "recall@10=" in out[-1] and "mrr=" in out[-1]
    assert any(line.startswith("lexical-char") for line in out)
    assert any(line.startswith("calibration of 匹配度: ECE") for line in out)
    assert re.fullmatch(r"hybrid ndcg@10=\d\.\d{3} recall@10=\d\.\d{3} mrr=\d\.\d{3}", out[-1])
    assert list((tmp_path / "cache").glob("emb-*.npz"))
