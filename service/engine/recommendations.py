"""Stored recommendations: each posting's ranked list, kept fresh by the engine worker and
read by the recommendation endpoints without ranking.

A list is ranked over "published, not the subject's own organisation" only (what every
caller of that subject shares); a request joins the stored rows to the postings' current rows
and applies the same conditions plus its caller's visibility, so a posting withdrawn or hidden
since is never shown. The list's head keeps the hash of the subject's text it was ranked for:
while that is not the posting's current text (an edit the worker has not caught up with, a
posting published before the worker ran), the request ranks live, as before, and the worker
(after the edit's commit, or its sweep's backfill) stores the list. The head also names the
rank model that scored it (`RecommendationList.rank_model`): a list of another model than
the one in use (`jiebang learn` stored one, a deploy shipped another, `jiebang reindex` filled
second views) still answers the request, which hands it to the worker to be stored again,
and the sweep's backfill stores the others: after a model change no request ranks (at a
million postings every list is stale at once).

Lists are stored only for postings that are viewed or change, not for every posting (at a
million postings that would be 50 million rows): a GET of a posting without a current list
ranks live and hands the posting to the worker, which stores the list after the commit; a
change stores the changed posting's list (and, with `refresh.KEEP_FANOUT`, those of the needs
its second round ranks for their broker candidates, as unseen: evicted first). At most
`engine_stored_lists` per side are kept: beyond it the worker drops the lists viewed longest
ago (`refresh.evict`), and their next GET ranks live again.

`STORED` rows per list: the endpoints' largest page (`limit` ≤ 50), so one stored list answers
every page size. Filters applied at read time can make a page shorter than `limit` when many
of the top 50 went away (withdrawn since, brokers-only for a researcher); the next refresh
fills the list again.
"""

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any, TypeGuard

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from service.engine import jobs, repository
from service.engine.documents import Kind, Posting, doc_hash, kind_of, to_doc
from service.engine.service import (
    Recommendation,
    capabilities_for,
    needs_for,
    recommend_capabilities,
    recommend_needs,
)
from service.engine.store import IndexStore
from service.kit.db import utcnow
from service.models import Need, RecommendationList, StoredRecommendation

STORED = 50  # rows per stored list: the endpoints' largest `limit`
VIEWED_EVERY = timedelta(hours=1)  # a list's `viewed_at` is noted at most this often
OTHER: dict[Kind, Kind] = {"need": "capability", "capability": "need"}


def rank(session: Session, subject: Posting, store: IndexStore) -> list[Recommendation]:
    """The subject's list as it is stored: the best `STORED` of the other side."""
    if isinstance(subject, Need):
        return recommend_capabilities(session, subject, limit=STORED, store=store)
    return recommend_needs(session, subject, limit=STORED, store=store)


def save(
    session: Session,
    subject: Posting,
    recs: Sequence[Recommendation],
    model_id: str,
    subject_hash: str | None = None,
    rank_model: str | None = None,
    *,
    viewed: bool = False,
    unseen: bool = False,
) -> None:
    """Replace the subject's stored list with `recs`, ranked for the text of `subject_hash`
    (default: its current text) and scored by the rank model named `rank_model`
    (`IndexStore.rank_model_key`); `viewed`: stored because it was read (its `viewed_at` is
    now); `unseen`: stored for the worker only, a new list counts as never read (evicted
    first)."""
    now = utcnow()
    head = {
        "subject_hash": subject_hash or doc_hash(to_doc(subject)),
        "model_id": model_id,
        "rank_model": rank_model,
        "size": len(recs),
        "computed_at": now,
    }
    rows = [
        {
            "posting_id": r.posting_id,
            "rank": n,
            "score": r.score,
            "parts": dict(r.parts),
            "features": dict(r.features),
            "reasons": list(r.reasons),
            "explanation": dict(r.explanation),
            "computed_at": now,
        }
        for n, r in enumerate(recs)
    ]
    repository.replace_list(
        session, kind_of(subject), subject.id, head, rows, viewed=viewed, unseen=unseen
    )


def refresh(session: Session, subject: Posting, store: IndexStore) -> list[Recommendation]:
    """Rank and store the subject's list in this session (tests, the candidates' Python API)."""
    recs = rank(session, subject, store)
    save(session, subject, recs, store.model_id, rank_model=store.rank_model_key)
    return recs


def is_current(session: Session, subject: Posting) -> bool:
    """Whether the subject has a stored list ranked for its current text by the rank model in
    use (the worker stores the others again)."""
    head, newest = repository.stored_list(session, kind_of(subject), subject.id)
    return _servable(head, doc_hash(to_doc(subject))) and head.rank_model == newest


def _servable(head: RecommendationList | None, subject_hash: str) -> TypeGuard[RecommendationList]:
    """A list ranked for the subject's current text (by whichever rank model)."""
    return head is not None and head.subject_hash == subject_hash


def read(
    session: Session,
    subject: Posting,
    limit: int,
    readable: ColumnElement[bool] | None = None,
) -> tuple[list[Recommendation], list[repository.Listed]] | None:
    """The subject's stored recommendations its caller may see, best first (at most `limit`),
    with their postings as their hits show them (plain columns: `repository.current_rows`);
    None when no list is stored for the subject's current text.

    A current list's visible rows are one statement (with the list's head); only when it
    finds none is the head read alone, to tell a list that is not current from one whose
    rows the caller may not see. The read writes nothing: it hands the posting to the worker
    after the commit (`jobs.viewed`), which stores its list when none is current (missing,
    or scored by another rank model than the one in use: served meanwhile), or notes the
    view when the last one noted is older than `VIEWED_EVERY` (so at most one write per list
    that often)."""
    kind = kind_of(subject)
    digest = doc_hash(to_doc(subject))
    conditions = capabilities_for(subject) if isinstance(subject, Need) else needs_for(subject)
    if readable is not None:
        conditions.append(readable)
    rows, viewed_at, scored_now = repository.current_rows(
        session, kind, subject.id, digest, conditions, limit
    )
    if not rows:
        head, newest = repository.stored_list(session, kind, subject.id)
        if not _servable(head, digest):
            jobs.viewed(session, kind, subject.id)
            return None
        viewed_at, scored_now = head.viewed_at, head.rank_model == newest
        if head.size:  # stored (current) between the two reads: its rows now
            rows, _, _ = repository.current_rows(
                session, kind, subject.id, digest, conditions, limit
            )
    stale_view = viewed_at is not None and viewed_at < utcnow() - VIEWED_EVERY
    if stale_view or not scored_now:  # another model's list: the worker stores it again
        jobs.viewed(session, kind, subject.id)
    return [_recommendation(r) for r, _ in rows], [p for _, p in rows]


def _recommendation(row: StoredRecommendation | repository.StoredRow) -> Recommendation:
    return Recommendation(
        posting_id=row.posting_id,
        score=row.score,
        parts=dict(row.parts),
        reasons=tuple(row.reasons),
        explanation=dict(row.explanation),
        features={},  # ranking inputs, not read for serving (`repository.current_rows`)
    )


def kept(row: StoredRecommendation) -> Recommendation:
    """A stored row as its ranking gave it, ranking inputs included (`repository.list_rows`)."""
    return replace(_recommendation(row), features=dict(row.features))


def moved(
    recs: Sequence[Recommendation], posting_id: int, rec: Recommendation | None
) -> list[Recommendation]:
    """`recs` (best first) with the posting's row replaced by `rec` where the ranking would
    put it (None: dropped), cut to `STORED`: the ranking's order, score first, then cosine,
    then BM25, then id (`Matcher.score`; the stored cosine and BM25 are rounded)."""
    out = [r for r in recs if r.posting_id != posting_id]
    if rec is not None:
        out.append(rec)
        out.sort(key=_order)
    return out[:STORED]


def _order(rec: Recommendation) -> tuple[float, float, float, str]:
    return (
        -rec.score,
        -float(rec.explanation.get("cosine", 0.0)),
        -float(rec.explanation.get("bm25", 0.0)),
        str(rec.posting_id),
    )


def columns(rec: Recommendation) -> dict[str, Any]:
    """What a `Match` keeps of a stored recommendation."""
    return {
        "score": rec.score,
        "parts": dict(rec.parts),
        "features": dict(rec.features),
        "reasons": list(rec.reasons),
        "explanation": dict(rec.explanation),
    }
