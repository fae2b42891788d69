"""Learning from brokers: labels from their decisions and 揭榜 awards, refit, the model in use.

A label is an engine candidate's stored features with the verdict on the pair:

- 1 when a broker approved it (approved and every later state: recommended, connected,
  negotiating, deal, and declined — the parties' commercial "no" comes after the broker
  judged the pair relevant) or when a 揭榜 application naming the capability was awarded;
- 0 when a broker rejected it;
- none while it still awaits review.

Pairs a broker added by hand have no engine features and give no label; an award for such
a pair is counted in the report as ``awards_without_features``. Labels are grouped by need
(one need's candidates are ranked together), so `refit` holds out whole needs.

`learn` refits from the model in use and stores the result only when it is better on the
held-out labels (`matching.model.refit` decides); the engine ranks with the newest stored
model, or the shipped default when none is stored.
"""

import json
from typing import Any

from sqlalchemy.orm import Session

from matching.model import RankModel, default_model, refit
from service.engine import repository
from service.kit.db import utcnow
from service.models import RankModelRecord
from service.models.enums import MatchStatus

APPROVED = frozenset(
    {
        MatchStatus.approved,
        MatchStatus.recommended,
        MatchStatus.connected,
        MatchStatus.negotiating,
        MatchStatus.deal,
        MatchStatus.declined,
    }
)

Label = tuple[int, dict[str, float], int]  # (need id, features, 0/1)


def labels(session: Session) -> tuple[list[Label], dict[str, int]]:
    """Every label the database holds now, and how many came from each source."""
    awarded = repository.awarded_pairs(session)
    counts = {"approved": 0, "rejected": 0, "awarded": 0, "awards_without_features": 0}
    out: list[Label] = []
    seen: set[tuple[int, int]] = set()
    for need_id, cap_id, status, features in repository.scored_engine_matches(session):
        seen.add((need_id, cap_id))
        if (need_id, cap_id) in awarded:
            counts["awarded"] += 1
            label = 1
        elif status in APPROVED:
            counts["approved"] += 1
            label = 1
        elif status == MatchStatus.rejected:
            counts["rejected"] += 1
            label = 0
        else:
            continue
        out.append((need_id, {k: float(v) for k, v in features.items()}, label))
    counts["awards_without_features"] = len(awarded - seen)
    return out, counts


def model_of(record: RankModelRecord | None) -> RankModel:
    """The stored model (the shipped default when nothing is stored)."""
    if record is None:
        return default_model()
    return RankModel.from_json(json.dumps(record.model))


def in_use(session: Session) -> tuple[RankModel, RankModelRecord | None]:
    """The model the engine ranks with now, and its row (None: the shipped default)."""
    record = repository.newest_model(session)
    return model_of(record), record


def learn(
    session: Session, *, holdout: float = 0.25, seed: int = 0
) -> tuple[RankModelRecord | None, dict[str, Any]]:
    """Refit on every label; store the new model only if it beats the one in use.

    Returns the stored row (None when the model in use was kept) and the report.
    """
    rows, counts = labels(session)
    current, _ = in_use(session)
    model, report = refit(rows, current, holdout=holdout, seed=seed)
    report = {**report, **counts, "labels": len(rows)}
    if model is current:
        return None, report
    record = RankModelRecord(
        fitted_at=utcnow(),
        n_labels=model.n_labels,
        heldout_score=model.heldout.get("log_loss"),
        source=model.source,
        model=json.loads(model.to_json()),
        report=report,
    )
    session.add(record)
    session.flush()
    return record, report
