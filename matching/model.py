"""The calibrated 匹配度: a logistic model over a pair's features, its parts and its bands.

``RankModel.score(features)`` returns ``100 · P(relevant | features)`` and the parts that
add up to it.  The model is linear in the features (see :mod:`matching.features`)::

    z = intercept + Σ_f weight_f · feature_f          score = 100 · σ(z)

Parts: ``base`` is the score of a pair with every feature at 0 (no evidence either way,
``100 · σ(intercept)``); the rest, ``score − base``, is shared among the features in
proportion to their terms ``weight_f · feature_f`` (the exact integrated-gradients
attribution of a one-index model), then summed per part (``semantic``, ``keyword``,
``indicator``, ``field``).  A part is negative when its evidence lowers the chance (an
indicator missed, a text less alike than the corpus average).

A model may carry a ``fallback``: the model a pair is scored with when it lacks one of the
model's features (a posting whose second dense view is not stored yet, free text, which has
one view). Both are calibrated, so their scores mean the same and rank together.

``refit`` learns a new model from labelled pairs (broker decisions) and keeps the base
model unless the new one is better on a held-out part of the labels.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

__all__ = [
    "BAND_LABELS",
    "BAND_THRESHOLDS",
    "Band",
    "RankModel",
    "band",
    "default_model",
    "fit_listwise",
    "fit_logistic",
    "refit",
]

MODEL_PATH = Path(__file__).parent / "data" / "rank_model.json"

Band = Literal["high", "medium", "low"]
# 匹配度 ≥ 50: more likely relevant than not; ≥ 20: worth a look (about one in five is).
BAND_THRESHOLDS: dict[Band, float] = {"high": 50.0, "medium": 20.0, "low": 0.0}
BAND_LABELS: dict[Band, str] = {"high": "高", "medium": "中", "low": "低"}


def band(score: float) -> Band:
    """高 / 中 / 低 by :data:`BAND_THRESHOLDS` (the score is a calibrated chance ×100)."""
    if score >= BAND_THRESHOLDS["high"]:
        return "high"
    if score >= BAND_THRESHOLDS["medium"]:
        return "medium"
    return "low"


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


class _Layout:
    """A model's terms as :meth:`RankModel.score` walks them: (feature, weight, the part names
    it counts in), the parts in the order they are listed, ``base`` and σ'(z0)'s slope."""

    def __init__(self, model: RankModel) -> None:
        self.weights, self.parts = dict(model.weights), dict(model.parts)
        self.intercept = model.intercept
        self.terms = [(f, w, model.parts.get(f, f).split("+")) for f, w in model.weights.items()]
        names: dict[str, None] = {"base": None}
        for _, _, split in self.terms:
            names.update(dict.fromkeys(split))
        self.names = tuple(names)
        z0 = model.intercept
        self.base = 100.0 * _sigmoid(z0)
        self.slope = 100.0 * _sigmoid(z0) * (1.0 - _sigmoid(z0))

    def fits(self, model: RankModel) -> bool:
        """Still the model's (its weights, parts and intercept unchanged)."""
        return (
            self.intercept == model.intercept
            and self.weights == model.weights
            and self.parts == model.parts
        )


@dataclass
class RankModel:
    """Logistic relevance model; ``parts`` maps each feature to the part it counts in
    (``"a+b"``: shared equally by parts a and b)."""

    weights: dict[str, float]
    intercept: float
    parts: dict[str, str]
    fitted_at: str
    n_labels: int
    heldout: dict[str, float] = field(default_factory=dict)
    source: str = "shipped"  # "shipped" (fitted on the judged sets) or "learned" (refit)
    note: str = ""
    fallback: RankModel | None = None  # scores a pair that lacks one of ``weights``' features

    @property
    def features(self) -> list[str]:
        """Feature names in a fixed order."""
        return list(self.weights)

    def for_features(self, features: Mapping[str, float]) -> RankModel:
        """The model that scores ``features``: this one, or its fallback when one of this
        model's features is missing (and the fallback has one)."""
        model: RankModel = self
        while model.fallback is not None and not features.keys() >= model.weights.keys():
            model = model.fallback
        return model

    def logit(self, features: Mapping[str, float]) -> float:
        """``z``; a feature the caller does not have counts as 0 (no evidence)."""
        if self.fallback is not None:
            model = self.for_features(features)
            if model is not self:
                return model.logit(features)
        return self.intercept + sum(
            w * float(features.get(f, 0.0)) for f, w in self.weights.items()
        )

    def score(self, features: Mapping[str, float]) -> tuple[float, dict[str, float]]:
        """匹配度 in 0–100 and its parts (``base`` plus one per part name), adding up to it."""
        if self.fallback is not None:
            model = self.for_features(features)
            if model is not self:
                return model.score(features)
        layout = self._layout()
        terms = [w * float(features.get(f, 0.0)) for f, w, _ in layout.terms]
        z0 = self.intercept
        z = z0 + sum(terms)
        base = layout.base
        total = 100.0 * _sigmoid(z)
        if abs(z - z0) > 1e-9:
            slope = (total - base) / (z - z0)
        else:  # the limit: σ'(z0)
            slope = layout.slope
        parts: dict[str, float] = dict.fromkeys(layout.names, 0.0)
        parts["base"] = base
        for (_, _, names), t in zip(layout.terms, terms, strict=True):
            for name in names:  # "a+b": shared equally
                parts[name] += slope * t / len(names)
        # make the sum exact in floating point: the rounding residue goes to base
        parts["base"] += total - sum(parts.values())
        return total, parts

    def _layout(self) -> _Layout:
        """What :meth:`score` needs of the model, worked out once per model (each candidate of
        a ranking is scored with it; the arithmetic per pair is the same, in the same order)."""
        layout: _Layout | None = self.__dict__.get("_scoring")
        if layout is None or not layout.fits(self):
            layout = self.__dict__["_scoring"] = _Layout(self)
        return layout

    def digest(self) -> str:
        """A short hash of what scores (weights, intercept, parts, fallback, ...): two models
        that score alike share it, however their file is laid out."""
        text = json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def to_json(self) -> str:
        """JSON text (what ``matching/data/rank_model.json`` holds)."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> RankModel:
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RankModel:
        """A model from its JSON object (its fallback nested under ``fallback``)."""
        nested = data.get("fallback")
        return cls(
            weights={str(k): float(v) for k, v in data["weights"].items()},
            intercept=float(data["intercept"]),
            parts={str(k): str(v) for k, v in data["parts"].items()},
            fitted_at=str(data["fitted_at"]),
            n_labels=int(data["n_labels"]),
            heldout={str(k): float(v) for k, v in (data.get("heldout") or {}).items()},
            source=str(data.get("source") or "shipped"),
            note=str(data.get("note") or ""),
            fallback=cls.from_dict(nested) if nested else None,
        )

    def probabilities(self, X: np.ndarray) -> np.ndarray:
        """P(relevant) for rows of ``X`` (columns in :attr:`features` order)."""
        w = np.array(list(self.weights.values()), dtype=np.float64)
        return 1.0 / (1.0 + np.exp(-(X @ w + self.intercept)))


@lru_cache(maxsize=1)
def default_model() -> RankModel:
    """The shipped model (fitted on the judged sets, see matching/RESULTS.md)."""
    return RankModel.from_json(MODEL_PATH.read_text(encoding="utf-8"))


# --- fitting -------------------------------------------------------------------------
def fit_logistic(
    X: np.ndarray,
    y: np.ndarray,
    *,
    l2: float = 1.0,
    prior: np.ndarray | None = None,
    prior_intercept: float = 0.0,
    sample_weight: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression (L-BFGS); the penalty pulls towards ``prior``.

    With few labels the fit stays near the prior (the shipped weights); with many the data
    win.  Returns (weights, intercept).
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, d = X.shape
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    w0 = np.zeros(d) if prior is None else np.asarray(prior, dtype=np.float64)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:d], theta[d]
        z = X @ w + b
        # log(1 + e^z) − y·z, stably
        nll = np.logaddexp(0.0, z) - y * z
        p = 1.0 / (1.0 + np.exp(-z))
        g = sw * (p - y)
        diff = w - w0
        value = float(sw @ nll) + 0.5 * l2 * float(diff @ diff)
        grad = np.concatenate([X.T @ g + l2 * diff, [g.sum()]])
        return value, grad

    from scipy.optimize import minimize  # fitting only: serving never imports scipy

    start = np.concatenate([w0, [prior_intercept]])
    res = minimize(loss, start, jac=True, method="L-BFGS-B")
    return res.x[:d], float(res.x[d])


def fit_listwise(
    X: np.ndarray,
    gains: np.ndarray,
    groups: Sequence[Sequence[int]],
    *,
    l2: float = 1.0,
) -> tuple[np.ndarray, float]:
    """Weights that rank each group's rows by ``gains`` (listwise softmax loss), calibrated.

    For every group (one query's candidates) the softmax of ``X @ w`` over its rows is fitted
    to the gains as a distribution (cross-entropy, ListNet top-one), plus ``l2 / 2 · |w|²``.
    Only the order within a query counts, so a feature is weighed by how it separates a
    query's relevant candidates from its close competitors, not from the bulk of unrelated
    postings, and graded gains (``2^grade − 1``) make a solving candidate outrank a partial
    one.  The score is then calibrated: ``P(gain > 0) = σ(a · X @ w + b)``, fitted by
    logistic regression on the one column; the result is ``(a · w, b)``, a model of the same
    form as :func:`fit_logistic`'s.
    """
    X = np.asarray(X, dtype=np.float64)
    t = np.asarray(gains, dtype=np.float64)
    d = X.shape[1]
    index = [np.asarray(g, dtype=np.int64) for g in groups if np.any(t[np.asarray(g)] > 0)]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        s = X @ w
        value = 0.5 * l2 * float(w @ w)
        grad = l2 * w
        for rows in index:
            si, ti = s[rows], t[rows]
            top = si.max()
            e = np.exp(si - top)
            log_z = top + math.log(float(e.sum()))
            value -= float(ti @ (si - log_z))
            grad = grad + X[rows].T @ (ti.sum() * e / e.sum() - ti)
        return value, grad

    from scipy.optimize import minimize  # fitting only: serving never imports scipy

    w = minimize(loss, np.zeros(d), jac=True, method="L-BFGS-B").x
    s = (X @ w).reshape(-1, 1)
    (a,), b = fit_logistic(s, (t > 0).astype(np.float64), l2=0.0)
    return a * w, b


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log-likelihood."""
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _matrix(
    rows: Sequence[tuple[Any, Mapping[str, float], int]], names: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    X = np.array([[float(f.get(n, 0.0)) for n in names] for _, f, _ in rows], dtype=np.float64)
    y = np.array([1.0 if label else 0.0 for _, _, label in rows])
    return X.reshape(len(rows), len(names)), y


def refit(
    rows: Sequence[tuple[Any, Mapping[str, float], int]],
    base: RankModel,
    *,
    holdout: float = 0.25,
    seed: int = 0,
    l2: float = 1.0,
    min_labels: int = 20,
) -> tuple[RankModel, dict[str, Any]]:
    """Fit a new model on ``rows`` = ``(group_id, features, label)``; keep ``base`` unless better.

    Groups (e.g. one need's candidates) are split whole into a training part and a
    held-out part (``holdout`` of the groups).  The new model is fitted on the training
    part, pulled towards ``base``'s weights, and both are compared on the held-out part by
    log loss (lower is better; it rewards ranking and calibration together).  The report
    gives the metric before/after, the counts and the decision.
    """
    names = base.features
    if base.fallback is not None:
        complete = [r for r in rows if all(n in r[1] for n in names)]
        if len(complete) < min_labels:  # the labels were scored by the fallback: refit that
            fallback, told = refit(
                rows, base.fallback, holdout=holdout, seed=seed, l2=l2, min_labels=min_labels
            )
            if fallback is base.fallback:
                return base, told
            learned = replace(fallback, weights=dict(base.weights), intercept=base.intercept)
            return replace(learned, parts=dict(base.parts), fallback=fallback), told
        rows = complete  # the model refits on the pairs that have its features
    report: dict[str, Any] = {"n": len(rows), "metric": "log_loss", "accepted": False}
    groups = sorted({str(g) for g, _, _ in rows})
    labels = {int(bool(lbl)) for _, _, lbl in rows}
    if len(rows) < min_labels or labels != {0, 1} or len(groups) < 2:
        report["reason"] = f"需要至少 {min_labels} 条标注，且同时有通过与拒绝"
        return base, report
    rng = random.Random(seed)
    rng.shuffle(groups)
    n_held = max(1, round(holdout * len(groups)))
    held = set(groups[:n_held])
    train = [r for r in rows if str(r[0]) not in held]
    test = [r for r in rows if str(r[0]) in held]
    Xtr, ytr = _matrix(train, names)
    Xte, yte = _matrix(test, names)
    report.update(n_train=len(train), n_heldout=len(test))
    if len(set(ytr.tolist())) < 2 or not len(test):
        report["reason"] = "训练部分只有一类标注"
        return base, report
    prior = np.array([base.weights[n] for n in names])
    w, b = fit_logistic(Xtr, ytr, l2=l2, prior=prior, prior_intercept=base.intercept)
    new = RankModel(
        weights={n: float(v) for n, v in zip(names, w, strict=True)},
        intercept=b,
        parts=dict(base.parts),
        fitted_at=datetime.now(UTC).isoformat(timespec="seconds"),
        n_labels=len(rows),
        source="learned",
        fallback=base.fallback,
    )
    before = log_loss(base.probabilities(Xte), yte)
    after = log_loss(new.probabilities(Xte), yte)
    report.update(before=before, after=after)
    new.heldout = {"log_loss": after, "base_log_loss": before, "n_heldout": float(len(test))}
    if after < before:
        report["accepted"] = True
        return new, report
    report["reason"] = "新模型在留出部分不优于当前模型"
    return base, report
