"""Queries of the matching engine: stored vectors, failures, candidate id sets, labels, models."""

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import numpy as np
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    ScalarSelect,
    Select,
    String,
    Table,
    Text,
    and_,
    any_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, joinedload, undefer

from matching.model import default_model
from service.engine.documents import Kind, Posting
from service.models import (
    Application,
    Capability,
    EmbeddingFailure,
    EngineInbox,
    KeywordBlock,
    KeywordDoc,
    KeywordHead,
    KeywordStats,
    Match,
    Need,
    Organization,
    PostingVector,
    RankModelRecord,
    RecommendationList,
    StoredRecommendation,
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


def missing_ids(
    session: Session, kind: Kind, model_id: str, window: tuple[int, int] | None = None
) -> list[int]:
    """Postings without any vector under `model_id` (crashes, other processes, a new model);
    `window` (lo, hi): only ids lo < id <= hi (a sweep's bounded share of the table)."""
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
    statement = select(model.id).where(~has_vector)
    if window is not None:
        statement = statement.where(model.id > window[0], model.id <= window[1])
    return list(session.scalars(statement.order_by(model.id)))


def max_id(session: Session, kind: Kind) -> int:
    """The side's largest posting id (0 when empty)."""
    model = MODELS[kind]
    return int(session.scalar(select(func.max(model.id))) or 0)


def vectors_of(
    session: Session, kind: Kind, model_id: str, ids: Iterable[int], *, second: bool = False
) -> dict[int, PostingVector]:
    """The vector rows of `ids`; `second`: with their second views loaded (else deferred)."""
    id_list = sorted(set(ids))
    out: dict[int, PostingVector] = {}
    for start in range(0, len(id_list), 500):
        statement = select(PostingVector).where(
            PostingVector.kind == kind,
            PostingVector.model_id == model_id,
            PostingVector.posting_id.in_(id_list[start : start + 500]),
        )
        if second:
            statement = statement.options(undefer(PostingVector.vector2))
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


def second_vectors(
    session: Session, kind: Kind, model_id: str, ids: Iterable[int]
) -> dict[int, bytes]:
    """Posting id → second vector (`PostingVector.vector2`) of the given postings that have
    one: what a ranking reads for its scored pool."""
    out: dict[int, bytes] = {}
    for chunk in _chunks(sorted(set(ids))):
        statement = select(PostingVector.posting_id, PostingVector.vector2).where(
            PostingVector.kind == kind,
            PostingVector.model_id == model_id,
            PostingVector.posting_id.in_(chunk),
            PostingVector.vector2.is_not(None),
        )
        out.update((int(r[0]), bytes(r[1] or b"")) for r in session.execute(statement))
    return out


def with_second(session: Session, kind: Kind, model_id: str, ids: Iterable[int]) -> set[int]:
    """Those of the given postings whose vector row has its second vector."""
    out: set[int] = set()
    for chunk in _chunks(sorted(set(ids))):
        statement = select(PostingVector.posting_id).where(
            PostingVector.kind == kind,
            PostingVector.model_id == model_id,
            PostingVector.posting_id.in_(chunk),
            PostingVector.vector2.is_not(None),
        )
        out.update(int(i) for i in session.scalars(statement))
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


def count_where(
    session: Session, kind: Kind, *conditions: ColumnElement[bool], at_most: int
) -> int:
    """How many postings satisfy every condition, counted up to `at_most` (a bounded read)."""
    model = MODELS[kind]
    found = select(model.id).where(*conditions).limit(at_most).subquery()
    return int(session.scalar(select(func.count()).select_from(found)) or 0)


def allowed_among(
    session: Session, kind: Kind, ids: Iterable[int], conditions: Sequence[ColumnElement[bool]]
) -> set[int]:
    """Those of `ids` whose postings satisfy every condition (a few hundred ids at a time)."""
    model = MODELS[kind]
    wanted = list(ids)
    if not wanted:
        return set()
    return set(
        session.scalars(select(model.id).where(_among(session, model.id, wanted), *conditions))
    )


def with_relations(session: Session, kind: Kind, ids: Sequence[int]) -> list[Posting]:
    """Postings with org and field loaded, in the order of `ids` (for summaries): one
    statement (both are many-to-one, joined)."""
    model = MODELS[kind]
    if not ids:
        return []
    statement = (
        select(model)
        .where(_among(session, model.id, ids))
        .options(joinedload(model.org), joinedload(model.field))
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


# --- the shared keyword index (service/engine/keywords.py) -------------------------------
def _chunks(values: Iterable[Any], size: int = 500) -> Iterable[list[Any]]:
    items = sorted(set(values))
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _among(session: Session, column: Any, ids: Iterable[int]) -> ColumnElement[bool]:
    """`column` is one of `ids`, as one bound parameter however many ids (a search reads a
    few hundred rows by id: an IN list of them is a new statement text per length, rendered
    per call, and 500 ids a statement): `= ANY(array)` on PostgreSQL (one statement text,
    prepared once per connection), `IN (SELECT value FROM json_each(…))` on SQLite."""
    values = sorted({int(i) for i in ids})
    if session.get_bind().dialect.name == "postgresql":
        return cast(ColumnElement[bool], column == any_(bindparam(None, values, ARRAY(Integer))))
    listed = func.json_each(json.dumps(values)).table_valued("value")
    return cast(ColumnElement[bool], column.in_(select(listed.c.value)))


def _among_terms(session: Session, column: Any, terms: Iterable[str]) -> ColumnElement[bool]:
    """`column` is one of `terms`, as one bound parameter (as `_among`)."""
    values = sorted(set(terms))
    if session.get_bind().dialect.name == "postgresql":
        return cast(ColumnElement[bool], column == any_(bindparam(None, values, ARRAY(Text))))
    listed = func.json_each(json.dumps(values, ensure_ascii=False)).table_valued("value")
    return cast(ColumnElement[bool], column.in_(select(listed.c.value)))


def keyword_stats(session: Session, kind: Kind) -> tuple[int, int, int]:
    """(documents, word tokens, character bigrams) of one side's keyword index."""
    row = session.execute(
        select(KeywordStats.docs, KeywordStats.word_total, KeywordStats.char_total).where(
            KeywordStats.kind == kind
        )
    ).first()
    return (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)


def add_keyword_stats(session: Session, kind: Kind, docs: int, words: int, chars: int) -> None:
    """Move one side's statistics by the given deltas (a row per side, made if missing)."""
    moved = session.execute(
        update(KeywordStats)
        .where(KeywordStats.kind == kind)
        .values(
            docs=KeywordStats.docs + docs,
            word_total=KeywordStats.word_total + words,
            char_total=KeywordStats.char_total + chars,
        )
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        session.add(KeywordStats(kind=kind, docs=docs, word_total=words, char_total=chars))
        session.flush()


def keyword_docs(session: Session, kind: Kind, ids: Iterable[int]) -> dict[int, KeywordDoc]:
    out: dict[int, KeywordDoc] = {}
    for chunk in _chunks(ids):
        statement = select(KeywordDoc).where(
            KeywordDoc.kind == kind, KeywordDoc.posting_id.in_(chunk)
        )
        out.update((d.posting_id, d) for d in session.scalars(statement))
    return out


def keyword_facts(session: Session, kind: Kind, ids: Iterable[int]) -> dict[int, str | None]:
    """The facts of the indexed ones of `ids` (None: a row written before facts were kept)."""
    wanted = list(ids)
    if not wanted:
        return {}
    statement = select(KeywordDoc.posting_id, KeywordDoc.facts).where(
        KeywordDoc.kind == kind, _among(session, KeywordDoc.posting_id, wanted)
    )
    return {int(i): f for i, f in session.execute(statement)}


def factless_ids(session: Session, kind: Kind, limit: int) -> list[int]:
    """Up to `limit` keyword rows written before facts or term frequencies were kept
    (`keywords.write_facts`)."""
    statement = select(KeywordDoc.posting_id).where(
        KeywordDoc.kind == kind, or_(KeywordDoc.facts.is_(None), KeywordDoc.tfs.is_(None))
    )
    return list(session.scalars(statement.order_by(KeywordDoc.posting_id).limit(limit)))


def set_keyword_facts(session: Session, kind: Kind, facts: dict[int, str]) -> None:
    """Fill the facts of rows that have none (a row rewritten since keeps its own)."""
    for posting_id, value in facts.items():
        session.execute(
            update(KeywordDoc)
            .where(
                KeywordDoc.kind == kind,
                KeywordDoc.posting_id == posting_id,
                KeywordDoc.facts.is_(None),
            )
            .values(facts=value)
        )


def set_keyword_tfs(session: Session, kind: Kind, tfs: dict[int, bytes]) -> None:
    """Fill the term frequencies of rows that have none (b"": not known)."""
    table = cast(Table, KeywordDoc.__table__)
    if tfs:
        session.execute(
            update(table)
            .where(
                table.c.kind == kind,
                table.c.posting_id == bindparam("the_id"),
                table.c.tfs.is_(None),
            )
            .values(tfs=bindparam("the_tfs")),
            [{"the_id": i, "the_tfs": v} for i, v in sorted(tfs.items())],
        )


def posting_orgs(session: Session, kind: Kind) -> tuple[np.ndarray, np.ndarray]:
    """Every posting's id (sorted) and organisation (-1: none), as int64 arrays: what a
    side's filter holds in memory. Read on the driver's cursor (a start-up reads every
    posting: no ORM row per posting)."""
    table = MODELS[kind].__tablename__
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(f"SELECT id, COALESCE(org_id, -1) FROM {table} ORDER BY id")
        rows = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 2)
    finally:
        cursor.close()
    return rows[:, 0].copy(), rows[:, 1].copy()


def keyword_doc_ids(session: Session, kind: Kind) -> list[int]:
    """Every indexed posting of `kind`, by id."""
    statement = select(KeywordDoc.posting_id).where(KeywordDoc.kind == kind)
    return list(session.scalars(statement.order_by(KeywordDoc.posting_id)))


def replace_keyword_docs(
    session: Session, kind: Kind, gone: Iterable[int], rows: list[dict[str, Any]]
) -> None:
    """Delete the `gone` postings' rows, insert `rows` (plain executemany)."""
    for chunk in _chunks(gone):
        session.execute(
            delete(KeywordDoc).where(KeywordDoc.kind == kind, KeywordDoc.posting_id.in_(chunk))
        )
    if rows:
        session.execute(insert(cast(Table, KeywordDoc.__table__)), rows)


def keyword_blocks_at(
    session: Session, kind: Kind, field: str, block: int, terms: Iterable[str]
) -> dict[str, bytes]:
    """The packed blocks of `terms` at one block number, locked for a rewrite (PostgreSQL)."""
    out: dict[str, bytes] = {}
    for chunk in _chunks(terms):
        statement = select(KeywordBlock.term, KeywordBlock.data).where(
            KeywordBlock.kind == kind,
            KeywordBlock.field == field,
            KeywordBlock.block == block,
            KeywordBlock.term.in_(chunk),
        )
        out.update((str(t), bytes(d)) for t, d in session.execute(statement.with_for_update()))
    return out


def replace_keyword_blocks(
    session: Session,
    kind: Kind,
    field: str,
    block: int,
    gone: Iterable[str],
    rows: list[dict[str, Any]],
) -> None:
    """Delete the blocks of `gone` terms at one block number, insert `rows`."""
    for chunk in _chunks(gone):
        session.execute(
            delete(KeywordBlock).where(
                KeywordBlock.kind == kind,
                KeywordBlock.field == field,
                KeywordBlock.block == block,
                KeywordBlock.term.in_(chunk),
            )
        )
    if rows:
        session.execute(insert(cast(Table, KeywordBlock.__table__)), rows)


def keyword_postings(
    session: Session, kind: Kind, field: str, terms: Iterable[str]
) -> dict[str, list[bytes]]:
    """Each term's packed blocks in `field`, by block number; absent terms are left out.

    Read on the driver's cursor (a term's blocks are one range of the clustered key): a
    short query reads a few rows per term, whatever the corpus size.
    """
    marker = "?" if session.get_bind().dialect.paramstyle == "qmark" else "%s"
    cursor = session.connection().connection.cursor()
    out: dict[str, list[bytes]] = {}
    try:
        for chunk in _chunks(terms):
            sql = (
                "SELECT term, data FROM keyword_blocks"
                f" WHERE kind = {marker} AND field = {marker}"
                f" AND term IN ({', '.join([marker] * len(chunk))}) ORDER BY term, block"
            )
            cursor.execute(sql, (kind, field, *chunk))
            for term, data in cursor.fetchall():
                out.setdefault(term, []).append(bytes(data))
    finally:
        cursor.close()
    return out


def keyword_heads(
    session: Session, kind: Kind, field: str, terms: Iterable[str], lock: bool = False
) -> dict[str, tuple[int, bytes]]:
    """Each term's head (df, packed best postings) in `field`; terms without one are left
    out. `lock`: for a rewrite (PostgreSQL)."""
    out: dict[str, tuple[int, bytes]] = {}
    for chunk in _chunks(terms):
        statement = select(KeywordHead.term, KeywordHead.df, KeywordHead.data).where(
            KeywordHead.kind == kind, KeywordHead.field == field, KeywordHead.term.in_(chunk)
        )
        if lock:
            statement = statement.with_for_update()
        out.update((str(t), (int(n), bytes(d))) for t, n, d in session.execute(statement))
    return out


def keyword_heads_of(
    session: Session, kind: Kind, wanted: dict[str, set[str]]
) -> dict[str, dict[str, tuple[int, bytes]]]:
    """field → term → (df, packed best postings) of each field's wanted terms, every field
    in one statement (what a search reads first); terms without a head are left out."""
    parts = [
        select(KeywordHead.field, KeywordHead.term, KeywordHead.df, KeywordHead.data).where(
            KeywordHead.kind == kind,
            KeywordHead.field == field,
            _among_terms(session, KeywordHead.term, terms),
        )
        for field, terms in sorted(wanted.items())
        if terms
    ]
    out: dict[str, dict[str, tuple[int, bytes]]] = {field: {} for field in wanted}
    if not parts:
        return out
    statement = parts[0] if len(parts) == 1 else union_all(*parts)
    for f, t, n, d in session.execute(statement):
        out[str(f)][str(t)] = (int(n), bytes(d))
    return out


def keyword_head_df(
    session: Session, kind: Kind, field: str, terms: Iterable[str]
) -> tuple[int, dict[str, int]]:
    """The side's number of indexed postings, and each term's df as its head keeps it
    (terms without a head are left out), in one round trip."""
    wanted = sorted(set(terms))
    statement = (
        select(KeywordStats.docs, KeywordHead.term, KeywordHead.df)
        .select_from(KeywordStats)
        .outerjoin(
            KeywordHead,
            and_(
                KeywordHead.kind == KeywordStats.kind,
                KeywordHead.field == field,
                KeywordHead.term.in_(wanted),
            ),
        )
        .where(KeywordStats.kind == kind)
    )
    rows = session.execute(statement).all()
    n_docs = int(rows[0][0]) if rows else 0
    return n_docs, {str(t): int(n) for _, t, n in rows if t is not None}


def replace_keyword_heads(
    session: Session,
    kind: Kind,
    field: str,
    gone: Iterable[str],
    rows: list[dict[str, Any]],
    counts: dict[str, int],
) -> None:
    """Delete the heads of `gone` terms, insert `rows`, set the df of the `counts` terms
    (whose best postings did not change)."""
    for chunk in _chunks(gone):
        session.execute(
            delete(KeywordHead).where(
                KeywordHead.kind == kind, KeywordHead.field == field, KeywordHead.term.in_(chunk)
            )
        )
    if rows:
        session.execute(insert(cast(Table, KeywordHead.__table__)), rows)
    if counts:
        table = cast(Table, KeywordHead.__table__)
        session.execute(
            update(table)
            .where(
                table.c.kind == kind,
                table.c.field == field,
                table.c.term == bindparam("the_term"),
            )
            .values(df=bindparam("the_df")),
            [{"the_term": t, "the_df": n} for t, n in sorted(counts.items())],
        )


def clear_keyword_heads(session: Session, kind: Kind) -> None:
    session.execute(delete(KeywordHead).where(KeywordHead.kind == kind))


def keyword_head_count(session: Session, kind: Kind) -> int:
    return int(session.scalar(select(func.count()).where(KeywordHead.kind == kind)) or 0)


def keyword_term_blocks(session: Session, kind: Kind, field: str) -> Iterator[tuple[str, bytes]]:
    """Every (term, packed block) of a side's `field`, by term then block, streamed."""
    statement = (
        select(KeywordBlock.term, KeywordBlock.data)
        .where(KeywordBlock.kind == kind, KeywordBlock.field == field)
        .order_by(KeywordBlock.term, KeywordBlock.block)
        .execution_options(stream_results=True, yield_per=2000)
    )
    for term, data in session.execute(statement):
        yield str(term), bytes(data)


def keyword_block_parts(
    session: Session,
    kind: Kind,
    field: str,
    terms: Iterable[str],
    blocks: Sequence[int],
    limit: int | None = None,
) -> dict[tuple[str, int], tuple[int, bytes]]:
    """(term, block) → (entries, the packed block or its first `limit` bytes) of `terms` at
    the given block numbers."""
    data = KeywordBlock.data if limit is None else func.substr(KeywordBlock.data, 1, limit)
    out: dict[tuple[str, int], tuple[int, bytes]] = {}
    for chunk in _chunks(terms):
        statement = select(KeywordBlock.term, KeywordBlock.block, KeywordBlock.n, data).where(
            KeywordBlock.kind == kind,
            KeywordBlock.field == field,
            KeywordBlock.term.in_(chunk),
            KeywordBlock.block.in_(sorted(set(blocks))),
        )
        for t, b, n, d in session.execute(statement):
            out[(str(t), int(b))] = (int(n), bytes(d))
    return out


def keyword_block_starts(
    session: Session,
    kind: Kind,
    wanted: dict[str, set[str]],
    blocks: Sequence[int],
    limit: int,
) -> dict[tuple[str, str, int], tuple[int, bytes]]:
    """(field, term, block) → (entries, the block's first `limit` bytes) of each field's
    wanted terms at the given block numbers, every field in one statement."""
    numbers = sorted({int(b) for b in blocks})
    parts = [
        select(
            KeywordBlock.field,
            KeywordBlock.term,
            KeywordBlock.block,
            KeywordBlock.n,
            func.substr(KeywordBlock.data, 1, limit),
        ).where(
            KeywordBlock.kind == kind,
            KeywordBlock.field == field,
            _among_terms(session, KeywordBlock.term, terms),
            _among(session, KeywordBlock.block, numbers),
        )
        for field, terms in sorted(wanted.items())
        if terms
    ]
    if not parts or not numbers:
        return {}
    statement = parts[0] if len(parts) == 1 else union_all(*parts)
    return {
        (str(f), str(t), int(b)): (int(n), bytes(d)) for f, t, b, n, d in session.execute(statement)
    }


def keyword_stats_and_span(session: Session, kind: Kind) -> tuple[int, int, int, int, int]:
    """`keyword_stats` and the side's smallest and largest indexed id ((0, 0) when empty), in
    one round trip (what a search reads first)."""
    low = select(func.min(KeywordDoc.posting_id)).where(KeywordDoc.kind == kind)
    high = select(func.max(KeywordDoc.posting_id)).where(KeywordDoc.kind == kind)
    row = session.execute(
        select(
            KeywordStats.docs,
            KeywordStats.word_total,
            KeywordStats.char_total,
            low.scalar_subquery(),
            high.scalar_subquery(),
        ).where(KeywordStats.kind == kind)
    ).first()
    if row is None:
        return (0, 0, 0, 0, 0)
    span = (int(row[3]), int(row[4])) if row[3] is not None else (0, 0)
    return (int(row[0]), int(row[1]), int(row[2]), *span)


def keyword_doc_counts(
    session: Session, kind: Kind, ranges: Sequence[tuple[int, int]]
) -> list[int]:
    """Indexed postings with an id in each [low, high) range: one round trip, one index
    range each (an OR of ranges was planned as a scan). The ranges are a VALUES list and each
    count a subquery on its row, a plan PostgreSQL cannot hand to parallel workers: a UNION
    ALL of the counts was planned, once psycopg had prepared it, as a Parallel Append under a
    Gather, starting workers for ~1 ms of index reads (50 ms on an idle host, 200–300 ms per
    search on a busy 2-core one, at 1M)."""
    if not ranges:
        return []
    rows = ", ".join(f"({n}, :low{n}, :high{n})" for n in range(len(ranges)))
    statement = text(
        "SELECT ranges.column1, (SELECT count(*) FROM keyword_docs WHERE kind = :kind"
        " AND posting_id >= ranges.column2 AND posting_id < ranges.column3)"
        f" FROM (VALUES {rows}) AS ranges"
    )
    params: dict[str, Any] = {"kind": kind}
    for n, (low, high) in enumerate(ranges):
        params[f"low{n}"], params[f"high{n}"] = int(low), int(high)
    out = [0] * len(ranges)
    for n, count in session.execute(statement, params):
        out[int(n)] = int(count or 0)
    return out


def keyword_field_lists(
    session: Session, kind: Kind, wanted: Mapping[str, Iterable[int]]
) -> dict[str, dict[int, tuple[int, str, bytes | None]]]:
    """field → id → (its length in that field, its terms there ("\n"-joined), the row's
    tfs) of indexed postings, for each field's own ids only, in one statement: a row wanted
    for one field is read without the other's list (a search's word shortlist needs not its
    rows' bigrams), one wanted for both is read once."""
    word = {int(i) for i in wanted.get("word", ())}
    char = {int(i) for i in wanted.get("char", ())}
    nothing = (literal(None, Integer), literal(None, Text))
    both = (KeywordDoc.word_len, KeywordDoc.word_terms, KeywordDoc.char_len, KeywordDoc.char_terms)
    branches = (
        (word - char, (*both[:2], *nothing)),
        (char - word, (*nothing, *both[2:])),
        (word & char, both),
    )
    parts = [
        select(KeywordDoc.posting_id, *columns, KeywordDoc.tfs).where(
            KeywordDoc.kind == kind, _among(session, KeywordDoc.posting_id, ids)
        )
        for ids, columns in branches
        if ids
    ]
    out: dict[str, dict[int, tuple[int, str, bytes | None]]] = {"word": {}, "char": {}}
    if not parts:
        return out
    statement = parts[0] if len(parts) == 1 else union_all(*parts)
    for i, wl, wt, cl, ct, tf in session.execute(statement):
        tfs = None if tf is None else bytes(tf)
        if wt is not None:
            out["word"][int(i)] = (int(wl), str(wt), tfs)
        if ct is not None:
            out["char"][int(i)] = (int(cl), str(ct), tfs)
    return out


def keyword_word_terms(session: Session, kind: Kind, ids: Iterable[int]) -> dict[int, str]:
    """id → its distinct word terms ("\n"-joined) of indexed postings (what explaining a
    page reads: not the bigrams, frequencies or facts of the row)."""
    wanted = list(ids)
    if not wanted:
        return {}
    statement = select(KeywordDoc.posting_id, KeywordDoc.word_terms).where(
        KeywordDoc.kind == kind, _among(session, KeywordDoc.posting_id, wanted)
    )
    return {int(i): str(t) for i, t in session.execute(statement)}


def keyword_df(session: Session, kind: Kind, field: str, terms: Iterable[str]) -> dict[str, int]:
    """How many indexed postings hold each term (absent terms are left out)."""
    out: dict[str, int] = {}
    for chunk in _chunks(terms):
        statement = (
            select(KeywordBlock.term, func.sum(KeywordBlock.n))
            .where(
                KeywordBlock.kind == kind,
                KeywordBlock.field == field,
                KeywordBlock.term.in_(chunk),
            )
            .group_by(KeywordBlock.term)
        )
        out.update((str(t), int(n)) for t, n in session.execute(statement).all())
    return out


def keyword_stale_ids(
    session: Session, kind: Kind, model_id: str, window: tuple[int, int] | None = None
) -> list[int]:
    """Postings with a vector under `model_id` but no keyword row of the same text (a database
    upgraded from before the shared index, or an edit embedded by an older process);
    `window` (lo, hi): only ids lo < id <= hi."""
    indexed = (
        select(KeywordDoc.posting_id)
        .where(
            KeywordDoc.kind == kind,
            KeywordDoc.posting_id == PostingVector.posting_id,
            KeywordDoc.text_hash == PostingVector.text_hash,
        )
        .exists()
    )
    statement = select(PostingVector.posting_id).where(
        PostingVector.kind == kind, PostingVector.model_id == model_id, ~indexed
    )
    if window is not None:
        statement = statement.where(
            PostingVector.posting_id > window[0], PostingVector.posting_id <= window[1]
        )
    return list(session.scalars(statement.order_by(PostingVector.posting_id)))


# --- stored recommendations (service/engine/recommendations.py) ------------------------
# how long before it was stored a list nobody read yet counts as viewed (`replace_list`)
UNSEEN = timedelta(days=365 * 100)


def shipped_model_key() -> str:
    """The shipped rank model's name in `recommendation_lists.rank_model`: its digest, taken
    once per loaded model (hashing its JSON is ~0.1 ms, and every stored-list read and every
    search's catch-up names it)."""
    model = default_model()
    if _SHIPPED_KEY.get("model") is not model:  # first call, or another file loaded since
        _SHIPPED_KEY.update(model=model, key=f"shipped:{model.digest()}")
    return cast(str, _SHIPPED_KEY["key"])


_SHIPPED_KEY: dict[str, Any] = {}


def model_key(record_id: int | None) -> str:
    """The name of the rank model in use: the newest learned one, else the shipped one."""
    return f"learned:{record_id}" if record_id is not None else shipped_model_key()


def _newest_model_key() -> ScalarSelect[Any]:
    """`model_key(newest_model_id)` as SQL (a list's head is read in the same statement)."""
    learned = literal("learned:") + func.max(RankModelRecord.id).cast(String)
    return select(func.coalesce(learned, literal(shipped_model_key()))).scalar_subquery()


def newest_model_key(session: Session) -> str:
    return model_key(newest_model_id(session))


def stored_list(
    session: Session, kind: Kind, subject_id: int
) -> tuple[RecommendationList | None, str]:
    """A subject's list head, and the name of the rank model in use (`newest_model_key`):
    one statement."""
    row = session.execute(
        select(RecommendationList, _newest_model_key().label("newest")).where(
            RecommendationList.subject_kind == kind, RecommendationList.subject_id == subject_id
        )
    ).first()
    if row is None:
        return None, newest_model_key(session)
    return row[0], row[1]


@dataclass(frozen=True, slots=True)
class ListedOrg:
    id: int
    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class _Listed:
    """What a recommended need's and capability's hits show alike: plain columns, no ORM
    instance (`current_rows`)."""

    id: int
    org_id: int
    title: str
    field_code: str
    keywords: list[str]
    published_at: datetime | None
    status: str


@dataclass(frozen=True, slots=True)
class ListedCapability(_Listed):
    maturity: str
    price_min: Decimal | None
    price_max: Decimal | None
    org: ListedOrg


@dataclass(frozen=True, slots=True)
class ListedNeed(_Listed):
    """A need's hit also asks the rules of `needs.auth` (who sees its enterprise, who may
    apply)."""

    call_type: str
    bounty: Decimal
    deadline: date
    visibility: str
    org: ListedOrg


Listed = ListedNeed | ListedCapability


@dataclass(frozen=True, slots=True)
class StoredRow:
    """A stored recommendation as it is served (its ranking inputs, `features`, not read)."""

    posting_id: int
    score: float
    parts: dict[str, float]
    reasons: list[str]
    explanation: dict[str, Any]


_SHARED = ("id", "org_id", "title", "field_code", "keywords", "published_at", "status")
_LISTED: dict[str, tuple[type[ListedNeed] | type[ListedCapability], tuple[str, ...]]] = {
    "need": (ListedNeed, (*_SHARED, "call_type", "bounty", "deadline", "visibility")),
    "capability": (ListedCapability, (*_SHARED, "maturity", "price_min", "price_max")),
}
_STORED = (
    StoredRecommendation.posting_id,
    StoredRecommendation.score,
    StoredRecommendation.parts,
    StoredRecommendation.reasons,
    StoredRecommendation.explanation,
)


def current_rows(
    session: Session,
    kind: Kind,
    subject_id: int,
    subject_hash: str,
    conditions: Sequence[ColumnElement[bool]],
    limit: int,
) -> tuple[list[tuple[StoredRow, Listed]], datetime | None, bool]:
    """The first `limit` rows of a subject's stored list whose posting satisfies `conditions`
    now, each with its posting as its hit shows it, if the list was ranked for
    `subject_hash`; the list's `viewed_at`, and whether the rank model in use scored it. One
    statement of plain columns (no ORM instances: a GET's largest cost was loading 20 rows
    and their postings as objects, `matching/BENCHMARKS.md` §23): no rows when the list is
    missing or ranked for another text (then `stored_list` tells which), or when none is
    visible. The rows' `features` (ranking inputs, never shown) are not read."""
    other = "capability" if kind == "need" else "need"
    model = MODELS[other]
    listed, names = _LISTED[other]
    head = RecommendationList
    scored_now = head.rank_model.is_not_distinct_from(_newest_model_key())
    columns = [getattr(model, name) for name in names]
    statement = (
        select(*_STORED, *columns, Organization.id, Organization.name, Organization.kind)
        .add_columns(head.viewed_at, scored_now)
        .join(model, model.id == StoredRecommendation.posting_id)
        .join(Organization, Organization.id == model.org_id)
        .join(
            head,
            and_(
                head.subject_kind == StoredRecommendation.subject_kind,
                head.subject_id == StoredRecommendation.subject_id,
            ),
        )
        .where(
            StoredRecommendation.subject_kind == kind,
            StoredRecommendation.subject_id == subject_id,
            head.subject_hash == subject_hash,
            *conditions,
        )
        .order_by(StoredRecommendation.rank)
        .limit(limit)
    )
    rows = session.execute(statement).all()
    stored, width = len(_STORED), len(names)
    out: list[tuple[StoredRow, Listed]] = []
    for row in rows:
        org = ListedOrg(*row[stored + width : stored + width + 3])
        posting = listed(*(*row[stored : stored + width], org))
        out.append((StoredRow(*row[:stored]), posting))
    viewed_at, scored = (rows[0][-2], bool(rows[0][-1])) if rows else (None, False)
    return out, viewed_at, scored


def replace_list(
    session: Session,
    kind: Kind,
    subject_id: int,
    head: dict[str, Any],
    rows: Sequence[dict[str, Any]],
    *,
    viewed: bool = False,
    unseen: bool = False,
) -> None:
    """Write a subject's list anew: its head (`subject_hash`, `model_id`, `computed_at`) and
    its ranked rows (the old rows are deleted, stale ones included). A new head counts as
    viewed when it is stored, or `UNSEEN` before that with `unseen` (a list the worker keeps
    for itself: beyond the bound it goes before any list that was read); an existing one
    keeps its `viewed_at` unless `viewed`."""
    # Upsert the head first: it locks the subject's row, so two processes refreshing the same
    # list take turns (the second then deletes the first's rows) instead of colliding.
    dialect = session.get_bind().dialect.name
    upsert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    first_viewed = head["computed_at"] - UNSEEN if unseen else head["computed_at"]
    statement = upsert(RecommendationList).values(
        subject_kind=kind, subject_id=subject_id, viewed_at=first_viewed, **head
    )
    changes = {**head, "viewed_at": head["computed_at"]} if viewed else head
    session.execute(
        statement.on_conflict_do_update(index_elements=["subject_kind", "subject_id"], set_=changes)
    )
    session.execute(
        delete(StoredRecommendation).where(
            StoredRecommendation.subject_kind == kind,
            StoredRecommendation.subject_id == subject_id,
        )
    )
    if rows:
        values = [{"subject_kind": kind, "subject_id": subject_id, **r} for r in rows]
        session.execute(insert(StoredRecommendation), values)
    session.flush()


def list_rows(session: Session, kind: Kind, subject_id: int) -> list[StoredRecommendation]:
    """A subject's stored rows, best first, with everything a refresh keeps of them."""
    return list(
        session.scalars(
            select(StoredRecommendation)
            .where(
                StoredRecommendation.subject_kind == kind,
                StoredRecommendation.subject_id == subject_id,
            )
            .order_by(StoredRecommendation.rank)
        )
    )


def forget_rank_models(session: Session) -> int:
    """Mark every stored list as scored by an unknown rank model (stale: the worker stores
    them again, serving them meanwhile); returns how many."""
    statement = update(RecommendationList).where(RecommendationList.rank_model.is_not(None))
    result = session.execute(statement.values(rank_model=None))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def drop_list(session: Session, kind: Kind, subject_id: int) -> None:
    drop_lists(session, kind, [subject_id])


def holders(session: Session, kind: Kind, posting_id: int, limit: int) -> list[int]:
    """Subjects (of the other kind) whose stored lists hold the posting, where it ranks best."""
    other = "capability" if kind == "need" else "need"
    statement = (
        select(StoredRecommendation.subject_id)
        .where(
            StoredRecommendation.subject_kind == other,
            StoredRecommendation.posting_id == posting_id,
        )
        .order_by(StoredRecommendation.rank, StoredRecommendation.subject_id)
        .limit(limit)
    )
    return list(session.scalars(statement))


def unlisted_ids(
    session: Session,
    kind: Kind,
    model_id: str,
    *conditions: ColumnElement[bool],
    limit: int | None,
) -> list[int]:
    """Postings (satisfying `conditions`) with a current vector but no stored list, or a list
    ranked for another text than the one embedded now (a worker stopped between the two), or
    scored by another rank model than the one in use."""
    model = MODELS[kind]
    head = RecommendationList
    newest = newest_model_key(session)
    statement = (
        select(model.id)
        .join(
            PostingVector,
            (PostingVector.kind == kind)
            & (PostingVector.posting_id == model.id)
            & (PostingVector.model_id == model_id),
        )
        .outerjoin(head, (head.subject_kind == kind) & (head.subject_id == model.id))
        .where(
            (head.id.is_(None))
            | (head.subject_hash != PostingVector.text_hash)
            | head.rank_model.is_distinct_from(newest),
            *conditions,
        )
        .order_by(model.id)
        .limit(limit)
    )
    return list(session.scalars(statement))


def stale_list_ids(
    session: Session,
    kind: Kind,
    model_id: str,
    *conditions: ColumnElement[bool],
    limit: int | None,
) -> list[int]:
    """Postings (satisfying `conditions`) whose stored list was ranked for another text than
    the one embedded now (a worker stopped between the two), or scored by another rank model
    than the one in use; postings without a stored list are not looked at."""
    model = MODELS[kind]
    head = RecommendationList
    newest = newest_model_key(session)
    statement = (
        select(model.id)
        .join(head, (head.subject_kind == kind) & (head.subject_id == model.id))
        .join(
            PostingVector,
            (PostingVector.kind == kind)
            & (PostingVector.posting_id == model.id)
            & (PostingVector.model_id == model_id),
        )
        .where(
            (head.subject_hash != PostingVector.text_hash)
            | head.rank_model.is_distinct_from(newest),
            *conditions,
        )
        .order_by(model.id)
        .limit(limit)
    )
    return list(session.scalars(statement))


def due_ids(
    session: Session, kind: Kind, model_id: str, *conditions: ColumnElement[bool], limit: int
) -> list[int]:
    """Up to `limit` postings (satisfying `conditions`) whose vector under `model_id` still
    waits for its refresh (`PostingVector.refresh_due`), the longest waiting first."""
    model = MODELS[kind]
    statement = (
        select(model.id)
        .join(
            PostingVector,
            (PostingVector.kind == kind)
            & (PostingVector.posting_id == model.id)
            & (PostingVector.model_id == model_id),
        )
        .where(PostingVector.refresh_due, *conditions)  # its partial index
        .order_by(PostingVector.indexed_at, model.id)
        .limit(limit)
    )
    return list(session.scalars(statement))


def settle(session: Session, kind: Kind, model_id: str, refreshed: dict[int, str]) -> None:
    """Clear the refresh mark of postings refreshed for the text hash given (a vector written
    again since, for another text, keeps its mark)."""
    table = cast(Table, PostingVector.__table__)
    if refreshed:
        session.execute(
            update(table)
            .where(
                table.c.kind == kind,
                table.c.model_id == model_id,
                table.c.posting_id == bindparam("the_id"),
                table.c.text_hash == bindparam("the_hash"),
                table.c.refresh_due.is_(True),
            )
            .values(refresh_due=False),
            [{"the_id": i, "the_hash": h} for i, h in sorted(refreshed.items())],
        )


def listed_ids(session: Session, kind: Kind, ids: Iterable[int]) -> set[int]:
    """Which of the postings have a stored list (current or not)."""
    head = RecommendationList
    found: set[int] = set()
    for chunk in _chunks(ids):
        found.update(
            session.scalars(
                select(head.subject_id).where(head.subject_kind == kind, head.subject_id.in_(chunk))
            )
        )
    return found


def mark_viewed(session: Session, kind: Kind, ids: Iterable[int], when: datetime) -> None:
    """Note that the stored lists of these postings were served (at `when`)."""
    head = RecommendationList
    for chunk in _chunks(sorted(set(ids))):
        session.execute(
            update(head)
            .where(head.subject_kind == kind, head.subject_id.in_(chunk))
            .values(viewed_at=when)
        )


def count_lists(session: Session, kind: Kind) -> int:
    head = RecommendationList
    statement = select(func.count()).select_from(head).where(head.subject_kind == kind)
    return int(session.scalar(statement) or 0)


def least_viewed(session: Session, kind: Kind, limit: int) -> list[int]:
    """The `limit` postings whose stored lists were viewed longest ago."""
    head = RecommendationList
    statement = (
        select(head.subject_id)
        .where(head.subject_kind == kind)
        .order_by(head.viewed_at, head.subject_id)
        .limit(limit)
    )
    return list(session.scalars(statement))


def drop_lists(session: Session, kind: Kind, subject_ids: Sequence[int]) -> None:
    """Delete these postings' stored lists, rows and heads."""
    for table in (StoredRecommendation, RecommendationList):
        for chunk in _chunks(subject_ids):
            session.execute(
                delete(table).where(table.subject_kind == kind, table.subject_id.in_(chunk))
            )


# --- the engine process's inbox (service/engine/inbox.py) ------------------------------------
def post_inbox(session: Session, topic: str, items: Iterable[tuple[Kind, int]]) -> None:
    """Hand these postings to the engine process (in the caller's transaction)."""
    rows = [{"topic": topic, "kind": kind, "posting_id": i} for kind, i in items]
    if rows:
        session.execute(insert(EngineInbox), rows)


def inbox_after(session: Session, after: int, limit: int) -> list[tuple[int, str, Kind, int]]:
    """The first `limit` inbox rows past id `after`: (id, topic, kind, posting id)."""
    statement = (
        select(EngineInbox.id, EngineInbox.topic, EngineInbox.kind, EngineInbox.posting_id)
        .where(EngineInbox.id > after)
        .order_by(EngineInbox.id)
        .limit(limit)
    )
    return [(r[0], r[1], cast(Kind, r[2]), r[3]) for r in session.execute(statement)]


def drop_inbox(session: Session, ids: Sequence[int]) -> None:
    for chunk in _chunks(ids):
        session.execute(delete(EngineInbox).where(EngineInbox.id.in_(chunk)))


def inbox_backlog(session: Session) -> dict[str, tuple[int, datetime | None]]:
    """Inbox rows waiting, by topic: how many, and when the oldest was handed over."""
    i = EngineInbox
    statement = select(i.topic, func.count(), func.min(i.created_at)).group_by(i.topic)
    return {topic: (int(n), oldest) for topic, n, oldest in session.execute(statement)}


def inbox_counts(session: Session) -> dict[str, int]:
    """Distinct postings waiting in the inbox, by topic."""
    pairs = select(EngineInbox.topic, EngineInbox.kind, EngineInbox.posting_id).distinct()
    waiting = pairs.subquery()
    statement = select(waiting.c.topic, func.count()).group_by(waiting.c.topic)
    return {topic: int(n) for topic, n in session.execute(statement)}
