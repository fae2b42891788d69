"""Fitting the shipped :class:`~matching.model.RankModel` on judged sets, leave-one-set-out.

The protocol (matching/RESULTS.md): with sets A and B, the model is fitted on A's pairs
and measured on B, then fitted on B and measured on A; each set's figure comes from a
model that never saw it.  Only the model's few weights are fitted; features, vocabulary
and pool are fixed beforehand.  The shipped model is then fitted on all sets together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from matching.calibration import expected_calibration_error, reliability
from matching.evaluation import EvalRun, Scores, evaluate
from matching.features import PARTS
from matching.model import RankModel, fit_listwise, fit_logistic

__all__ = ["LOSSES", "Fold", "fit_model", "leave_one_set_out", "rank_scores"]

# "pointwise": logistic regression on every pair (relevant or not);
# "listwise": each query's candidates ordered by graded gain, then calibrated (fit_listwise)
LOSSES = ("pointwise", "listwise")


def fit_model(
    runs: Sequence[EvalRun],
    features: Sequence[str],
    *,
    l2: float = 1.0,
    loss: str = "pointwise",
) -> RankModel:
    """A model fitted on every labelled pair of ``runs``."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}")
    rows = [r for run in runs for r in run.rows]
    X = np.array([[f.get(n, 0.0) for n in features] for _, f, _ in rows], dtype=np.float64)
    X = X.reshape(len(rows), len(features))
    if loss == "listwise":
        gains: list[float] = []
        groups: dict[tuple[int, str], list[int]] = {}
        for n, run in enumerate(runs):
            for (q, _, _), doc in zip(run.rows, run.doc_ids, strict=True):
                groups.setdefault((n, q), []).append(len(gains))
                gains.append(2.0 ** run.qrels[q].get(doc, 0) - 1.0)
        w, b = fit_listwise(X, np.array(gains), list(groups.values()), l2=l2)
    else:
        y = np.array([label for _, _, label in rows], dtype=np.float64)
        w, b = fit_logistic(X, y, l2=l2)
    return RankModel(
        weights={n: round(float(v), 4) for n, v in zip(features, w, strict=True)},
        intercept=round(b, 4),
        parts={n: PARTS.get(n, n) for n in features},
        fitted_at=datetime.now(UTC).isoformat(timespec="seconds"),
        n_labels=len(rows),
    )


def rank_scores(model: RankModel, run: EvalRun, k: int = 10) -> tuple[Scores, float]:
    """(nDCG/Recall/MRR, ECE of the top k) of ``run``'s pairs re-scored by ``model``."""
    by_query: dict[str, list[tuple[float, str]]] = {}
    for (q, feats, _), doc in zip(run.rows, run.doc_ids, strict=True):
        by_query.setdefault(q, []).append((model.score(feats)[0], doc))
    for pairs in by_query.values():
        pairs.sort(key=lambda p: (-p[0], p[1]))
    scores = evaluate(lambda q: [d for _, d in by_query.get(q, [])], run.qrels, k)
    top = [(s, int(run.qrels[q].get(d, 0) > 0)) for q, ps in by_query.items() for s, d in ps[:k]]
    bins = reliability([s for s, _ in top], [y for _, y in top])
    return scores, expected_calibration_error(bins)


@dataclass(frozen=True)
class Fold:
    """One held-out set: its figures under a model fitted on the other sets."""

    held: str
    scores: Scores
    ece_top: float
    model: RankModel


def leave_one_set_out(
    runs: Mapping[str, EvalRun],
    features: Sequence[str],
    *,
    l2: float = 1.0,
    k: int = 10,
    loss: str = "pointwise",
) -> list[Fold]:
    """Fit on all sets but one, measure on that one; for every set."""
    folds = []
    for held, run in runs.items():
        others = [r for name, r in runs.items() if name != held]
        model = fit_model(others, features, l2=l2, loss=loss)
        scores, ece = rank_scores(model, run, k)
        folds.append(Fold(held, scores, ece, model))
    return folds
