"""Queries of the matching engine: stored vectors, failures, candidate id sets, labels, models."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, selectinload

from service.engine.documents import Kind, Posting
from service.models import (
    Application,
    Capability,
    EmbeddingFailure,
    Match,
    Need,
    PostingVector,
    RankModelRecord,
)
from service.models.enums import ApplicationStatus, MatchOrigin

MODELS: dict[str, type[Need] | type[Capability]] = {"need": Need, "capability": Capability}


def postings(session: Session, kind: Kind, ids: Iterable[int]) -> list[Posting]:
    model = MODELS[kind]
    id_list = sorted(set(ids))
    out: list[Posting] = []
    for start in range(0, len(id_list), 500):  # stay under every driver's parameter limit
        chunk = id_list[start : start + 500]
        out.extend(session.scalars(select(model).where(model.id.in_(chunk))))
    return out


def all_ids(session: Session, kind: Kind) -> list[int]:
    model = MODELS[kind]
    return list(session.scalars(select(model.id).order_by(model.id)))


def missing_ids(session: Session, kind: Kind, model_id: str) -> list[int]:
    """Postings without any vector under `model_id` (crashes, other processes, a new model)."""
    model = MODELS[kind]
    has_vector = (
        select(PostingVector.id)
        .where(
            PostingVector.kind == kind,
            PostingVector.model_id == model_id,
            PostingVector.posting_id == model.id,
        )
        .exists()
    )
    return list(session.scalars(select(model.id).where(~has_vector).order_by(model.id)))


def vectors_of(
    session: Session, kind: Kind, model_id: str, ids: Iterable[int]
) -> dict[int, PostingVector]:
    id_list = sorted(set(ids))
    out: dict[int, PostingVector] = {}
    for start in range(0, len(id_list), 500):
        statement = select(PostingVector).where(
            PostingVector.kind == kind,
            PostingVector.model_id == model_id,
            PostingVector.posting_id.in_(id_list[start : start + 500]),
        )
        out.update((v.posting_id, v) for v in session.scalars(statement))
    return out


def vector_heads_of(
    session: Session, kind: Kind, model_id: str, ids: Iterable[int]
) -> dict[int, str]:
    """Posting id → text hash of the given postings' vectors (those that have one)."""
    id_list = sorted(set(ids))
    out: dict[int, str] = {}
    for start in range(0, len(id_list), 500):
        statement = select(PostingVector.posting_id, PostingVector.text_hash).where(
            PostingVector.kind == kind,
            PostingVector.model_id == model_id,
            PostingVector.posting_id.in_(id_list[start : start + 500]),
        )
        out.update((int(r[0]), str(r[1])) for r in session.execute(statement))
    return out


def vector_heads_since(
    session: Session, kind: Kind, model_id: str, since: datetime | None, *, after: bool = False
) -> list[tuple[int, str, datetime]]:
    """(posting id, text hash, indexed_at) of rows written at or after `since` (strictly after
    with `after`; all rows if None)."""
    statement = select(PostingVector.posting_id, PostingVector.text_hash, PostingVector.indexed_at)
    statement = statement.where(PostingVector.kind == kind, PostingVector.model_id == model_id)
    if since is not None:
        column = PostingVector.indexed_at
        statement = statement.where(column > since if after else column >= since)
    rows = session.execute(statement.order_by(PostingVector.indexed_at)).all()
    return [(int(r[0]), str(r[1]), r[2]) for r in rows]


def count_vectors(session: Session, kind: Kind, model_id: str) -> int:
    statement = select(func.count()).where(
        PostingVector.kind == kind, PostingVector.model_id == model_id
    )
    return int(session.scalar(statement) or 0)


def count_postings(session: Session, kind: Kind) -> int:
    return int(session.scalar(select(func.count()).select_from(MODELS[kind])) or 0)


def failures(session: Session, kind: Kind | None = None) -> list[EmbeddingFailure]:
    statement = select(EmbeddingFailure).order_by(EmbeddingFailure.updated_at.desc())
    if kind is not None:
        statement = statement.where(EmbeddingFailure.kind == kind)
    return list(session.scalars(statement))


def failures_of(session: Session, kind: Kind, ids: Iterable[int]) -> dict[int, EmbeddingFailure]:
    id_list = sorted(set(ids))
    if not id_list:
        return {}
    statement = select(EmbeddingFailure).where(
        EmbeddingFailure.kind == kind, EmbeddingFailure.posting_id.in_(id_list)
    )
    return {f.posting_id: f for f in session.scalars(statement)}


def retryable_failure_ids(session: Session, kind: Kind, max_attempts: int) -> list[int]:
    statement = select(EmbeddingFailure.posting_id).where(
        EmbeddingFailure.kind == kind, EmbeddingFailure.attempts < max_attempts
    )
    return list(session.scalars(statement))


def ids_where(session: Session, kind: Kind, *conditions: ColumnElement[bool]) -> set[int]:
    """Ids of the postings that satisfy every condition (the exact filter of a ranking)."""
    model = MODELS[kind]
    statement: Select[Any] = select(model.id).where(*conditions)
    return set(session.scalars(statement))


def with_relations(session: Session, kind: Kind, ids: Sequence[int]) -> list[Posting]:
    """Postings with org and field loaded, in the order of `ids` (for summaries)."""
    model = MODELS[kind]
    statement = (
        select(model)
        .where(model.id.in_(list(ids)))
        .options(selectinload(model.org), selectinload(model.field))
    )
    found = cast(list[Posting], list(session.scalars(statement)))
    rows = {p.id: p for p in found}
    return [rows[i] for i in ids if i in rows]


# --- labels and ranking models (service/engine/learning.py) ----------------------------
def scored_engine_matches(session: Session) -> list[tuple[int, int, str, dict[str, float]]]:
    """(need, capability, status, features) of every engine match that kept its features."""
    rows = session.execute(
        select(Match.need_id, Match.capability_id, Match.status, Match.features)
        .where(Match.origin == MatchOrigin.engine, Match.features.is_not(None))
        .order_by(Match.id)
    )
    return [(n, c, s, f) for n, c, s, f in rows if f]


def awarded_pairs(session: Session) -> set[tuple[int, int]]:
    """(need, capability) of 揭榜 applications awarded with a named capability."""
    rows = session.execute(
        select(Application.need_id, Application.capability_id).where(
            Application.status == ApplicationStatus.awarded,
            Application.capability_id.is_not(None),
        )
    )
    return {(n, c) for n, c in rows if c is not None}


def newest_model(session: Session) -> RankModelRecord | None:
    return session.scalar(select(RankModelRecord).order_by(RankModelRecord.id.desc()).limit(1))


def newest_model_id(session: Session) -> int | None:
    return session.scalar(select(func.max(RankModelRecord.id)))
