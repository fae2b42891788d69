"""The features a pair is scored with (:class:`matching.model.RankModel` weighs them).

Every feature is 0 when it says nothing either way, so a model's ``base`` part is the
chance of a pair with no evidence at all:

``dense``      cosine of the e5 vectors as a z-score against the query's cosines to the
               corpus (a reference sample of it): how much more alike than a typical posting.
``char``       character-bigram BM25 (no segmentation, no dictionary) as a z-score against
               the query's scores over the whole corpus.
``word``       word BM25 (rjieba + the term dictionary and synonyms) as the same z-score.
``agree``      max(dense, 0) · max(char, 0): both retrievers see the pair as unusually
               alike (measured: +0.01 eval, +0.02 jiebang-dev held out); shown half in the
               semantic and half in the keyword part.
``dpass``      the cosine of the need's second view (encoded as a passage) with the
               capability's vector (a passage), z-scored like ``dense``: passage against
               passage measures topical look-alikes, so given ``dense`` it counts against.
``dqq``        the cosine of the need's vector (a query) with the capability's second view
               (encoded as a query), the same z-score.  Both need a posting's second view
               (:func:`matching.ranking.encode_postings` with ``second=True``); a pair
               without it is scored by the model's fallback.
``bridge``     the capability's cosine with the need's bridge vector, the capabilities of
               the written example needs nearest to it (:mod:`matching.bridge`), the same
               z-score: what solved needs like this one looks like. Need queries only.
``indicator``  the requirement fit in [-1, 1] (met +, missed −, nothing comparable 0).
``field``      1 when both postings are in the same 所属领域.

z-scores are capped to [Z_MIN, Z_MAX] so one extreme score cannot dominate.  Scoring
against the query's own distribution over the corpus (not the candidate pool's best)
keeps a value meaning the same for a posting's recommendations, a free-text search and
the broker queue, whatever the pool.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FEATURES", "PARTS", "Z_MAX", "Z_MIN", "agreement", "reference_sample", "zscores"]

FEATURES: tuple[str, ...] = (
    "dense",
    "char",
    "word",
    "agree",
    "indicator",
    "field",
    "dpass",
    "dqq",
    "bridge",
)
# feature → the part of 匹配度 it is shown in
PARTS: dict[str, str] = {
    "dense": "semantic",
    "char": "keyword",
    "word": "keyword",
    "agree": "semantic+keyword",  # split equally
    "indicator": "indicator",
    "field": "field",
    "dpass": "semantic",
    "dqq": "semantic",
    "bridge": "semantic",
}
Z_MIN, Z_MAX = -3.0, 6.0
_SAMPLE = 2048


def zscores(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``values`` standardised by the mean and spread of ``reference``, capped."""
    ref = np.asarray(reference, dtype=np.float64)
    vals = np.asarray(values, dtype=np.float64)
    if ref.size < 2:
        return np.zeros_like(vals)
    sd = float(ref.std())
    if sd <= 1e-9:
        return np.zeros_like(vals)
    return np.clip((vals - float(ref.mean())) / sd, Z_MIN, Z_MAX)


def reference_sample(rows: np.ndarray, size: int = _SAMPLE) -> np.ndarray:
    """Up to ``size`` of ``rows``, evenly spread (deterministic)."""
    if len(rows) <= size:
        return rows
    return rows[np.linspace(0, len(rows) - 1, size).astype(int)]


def agreement(dense: float, char: float) -> float:
    """The ``agree`` feature from the ``dense`` and ``char`` z-scores."""
    return max(dense, 0.0) * max(char, 0.0)
