"""Recommendations both ways and free-text search, over published postings only.

Candidates are always filtered on the database's current rows (status, visibility, the
list endpoints' filters, never the poster's own organisation); the index only ranks them.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from matching.ranking import Match
from service.engine import repository
from service.engine.documents import Kind, Posting, doc_hash, kind_of, to_doc
from service.engine.runtime import get_store
from service.engine.store import IndexStore
from service.engine.vectors import as_array, stored_vector
from service.models import Capability, Need
from service.models.enums import CapabilityStatus, NeedStatus

SEARCH_LIMIT = 400  # ranked results a search can page through (the candidate pool)


@dataclass(frozen=True)
class Recommendation:
    """One ranked posting with its explanation (what `Match` rows and the API show)."""

    posting_id: int
    score: float
    parts: dict[str, float]
    reasons: tuple[str, ...]
    explanation: dict[str, Any]


def explain(match: Match) -> dict[str, Any]:
    """JSON-ready explanation: shared terms, indicator verdicts, raw similarities."""
    checks = [
        {
            "name": m.requirement.name,
            "requirement": m.requirement.display(),
            "claim": m.claim.display() if m.claim is not None else None,
            "status": m.status,
            "text": m.explain(),
        }
        for m in match.indicators.matches
    ]
    return {
        "shared_terms": list(match.shared_terms),
        "indicators_met": [c for c in checks if c["status"] == "met"],
        "indicators_missed": [c for c in checks if c["status"] == "missed"],
        "indicators_unknown": [c for c in checks if c["status"] == "unknown"],
        "cosine": round(match.cosine, 4),
        "bm25": round(match.bm25, 4),
        "same_field": match.same_field,
    }


def _recommendation(match: Match) -> Recommendation:
    return Recommendation(
        posting_id=int(match.id),
        score=round(match.score, 4),
        parts={k: round(v, 4) for k, v in match.parts.items()},
        reasons=tuple(match.reasons),
        explanation=explain(match),
    )


def _query_vector(session: Session, store: IndexStore, posting: Posting) -> np.ndarray | None:
    """The posting's stored vector if it matches its current text (else the matcher encodes)."""
    kind = kind_of(posting)
    row = stored_vector(session, kind, posting.id, store.model_id)
    if row is not None and row.text_hash == doc_hash(to_doc(posting)) and row.dim == store.dim:
        return as_array(row)
    return None


def recommend_capabilities(
    session: Session, need: Need, *, limit: int = 20, store: IndexStore | None = None
) -> list[Recommendation]:
    """Published capabilities for `need`, best first, never of the need's own organisation."""
    store = store or get_store()
    store.ensure_current(session)
    allowed = repository.ids_where(
        session,
        "capability",
        Capability.status == CapabilityStatus.published,
        Capability.org_id != need.org_id,
    )
    matches = store.rank(
        "capability",
        to_doc(need),
        allowed=allowed,
        k=limit,
        query_vector=_query_vector(session, store, need),
    )
    return [_recommendation(m) for m in matches]


def recommend_needs(
    session: Session,
    capability: Capability,
    *,
    limit: int = 20,
    readable: ColumnElement[bool] | None = None,
    store: IndexStore | None = None,
) -> list[Recommendation]:
    """Published needs for `capability` (restricted by `readable`, the caller's visibility)."""
    store = store or get_store()
    store.ensure_current(session)
    conditions = [Need.status == NeedStatus.published, Need.org_id != capability.org_id]
    if readable is not None:
        conditions.append(readable)
    allowed = repository.ids_where(session, "need", *conditions)
    matches = store.rank(
        "need",
        to_doc(capability),
        allowed=allowed,
        k=limit,
        query_vector=_query_vector(session, store, capability),
    )
    return [_recommendation(m) for m in matches]


def search(
    session: Session,
    kind: Kind,
    q: str,
    conditions: list[ColumnElement[bool]],
    *,
    offset: int,
    limit: int,
    store: IndexStore | None = None,
) -> tuple[list[Recommendation], int]:
    """One page of the published postings of `kind` that satisfy `conditions`, ranked for `q`."""
    store = store or get_store()
    store.ensure_current(session)
    status = (
        Need.status == NeedStatus.published
        if kind == "need"
        else Capability.status == CapabilityStatus.published
    )
    allowed = repository.ids_where(session, kind, status, *conditions)
    matches = store.rank(kind, q, allowed=allowed, k=SEARCH_LIMIT)
    return [_recommendation(m) for m in matches[offset : offset + limit]], len(matches)
