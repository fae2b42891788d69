"""The calibrated score: range, parts, calibration, JSON, and refitting with its guard."""

import math
import random

import numpy as np
import pytest

from matching.calibration import expected_calibration_error, reliability
from matching.model import RankModel, default_model, fit_listwise, fit_logistic, refit

PARTS = {"dense": "semantic", "char": "keyword", "indicator": "indicator", "field": "field"}
TRUE = RankModel(
    {"dense": 1.2, "char": 0.8, "indicator": 1.5, "field": 0.6}, -5.0, PARTS, "2026-01-01", 0
)


def labelled(model: RankModel, groups: int, seed: int) -> list[tuple[str, dict[str, float], int]]:
    """Pairs whose labels are drawn from ``model``'s own chances (so it is calibrated)."""
    rng = random.Random(seed)
    rows = []
    for g in range(groups):
        for _ in range(40):
            rel = rng.random() < 0.08
            f = {
                "dense": rng.gauss(2.5 if rel else 0.0, 1.0),
                "char": rng.gauss(3.0 if rel else 0.0, 1.5),
                "indicator": rng.choice([0.0, 0.0, 1.0, -1.0]),
                "field": float(rng.random() < 0.3),
            }
            p = model.score(f)[0] / 100
            rows.append((f"q{g}", f, int(rng.random() < p)))
    return rows


def test_score_is_a_chance_in_0_100_and_its_parts_add_up() -> None:
    model = default_model()
    for f in (
        {"dense": 6.0, "char": 6.0, "indicator": 1.0, "field": 1.0},
        {"dense": -3.0, "char": -3.0, "indicator": -1.0, "field": 0.0},
        {},
        {"dense": 1.0},
    ):
        score, parts = model.score(f)
        assert 0.0 <= score <= 100.0
        assert sum(parts.values()) == pytest.approx(score, abs=1e-9)
        assert set(parts) == {"base", "semantic", "keyword", "indicator", "field"}
    used = model.for_features({})
    assert model.score({})[1]["base"] == pytest.approx(100 / (1 + math.exp(-used.intercept)))
    high = model.score({"dense": 6.0, "char": 6.0, "indicator": 1.0, "field": 1.0})[0]
    assert high > 90.0
    assert model.score({"dense": 1.0, "indicator": -1.0})[1]["indicator"] < 0


def _formula(model: RankModel, features: dict[str, float]) -> tuple[float, dict[str, float]]:
    """The score and parts written out term by term, in the module docstring's order."""
    terms = {f: w * float(features.get(f, 0.0)) for f, w in model.weights.items()}
    z0 = model.intercept
    z = z0 + sum(terms.values())
    sig = lambda x: 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))  # noqa: E731
    base, total = 100.0 * sig(z0), 100.0 * sig(z)
    slope = (total - base) / (z - z0) if abs(z - z0) > 1e-9 else 100.0 * sig(z0) * (1 - sig(z0))
    parts = {"base": base}
    for f in model.weights:
        for name in model.parts.get(f, f).split("+"):
            parts.setdefault(name, 0.0)
    for f, t in terms.items():
        names = model.parts.get(f, f).split("+")
        for name in names:
            parts[name] += slope * t / len(names)
    parts["base"] += total - sum(parts.values())
    return total, parts


def test_score_is_the_formula_to_the_last_bit_and_follows_a_changed_model() -> None:
    """Scoring works out a model's terms once (every candidate of a ranking is scored with
    them): the floats are the formula's, in order, and a model changed afterwards scores
    by its new weights."""
    model = default_model()
    rng = random.Random(3)
    for _ in range(2000):
        f = {n: rng.choice([0.0, 1e-12, rng.uniform(-3, 6)]) for n in model.weights}
        assert model.score(f)[0] == _formula(model, f)[0]
        assert list(model.score(f)[1].items()) == list(_formula(model, f)[1].items())
    changed = RankModel(dict(TRUE.weights), TRUE.intercept, dict(PARTS), "2026-01-01", 0)
    f = {"dense": 1.0, "char": 2.0, "indicator": 1.0, "field": 1.0}
    before = changed.score(f)
    changed.weights["dense"] = 3.0
    changed.intercept = -4.0
    assert changed.score(f) == _formula(changed, f) != before


def test_scores_are_calibrated_on_a_fixture() -> None:
    rows = labelled(TRUE, 200, seed=1)
    scores = [TRUE.score(f)[0] for _, f, _ in rows]
    ece = expected_calibration_error(reliability(scores, [y for _, _, y in rows]))
    assert ece < 0.02
    shifted = RankModel(dict(TRUE.weights), TRUE.intercept + 2.0, PARTS, "x", 0)
    worse = [shifted.score(f)[0] for _, f, _ in rows]
    assert expected_calibration_error(reliability(worse, [y for _, _, y in rows])) > 2 * ece


def test_a_pair_without_a_feature_is_scored_by_the_fallback() -> None:
    both = {**TRUE.weights, "dpass": -1.0}
    parts = {**PARTS, "dpass": "semantic"}
    model = RankModel(both, -6.0, parts, "2026-01-01", 0, fallback=TRUE)
    one_view = {"dense": 2.0, "char": 1.0, "indicator": 0.0, "field": 1.0}
    assert model.for_features(one_view) is TRUE
    assert model.score(one_view) == TRUE.score(one_view)
    assert model.logit(one_view) == TRUE.logit(one_view)
    two_views = {**one_view, "dpass": 1.5}
    assert model.for_features(two_views) is model
    assert model.score(two_views)[0] == pytest.approx(
        100 / (1 + math.exp(-(-6.0 + 1.2 * 2 + 0.8 + 0.6 - 1.5)))
    )
    # no fallback: a missing feature counts as 0, as before
    assert RankModel(both, -6.0, parts, "x", 0).score(one_view)[0] != TRUE.score(one_view)[0]
    again = RankModel.from_json(model.to_json())
    assert again == model and again.fallback == TRUE


def test_refit_keeps_the_fallback_and_fits_on_the_pairs_with_every_feature() -> None:
    base = RankModel({k: 0.1 for k in TRUE.weights}, -1.0, PARTS, "x", 0, fallback=TRUE)
    rows = labelled(TRUE, 120, seed=2)
    partial = [(g, {k: v for k, v in f.items() if k != "dense"}, y) for g, f, y in rows[:400]]
    new, report = refit(partial + rows, base, holdout=0.25, seed=0)
    assert report["n"] == len(rows)  # the pairs without `dense` are left out
    assert report["accepted"] and new.fallback is TRUE


def test_json_round_trip() -> None:
    model = default_model()
    again = RankModel.from_json(model.to_json())
    assert again == model
    assert model.source == "shipped" and model.n_labels > 0 and model.fitted_at


def test_refit_accepts_a_better_model() -> None:
    rows = labelled(TRUE, 120, seed=2)
    bad = RankModel({k: 0.1 for k in TRUE.weights}, -1.0, PARTS, "2026-01-01", 0)
    new, report = refit(rows, bad, holdout=0.25, seed=0)
    assert report["accepted"] and new is not bad
    assert new.source == "learned" and new.n_labels == len(rows)
    assert report["after"] < report["before"]
    assert new.heldout["log_loss"] == report["after"]
    assert report["n_train"] + report["n_heldout"] == len(rows)
    assert new.weights["dense"] > 0.5  # moved towards the generating weights


def test_refit_keeps_the_base_unless_better() -> None:
    rows = labelled(TRUE, 15, seed=3)
    kept, report = refit(rows, TRUE, holdout=0.3, seed=0, l2=1e-6)
    assert not report["accepted"] and kept is TRUE
    assert report["after"] >= report["before"]


def test_refit_refuses_too_few_or_one_sided_labels() -> None:
    rows = [("q", {"dense": 1.0}, 1)] * 50
    kept, report = refit(rows, TRUE)
    assert kept is TRUE and not report["accepted"] and report["reason"]
    kept, report = refit(labelled(TRUE, 1, seed=4)[:5], TRUE)
    assert kept is TRUE and not report["accepted"]


def test_probabilities_match_score() -> None:
    X = np.array([[1.0, 2.0, 0.0, 1.0]])
    f = dict(zip(TRUE.features, X[0], strict=True))
    assert TRUE.probabilities(X)[0] * 100 == pytest.approx(TRUE.score(f)[0])


def graded_groups(seed: int) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
    """Queries of 30 candidates: ``topic`` tells relevant (grade ≥ 1) from not; among the
    relevant only ``fit`` tells a solving candidate (grade 2) from a partial one (grade 1)."""
    rng = np.random.default_rng(seed)
    rows, grades, groups = [], [], []
    for _ in range(60):
        group = []
        for n in range(30):
            grade = 2 if n == 0 else 1 if n < 3 else 0
            topic = rng.normal(3.0 if grade else 0.0)
            fit = rng.normal(1.5 if grade == 2 else -1.5 if grade == 1 else 0.0)
            group.append(len(rows))
            rows.append([topic, fit])
            grades.append(grade)
        groups.append(group)
    return np.array(rows), np.array(grades), groups


def test_listwise_fit_ranks_by_grade_where_a_pointwise_fit_cannot() -> None:
    X, grades, groups = graded_groups(0)
    w, b = fit_listwise(X, 2.0**grades - 1.0, groups)
    wp, _ = fit_logistic(X, (grades > 0).astype(float))
    assert w[0] > 0 and w[1] > 0.5  # the grade-only feature counts
    assert abs(wp[1]) < 0.5  # a relevant/not fit cannot see it

    def solving_first(weights: np.ndarray) -> float:
        s = X @ weights
        return float(np.mean([grades[g][np.argmax(s[g])] == 2 for g in groups]))

    assert solving_first(w) > solving_first(wp) + 0.2


def test_listwise_fit_is_calibrated_on_its_data() -> None:
    X, grades, groups = graded_groups(1)
    w, b = fit_listwise(X, 2.0**grades - 1.0, groups)
    p = 1.0 / (1.0 + np.exp(-(X @ w + b)))
    assert float(p.mean()) == pytest.approx(float((grades > 0).mean()), abs=1e-3)
