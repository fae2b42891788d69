"""Ranking metrics (Recall@k, graded nDCG@k, MRR), eval-set loaders and the eval runner.

Eval set: ``needs.jsonl`` and ``capabilities.jsonl`` (one posting per line with
at least id, title, description, field) and ``qrels.tsv``
(``need_id<TAB>capability_id<TAB>grade``; 2 = solves, 1 = partly).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from matching.calibration import (
    Bin,
    expected_calibration_error,
    format_reliability,
    reliability,
)
from matching.documents import Doc, DocKind
from matching.embedders import Embedder, load_embedder
from matching.model import RankModel
from matching.ranking import Match, Matcher, encode_postings

__all__ = [
    "EvalRun",
    "Qrels",
    "evaluate",
    "load_docs",
    "load_set",
    "load_qrels",
    "format_results",
    "mrr",
    "ndcg_at_k",
    "recall_at_k",
    "run_eval",
    "transpose",
]

Qrels = dict[str, dict[str, int]]  # query id → {doc id: grade}


def recall_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    """Share of the relevant documents (grade ≥ 1) found in the top k."""
    rel = {d for d, g in relevant.items() if g > 0}
    if not rel:
        return 0.0
    return len(rel & set(ranked[:k])) / len(rel)


def ndcg_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    """Graded nDCG with gain = grade and the 1/log2(rank+1) discount."""
    dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def mrr(ranked: Sequence[str], relevant: Mapping[str, int], min_grade: int = 1) -> float:
    """Reciprocal rank of the first document with grade ≥ ``min_grade``."""
    for i, d in enumerate(ranked):
        if relevant.get(d, 0) >= min_grade:
            return 1.0 / (i + 1)
    return 0.0


def load_docs(path: str | Path, kind: DocKind | None = None) -> list[Doc]:
    """Postings from a JSONL file (blank lines skipped; ids kept as strings)."""
    docs: list[Doc] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                row["id"] = str(row["id"])
                docs.append(Doc.from_mapping(row, kind=kind))
    return docs


def load_qrels(path: str | Path) -> Qrels:
    """``need_id<TAB>capability_id<TAB>grade`` lines; a header or comments are skipped."""
    qrels: Qrels = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or line.startswith("#"):
                continue
            try:
                grade = int(float(parts[2]))
            except ValueError:
                continue  # header
            qrels.setdefault(parts[0], {})[parts[1]] = grade
    return qrels


def transpose(qrels: Qrels) -> Qrels:
    """Capability → need judgements from need → capability ones."""
    out: Qrels = {}
    for q, docs in qrels.items():
        for d, g in docs.items():
            out.setdefault(d, {})[q] = g
    return out


@dataclass(frozen=True)
class Scores:
    """Mean metrics over the judged queries."""

    ndcg: float
    recall: float
    mrr: float
    queries: int


def evaluate(rank: Callable[[str], Sequence[str]], qrels: Qrels, k: int = 10) -> Scores:
    """Mean nDCG@k, Recall@k and MRR of ``rank(query_id)`` over queries with judgements."""
    judged = [q for q, rel in qrels.items() if any(g > 0 for g in rel.values())]
    n = max(len(judged), 1)
    totals = [0.0, 0.0, 0.0]
    for q in judged:
        ranked = list(rank(q))
        totals[0] += ndcg_at_k(ranked, qrels[q], k)
        totals[1] += recall_at_k(ranked, qrels[q], k)
        totals[2] += mrr(ranked, qrels[q])
    return Scores(totals[0] / n, totals[1] / n, totals[2] / n, len(judged))


# --- runner --------------------------------------------------------------------------
# Each method ranks the same candidates by one number of the hybrid's matches.
METHODS: dict[str, Callable[[Match], tuple[float, ...]]] = {
    "lexical-word": lambda m: (m.bm25,),  # rjieba + terms + synonyms, BM25
    "lexical-char": lambda m: (m.char_bm25,),  # character-bigram BM25
    "dense": lambda m: (m.cosine,),  # e5 cosine
    "fusion": lambda m: (m.features["dense"] + m.features["char"], m.cosine),  # z-sum
    "hybrid": lambda m: (m.score, m.cosine, m.bm25),  # the model: what the service ranks by
}
LabelledRow = tuple[str, dict[str, float], int]  # (query id, features, 1 relevant / 0 not)


@dataclass
class EvalRun:
    """Per-method scores, the hybrid's calibration and every scored pair's features."""

    methods: dict[str, Scores]
    calibration_top: list[Bin]  # the k best of every judged query (what people see)
    calibration_all: list[Bin]  # every candidate pair of every judged query
    rows: list[LabelledRow]
    doc_ids: list[str]  # the candidate of each row
    qrels: Qrels
    per_query: dict[str, float] = field(default_factory=dict)  # hybrid nDCG@k of each query


def load_set(
    needs_path: str | Path, capabilities_path: str | Path, qrels_path: str | Path
) -> tuple[list[Doc], list[Doc], Qrels]:
    """Needs, capabilities and judgements of one judged set."""
    return (
        load_docs(needs_path, kind="need"),
        load_docs(capabilities_path, kind="capability"),
        load_qrels(qrels_path),
    )


def run_eval(
    needs_path: str | Path,
    capabilities_path: str | Path,
    qrels_path: str | Path,
    *,
    k: int = 10,
    reverse: bool = False,
    embedder: Embedder | None = None,
    model: RankModel | None = None,
    pool: int | None = None,
    second: bool = True,
) -> EvalRun:
    """Rank every capability for every need (or the reverse); score each method.

    ``pool`` is the candidates each retriever contributes (default: the whole corpus); set it
    to the service's pool to measure what the served ranking loses, if anything.
    ``second=False`` keeps no second dense view (postings stored before it existed: every
    pair is scored by the model's fallback).
    """
    needs, caps, qrels = load_set(needs_path, capabilities_path, qrels_path)
    queries, corpus = (caps, needs) if reverse else (needs, caps)
    if reverse:
        qrels = transpose(qrels)
    emb = embedder if embedder is not None else load_embedder("hash")
    matcher = Matcher(emb, model=model, pool=pool or len(corpus))
    # both views of every posting, as the service stores them (second=False: the first only)
    views = encode_postings(emb, corpus, second=True) if second else None
    matcher.add(corpus, encode_postings(emb, corpus), views)
    query_vectors = encode_postings(emb, queries)
    query_views = encode_postings(emb, queries, second=True) if second else None
    ranked: dict[str, list[Match]] = {}
    for n, q in enumerate(queries):
        if any(g > 0 for g in qrels.get(str(q.id), {}).values()):
            ranked[str(q.id)] = matcher.rank(
                q,
                len(corpus),
                query_vector=query_vectors[n],
                query_vector2=None if query_views is None else query_views[n],
            )
    methods: dict[str, Scores] = {}
    for name, key in METHODS.items():
        order = {q: _ordered(ms, key) for q, ms in ranked.items()}
        methods[name] = evaluate(partial(_lookup, order), qrels, k)
    rows = [
        (q, dict(m.features), int(qrels[q].get(str(m.id), 0) > 0))
        for q, ms in ranked.items()
        for m in ms
    ]
    top = [
        (m.score, int(qrels[q].get(str(m.id), 0) > 0)) for q, ms in ranked.items() for m in ms[:k]
    ]
    every = [
        (m.score, label)
        for (_, _, label), m in zip(rows, (m for ms in ranked.values() for m in ms), strict=True)
    ]
    hybrid = {q: _ordered(ms, METHODS["hybrid"]) for q, ms in ranked.items()}
    return EvalRun(
        per_query={q: ndcg_at_k(order, qrels[q], k) for q, order in hybrid.items()},
        methods=methods,
        calibration_top=reliability([s for s, _ in top], [y for _, y in top]),
        calibration_all=reliability([s for s, _ in every], [y for _, y in every]),
        rows=rows,
        doc_ids=[str(m.id) for ms in ranked.values() for m in ms],
        qrels=qrels,
    )


def _ordered(matches: Sequence[Match], key: Callable[[Match], tuple[float, ...]]) -> list[str]:
    """Ids by ``key`` descending, then id."""
    return [str(m.id) for m in sorted(matches, key=lambda m: (*(-x for x in key(m)), str(m.id)))]


def _lookup(order: Mapping[str, list[str]], query: str) -> list[str]:
    return order.get(query, [])


def format_results(run: EvalRun, k: int = 10, label: str = "") -> str:
    """Methods table, calibration (ECE and reliability), then the hybrid line last."""
    head = f"{'method':<13} {'ndcg@' + str(k):>9} {'recall@' + str(k):>10} {'mrr':>7}"
    lines = [f"# {label}" if label else "", head]
    lines += [
        f"{n:<13} {s.ndcg:>9.3f} {s.recall:>10.3f} {s.mrr:>7.3f}" for n, s in run.methods.items()
    ]
    ece_top = expected_calibration_error(run.calibration_top)
    ece_all = expected_calibration_error(run.calibration_all)
    lines.append(f"calibration of 匹配度: ECE top-{k} {ece_top:.3f}, ECE all pairs {ece_all:.3f}")
    lines.append(f"reliability (top-{k} of every judged query):")
    lines.append(format_reliability(run.calibration_top))
    s = run.methods["hybrid"]
    lines.append(f"hybrid ndcg@{k}={s.ndcg:.3f} recall@{k}={s.recall:.3f} mrr={s.mrr:.3f}")
    return "\n".join(line for line in lines if line)
