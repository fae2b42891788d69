"""Candidate retrieval for :class:`matching.ranking.Matcher`: where the vectors live, and the
best rows of a BM25 score array.

A matcher holds each vector once, in one :class:`DenseVectors` store:

- :class:`ArrayVectors`: a numpy matrix and exact search, for any ids (the library and the
  eval runner, whose ids are strings);
- :class:`IndexVectors`: a FAISS :class:`~matching.index.VectorIndex` keyed by database ids
  (the service). The pool's cosines and the dense reference sample are read back out of the
  index, so no second copy of the vectors is kept beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Sequence
from typing import Protocol, cast

import numpy as np

from matching.features import reference_sample
from matching.index import VectorIndex

__all__ = [
    "AMONG",
    "Among",
    "ArrayVectors",
    "DenseVectors",
    "IndexVectors",
    "Keep",
    "MemorySecond",
    "SecondVectors",
    "best_rows",
    "narrowed",
]

DocId = int | str
Keep = Callable[[DocId], bool]

FILTER_IN_INDEX = 0.5  # below this share of the corpus, FAISS searches only the allowed ids
AMONG = 64  # an explicit filter of at most this many ids is an `Among`


class Among:
    """A filter that admits only some of a few given ids (a pair's one id, a handful).

    Retrievers look at those rows only (`narrowed`) instead of walking their best rows
    through the filter, which for one id among a million walks every posting of the query's
    terms; what is kept is the same."""

    __slots__ = ("ids", "keep")

    def __init__(self, keep: Keep, ids: Collection[DocId]) -> None:
        self.keep, self.ids = keep, frozenset(ids)

    def __call__(self, doc_id: DocId) -> bool:
        return doc_id in self.ids and self.keep(doc_id)


def narrowed(scores: np.ndarray, ids: np.ndarray | Sequence[Hashable], keep: Keep) -> np.ndarray:
    """The scores `best_rows` walks for `keep`, row `n` being posting `ids[n]`: under an
    `Among` filter the rows of other postings are 0 (the filter refuses them anyway), so the
    walk is over the few rows it may keep; otherwise `scores` itself."""
    if not isinstance(keep, Among):
        return scores
    rows = ids if isinstance(ids, np.ndarray) else np.asarray(ids, dtype=object)
    return np.where(np.isin(rows, list(keep.ids)), scores, 0).astype(scores.dtype)


class DenseVectors(Protocol):
    """One vector per posting, searchable by cosine (vectors are L2-normalised)."""

    @property
    def dim(self) -> int: ...

    def add(self, ids: Sequence[DocId], vectors: np.ndarray) -> None: ...

    def remove(self, ids: Collection[DocId]) -> None: ...

    def search(
        self, query: np.ndarray, k: int, keep: Keep, allowed: Collection[DocId] | None
    ) -> dict[DocId, float]:
        """Up to ``k`` kept ids by cosine, best first (``allowed``: the caller's exact filter,
        which ``keep`` also applies; a backend may use it to search the subset only)."""
        ...

    def vectors(self, ids: Sequence[DocId]) -> np.ndarray:
        """The vectors of ``ids`` (all present), one row each."""
        ...

    def reference(self) -> np.ndarray:
        """A fixed sample of the corpus's vectors: what a query's cosines are compared to."""
        ...


class ArrayVectors:
    """Vectors in one growing numpy matrix; exact search."""

    def __init__(self) -> None:
        self._row: dict[DocId, int] = {}
        self._ids: list[DocId | None] = []
        self._buffer = np.zeros((0, 0), dtype=np.float32)  # grows by doubling
        self._sample: np.ndarray | None = None

    @property
    def dim(self) -> int:
        return int(self._buffer.shape[1])

    @property
    def _vectors(self) -> np.ndarray:
        return self._buffer[: len(self._ids)]

    def add(self, ids: Sequence[DocId], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(ids), -1)
        if self._row and vectors.shape[1] != self.dim:
            raise ValueError(f"vector dimension {vectors.shape[1]} != {self.dim}")
        self.remove(ids)
        start = len(self._ids)
        self._reserve(start + len(ids), vectors.shape[1])
        self._buffer[start : start + len(ids)] = vectors
        for offset, doc_id in enumerate(ids):
            self._row[doc_id] = start + offset
            self._ids.append(doc_id)
        self._sample = None

    def _reserve(self, rows: int, dim: int) -> None:
        if self._buffer.shape[1] != dim:
            self._buffer = np.zeros((0, dim), dtype=np.float32)
        if rows > self._buffer.shape[0]:
            grown = np.zeros((max(rows, 2 * self._buffer.shape[0], 64), dim), dtype=np.float32)
            grown[: len(self._ids)] = self._vectors
            self._buffer = grown

    def remove(self, ids: Collection[DocId]) -> None:
        for doc_id in ids:
            row = self._row.pop(doc_id, None)
            if row is not None:
                self._ids[row] = None
                self._sample = None
        if len(self._ids) > 2 * len(self._row) + 1024:
            live = [r for r, i in enumerate(self._ids) if i is not None]
            self._buffer = self._vectors[live].copy()
            self._ids = [self._ids[r] for r in live]
            self._row = {i: n for n, i in enumerate(self._ids) if i is not None}

    def search(
        self, query: np.ndarray, k: int, keep: Keep, allowed: Collection[DocId] | None
    ) -> dict[DocId, float]:
        if not self._row:
            return {}
        sims = self._vectors @ query
        rows = np.argsort(-sims)
        if isinstance(keep, Among):  # the few rows it may keep, best first
            mine = np.asarray([self._row[i] for i in keep.ids if i in self._row], dtype=np.int64)
            rows = mine[np.argsort(-sims[mine], kind="stable")]
        out: dict[DocId, float] = {}
        for row in rows:  # best first; stop once k are kept
            doc_id = self._ids[row]
            if doc_id is not None and keep(doc_id):
                out[doc_id] = float(sims[row])
                if len(out) >= k:
                    break
        return out

    def vectors(self, ids: Sequence[DocId]) -> np.ndarray:
        return self._vectors[[self._row[i] for i in ids]]

    def reference(self) -> np.ndarray:
        if self._sample is None:
            live = np.array([r for r, i in enumerate(self._ids) if i is not None], dtype=int)
            self._sample = reference_sample(live)
        return self._vectors[self._sample]


class SecondVectors(Protocol):
    """Each posting's second view (needs encoded as passages, capabilities as queries).

    Read only for the candidates being scored, never searched, so a service can keep them
    out of its in-memory index; a posting may have none yet (its pairs are then scored by
    the rank model's fallback, see :meth:`matching.model.RankModel.score`)."""

    def many(self, ids: Sequence[DocId]) -> dict[DocId, np.ndarray]:
        """The second vectors of those ``ids`` that have one."""
        ...

    def reference(self) -> np.ndarray:
        """A fixed sample of the corpus's second vectors (rows; may be empty)."""
        ...


class MemorySecond:
    """Second vectors in memory (the library and the eval runner)."""

    def __init__(self) -> None:
        self._store = ArrayVectors()

    def add(self, ids: Sequence[DocId], vectors: np.ndarray) -> None:
        self._store.add(ids, vectors)

    def remove(self, ids: Collection[DocId]) -> None:
        self._store.remove(ids)

    def many(self, ids: Sequence[DocId]) -> dict[DocId, np.ndarray]:
        held = [i for i in ids if i in self._store._row]
        return dict(zip(held, self._store.vectors(held), strict=True)) if held else {}

    def reference(self) -> np.ndarray:
        if not self._store._row:
            return np.zeros((0, 0), dtype=np.float32)
        return self._store.reference()


class IndexVectors:
    """A FAISS index as the matcher's vector store (integer ids)."""

    def __init__(self, index: VectorIndex) -> None:
        self.index = index
        # (count it was taken at, the sample's ids, their rows)
        self._reference: tuple[int, list[int], np.ndarray] | None = None

    @property
    def dim(self) -> int:
        return self.index.dim

    def add(self, ids: Sequence[DocId], vectors: np.ndarray) -> None:
        self.index.add(np.asarray(ids, dtype=np.int64), vectors)
        self._reference = None

    def remove(self, ids: Collection[DocId]) -> None:
        if self.index.remove(int(i) for i in ids):
            self._reference = None

    def search(
        self, query: np.ndarray, k: int, keep: Keep, allowed: Collection[DocId] | None
    ) -> dict[DocId, float]:
        q = query.reshape(1, -1)
        subset = None
        if allowed is not None and len(allowed) < FILTER_IN_INDEX * max(1, self.index.count):
            subset = [int(i) for i in allowed]
        take = k if subset is not None else 2 * k
        while True:
            if subset is not None:
                scores, ids = self.index.search(q, take, allowed_ids=subset)
            else:  # most ids are allowed: search everything, the filter drops the others
                scores, ids = self.index.search(q, take)
            out: dict[DocId, float] = {}
            for score, doc_id in zip(scores[0], ids[0], strict=True):
                if doc_id >= 0 and keep(int(doc_id)):
                    out[int(doc_id)] = float(score)
                    if len(out) >= k:
                        return out
            if take >= self.index.count or (subset is not None and take >= len(subset)):
                return out  # every allowed id was searched
            take = min(self.index.count, 4 * take)  # the filter dropped too many: look deeper

    def vectors(self, ids: Sequence[DocId]) -> np.ndarray:
        return self.index.vectors([int(i) for i in ids])

    def reference(self) -> np.ndarray:
        return self._sample()[2]

    def reference_ids(self) -> list[int]:
        """The ids of :meth:`reference`'s rows (a service reads their second views)."""
        return self._sample()[1]

    def _sample(self) -> tuple[int, list[int], np.ndarray]:
        cached = self._reference
        if cached is None or cached[0] != self.index.count:
            ids = self.index.ids()
            sample = [int(i) for i in reference_sample(ids).tolist()]
            cached = (len(ids), sample, self.index.vectors(sample))
            self._reference = cached
        return cached


def best_rows(scores: np.ndarray, ids: Sequence[Hashable], keep: Keep, pool: int) -> list[DocId]:
    """Ids of the ``pool`` best-scoring kept rows (score > 0), best first, ties by row.

    Only the best rows are sorted and run through the filter (``argpartition``), looking
    deeper while the filter drops too many: the cost follows the pool, not the corpus.
    """
    hits = np.flatnonzero(scores > 0)
    take = min(len(hits), 4 * pool)
    while True:
        if take < len(hits):
            top = np.sort(hits[np.argpartition(-scores[hits], take - 1)[:take]])
        else:
            top = hits
        order = top[np.argsort(-scores[top], kind="stable")]
        out: list[DocId] = []
        for row in order:
            doc_id = cast(DocId, ids[row])
            if keep(doc_id):
                out.append(doc_id)
                if len(out) >= pool:
                    return out
        if take >= len(hits):
            return out
        take = min(len(hits), 4 * take)  # the filter dropped too many: look deeper
