"""Ranking metrics (Recall@k, graded nDCG@k, MRR), eval-set loaders and the eval runner.

Eval set: ``needs.jsonl`` and ``capabilities.jsonl`` (one posting per line with
at least id, title, description, field) and ``qrels.tsv``
(``need_id<TAB>capability_id<TAB>grade``; 2 = solves, 1 = partly).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from matching.documents import Doc, DocKind
from matching.embedders import Embedder, load_embedder
from matching.ranking import Matcher, Weights, encode_postings

__all__ = [
    "Qrels",
    "evaluate",
    "load_docs",
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
METHODS: dict[str, Weights] = {
    "lexical": Weights(semantic=0.0, keyword=1.0, indicator=0.0, field=0.0),
    "dense": Weights(semantic=1.0, keyword=0.0, indicator=0.0, field=0.0),
    "fusion": Weights(semantic=0.5, keyword=0.5, indicator=0.0, field=0.0),
    "hybrid": Weights(),
}


def run_eval(
    needs_path: str | Path,
    capabilities_path: str | Path,
    qrels_path: str | Path,
    *,
    k: int = 10,
    reverse: bool = False,
    embedder: Embedder | None = None,
    methods: Mapping[str, Weights] = METHODS,
    pool: int | None = None,
) -> dict[str, Scores]:
    """Rank every capability for every need (or the reverse) with each method.

    ``pool`` is the candidates each retriever contributes (default: the whole corpus); set it
    to the service's pool to measure what the served ranking loses, if anything.
    """
    needs = load_docs(needs_path, kind="need")
    caps = load_docs(capabilities_path, kind="capability")
    qrels = load_qrels(qrels_path)
    queries, corpus = (caps, needs) if reverse else (needs, caps)
    if reverse:
        qrels = transpose(qrels)
    emb = embedder if embedder is not None else load_embedder("hash")
    corpus_vectors = encode_postings(emb, corpus)
    query_vectors = encode_postings(emb, queries)
    by_id = {q.id: (q, query_vectors[n]) for n, q in enumerate(queries)}
    results: dict[str, Scores] = {}
    for name, weights in methods.items():
        matcher = Matcher(emb, weights=weights, pool=pool or len(corpus))
        matcher.add(corpus, corpus_vectors)

        def rank(qid: str, matcher: Matcher = matcher) -> list[str]:
            if qid not in by_id:
                return []
            doc, vec = by_id[qid]
            return [str(m.id) for m in matcher.rank(doc, len(corpus), query_vector=vec)]

        results[name] = evaluate(rank, qrels, k)
    return results


def format_results(results: Mapping[str, Scores], k: int = 10, label: str = "") -> str:
    """A table, then the hybrid line last (``hybrid ndcg@10=… recall@10=… mrr=…``)."""
    head = f"{'method':<10} {'ndcg@' + str(k):>9} {'recall@' + str(k):>10} {'mrr':>7}"
    lines = [f"# {label}" if label else "", head]
    lines += [f"{n:<10} {s.ndcg:>9.3f} {s.recall:>10.3f} {s.mrr:>7.3f}" for n, s in results.items()]
    if "hybrid" in results:
        s = results["hybrid"]
        lines.append(f"hybrid ndcg@{k}={s.ndcg:.3f} recall@{k}={s.recall:.3f} mrr={s.mrr:.3f}")
    return "\n".join(line for line in lines if line)
