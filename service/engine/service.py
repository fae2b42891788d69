"""Recommendations both ways and free-text search, over published postings only.

Candidates are always filtered on the database's current rows (status, visibility, the
list endpoints' filters, never the poster's own organisation); the index only ranks them.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, cast

import numpy as np
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from matching.documents import Doc
from matching.keywords import KeywordIndex
from matching.model import BAND_THRESHOLDS
from matching.ranking import SECOND_VIEW_QUERIES, Match
from service.engine import repository
from service.engine.documents import Kind, Posting, doc_hash, kind_of, to_doc
from service.engine.store import IndexStore, get_store
from service.engine.vectors import as_array, second_of, stored_vector
from service.models import Capability, Need
from service.models.enums import CapabilityStatus, NeedStatus

SEARCH_LIMIT = 400  # ranked results a search looks at (the candidate pool)
# A search returns what reaches the 中 band (a calibrated chance of at least 20 %), then at
# most LOW_TAIL results below it marked 以下相关度较低, never the whole library.
RELEVANT_FROM = BAND_THRESHOLDS["medium"]
LOW_TAIL = 5
POOL = 1000  # above the matcher's pool (200 dense + 200 keyword): everything it ranked


@dataclass(frozen=True)
class Recommendation:
    """One ranked posting with its explanation (what `Match` rows and the API show)."""

    posting_id: int
    score: float  # 匹配度 0–100 (a calibrated chance ×100)
    parts: dict[str, float]  # add up to `score`
    reasons: tuple[str, ...]
    explanation: dict[str, Any]
    features: dict[str, float]  # what the model scored (kept on candidates as labels)
    low_relevance: bool = False  # below the search threshold (以下相关度较低)


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


def recommendation(match: Match) -> Recommendation:
    """What the API and stored candidates keep of one ranked match."""
    return Recommendation(
        posting_id=int(match.id),
        score=round(match.score, 4),
        parts={k: round(v, 4) for k, v in match.parts.items()},
        reasons=tuple(match.reasons),
        explanation=explain(match),
        features={k: round(float(v), 6) for k, v in match.features.items()},
    )


def _query_vectors(
    session: Session, store: IndexStore, posting: Posting
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The posting's stored vector and second view if they match its current text (else the
    matcher encodes both); a need's second view only (a capability query uses one view,
    `matching.ranking.SECOND_VIEW_QUERIES`), None when its row has none yet."""
    kind = kind_of(posting)
    two = kind in SECOND_VIEW_QUERIES
    row = stored_vector(session, kind, posting.id, store.model_id, second=two)
    if row is None or row.text_hash != doc_hash(to_doc(posting)) or row.dim != store.dim:
        return None, None
    return as_array(row), second_of(row) if two else None


def _rank(
    session: Session,
    store: IndexStore,
    corpus: Kind,
    query: Doc | str,
    conditions: list[ColumnElement[bool]],
    *,
    k: int,
    query_vector: np.ndarray | None = None,
    query_vector2: np.ndarray | None = None,
    selective: bool = False,
    explain: int | None = None,
    keywords: KeywordIndex | None = None,
) -> list[Match]:
    """Rank `corpus` for `query` among the postings that satisfy `conditions` in the DB now.

    Unselective conditions (published, not own org, visibility) are checked on the ranked
    pool only — one query over a few hundred ids instead of reading every allowed id; when
    that leaves fewer than `k` and the pool did not cover the corpus, the allowed ids are
    read first, so the result is exact and complete either way. `selective` (search: every
    result counts, not only the first `k` of the pool) ranks under a screen verified
    afterwards (`_screened`), and reads the allowed ids only when the conditions refuse
    too many of the candidates for that.
    """
    model = repository.MODELS[corpus]
    if selective and query_vector is None:  # encoded once, for every ranking below
        query_vector = store.query_vector(corpus, query)
    ranking = partial(
        store.rank,
        corpus,
        query,
        query_vector=query_vector,
        query_vector2=query_vector2,
        session=session,
        keywords=keywords,
    )
    if selective:
        screened = _screened(session, corpus, conditions, partial(ranking, k=k, explain=explain))
        if screened is not None:
            return screened
    else:
        pool = ranking(allowed=None, k=POOL, explain=0)
        if pool:
            ok = repository.ids_where(
                session, corpus, model.id.in_([int(m.id) for m in pool]), *conditions
            )
            kept = [m for m in pool if m.id in ok]
            if len(kept) >= k or len(pool) >= store.count(corpus):
                shown = kept[:k] if explain is None else kept[:explain]
                return store.explain(corpus, query, shown, session) + kept[len(shown) : k]
        elif store.count(corpus) == 0:
            return []
    allowed = repository.ids_where(session, corpus, *conditions)
    return ranking(allowed=allowed, k=k, explain=explain)


class _Screen:
    """A ranking's screen: admits any id but the `refused` ones, and notes each it admits."""

    def __init__(self, refused: set[int]) -> None:
        self.refused = refused
        self.admitted: set[int] = set()

    def __call__(self, doc_id: object) -> bool:
        if doc_id in self.refused:
            return False
        self.admitted.add(cast(int, doc_id))
        return True


SCREEN_ROUNDS = 3  # rankings under a screen before the allowed ids are read instead
SCREEN_REFUSED = 0.25  # ... or as soon as the conditions refuse this share of a round's ids


def _screened(
    session: Session,
    corpus: Kind,
    conditions: list[ColumnElement[bool]],
    ranking: Callable[..., list[Match]],
) -> list[Match] | None:
    """The ranking under `conditions`, exactly, without reading every allowed id (100k ids
    per search at 100k postings, 1M at 1M): rank (`ranking(allowed=, screen=)`) with a
    screen that admits any id but those already refused and notes each id it admits, then
    check the admitted ones (a few hundred) against `conditions` in one read. When all
    pass, the retrievers kept the very ids the allowed set would have kept
    (`Matcher.retrieve`), so the ranking is the exact one; otherwise rank again refusing
    them. None: the conditions refused too much (a selective filter), so the caller reads
    the allowed ids."""
    refused: set[int] = set()
    allowed: set[int] = set()
    for _ in range(SCREEN_ROUNDS):
        screen = _Screen(refused)
        ranked = ranking(allowed=None, screen=screen)
        unknown = screen.admitted - allowed
        passed = repository.allowed_among(session, corpus, unknown, conditions)
        allowed |= passed
        bad = unknown - passed
        if not bad:
            return ranked
        refused |= bad
        if len(bad) > SCREEN_REFUSED * len(screen.admitted):
            return None
    return None


def capabilities_for(need: Need) -> list[ColumnElement[bool]]:
    """Which capabilities may be recommended for `need`: published, never of its own
    organisation (checked when ranking and again on the stored rows when serving)."""
    return [Capability.status == CapabilityStatus.published, Capability.org_id != need.org_id]


def needs_for(capability: Capability) -> list[ColumnElement[bool]]:
    """Which needs may be recommended for `capability` (before the caller's visibility)."""
    return [Need.status == NeedStatus.published, Need.org_id != capability.org_id]


def recommend_capabilities(
    session: Session, need: Need, *, limit: int = 20, store: IndexStore | None = None
) -> list[Recommendation]:
    """Published capabilities for `need`, best first, never of the need's own organisation."""
    store = store or get_store()
    store.ensure_current(session)
    conditions = capabilities_for(need)
    qvec, qvec2 = _query_vectors(session, store, need)
    matches = _rank(
        session,
        store,
        "capability",
        to_doc(need),
        conditions,
        k=limit,
        query_vector=qvec,
        query_vector2=qvec2,
    )
    return [recommendation(m) for m in matches]


def rank_draft(
    session: Session,
    store: IndexStore,
    draft: Doc,
    conditions: list[ColumnElement[bool]],
    *,
    k: int,
) -> list[Match]:
    """Capabilities for a need not saved yet (the 明确度 preview): ranked, not explained."""
    return _rank(session, store, "capability", draft, conditions, k=k, explain=0)


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
    conditions = needs_for(capability)
    if readable is not None:
        conditions.append(readable)
    qvec, _ = _query_vectors(session, store, capability)
    matches = _rank(
        session, store, "need", to_doc(capability), conditions, k=limit, query_vector=qvec
    )
    return [recommendation(m) for m in matches]


def rank_pair(
    session: Session, subject: Posting, posting_id: int, *, store: IndexStore
) -> Recommendation | None:
    """One pair as the subject's own ranking (`recommend_capabilities`, `recommend_needs`
    without a caller's visibility) scores and explains it: the same features, rank model and
    references, as a pair scores the same whatever else is in the pool (`Matcher.retrieve`).
    None when the posting may not be recommended for the subject, or no retriever finds it."""
    store.ensure_current(session)
    corpus: Kind = "capability" if isinstance(subject, Need) else "need"
    conditions = capabilities_for(subject) if isinstance(subject, Need) else needs_for(subject)
    if not repository.allowed_among(session, corpus, [posting_id], conditions):
        return None
    qvec, qvec2 = _query_vectors(session, store, subject)
    matches = store.rank(
        corpus,
        to_doc(subject),
        allowed=[posting_id],
        k=1,
        query_vector=qvec,
        query_vector2=qvec2 if isinstance(subject, Need) else None,  # as `recommend_needs`
        session=session,
    )
    return recommendation(matches[0]) if matches else None


def search(
    session: Session,
    kind: Kind,
    q: str,
    conditions: list[ColumnElement[bool]],
    *,
    offset: int,
    limit: int,
    store: IndexStore | None = None,
) -> tuple[list[Recommendation], int, int]:
    """One page of the published postings of `kind` that satisfy `conditions`, ranked for `q`.

    Returns (page, total, relevant): the results at or above :data:`RELEVANT_FROM`, then up
    to :data:`LOW_TAIL` below it marked `low_relevance`; `total` counts both, `relevant`
    the first.
    """
    store = store or get_store()
    store.ensure_current(session)
    status = (
        Need.status == NeedStatus.published
        if kind == "need"
        else Capability.status == CapabilityStatus.published
    )
    # Every result is scored (the totals count them); only the returned page is explained,
    # from what the ranking read (its keyword rows and its words' df).
    source = store.keywords_for(kind, session)
    matches = _rank(
        session,
        store,
        kind,
        q,
        [status, *conditions],
        k=SEARCH_LIMIT,
        selective=True,
        explain=0,
        keywords=source,
    )
    relevant = sum(1 for m in matches if m.score >= RELEVANT_FROM)  # sorted: a prefix
    kept = matches[: relevant + LOW_TAIL]
    shown = store.explain(kind, q, kept[offset : offset + limit], session, keywords=source)
    page = [
        replace(recommendation(m), low_relevance=n >= relevant)
        for n, m in enumerate(shown, start=offset)
    ]
    return page, len(kept), relevant
