"""Vector indexes over FAISS, persisted with metadata so a stale index is detected.

Scores are inner products of L2-normalised vectors, i.e. cosines; ids are
database ids (int64); re-adding an id replaces its vector. ``FlatIndex`` is
exact; ``IVFIndex`` (IVF-Flat) is the approximate backend. IVF was chosen over
HNSW by measurement (``matching/BENCHMARKS.md``): both meet the latency and
recall targets, but IVF builds 2.7x faster on 2 cores, removes ids natively
(HNSW needs tombstones and rebuilds) and filters with an ``IDSelector``.
Single-query search is fastest with one OpenMP thread: call ``set_threads(1)``
in a serving process.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import faiss as _faiss
import numpy as np

from matching.faiss_index import FlatIndex, IVFIndex, default_nlist
from matching.index_meta import (
    FORMAT_VERSION,
    IndexMeta,
    StaleIndexError,
    Watermark,
    file_crc,
    meta_path,
    read_meta,
)

# faiss's bundled stubs lag its Python wrappers (SearchParameters kwargs, DirectMap).
faiss: Any = _faiss

__all__ = [
    "FLAT_LIMIT",
    "FORMAT_VERSION",
    "FlatIndex",
    "IVFIndex",
    "IndexMeta",
    "StaleIndexError",
    "Watermark",
    "VectorIndex",
    "build_index",
    "default_nlist",
    "load_index",
    "meta_path",
    "read_meta",
    "set_threads",
]

FLAT_LIMIT = 50_000  # below this, exact search is fast enough (BENCHMARKS.md)


@runtime_checkable
class VectorIndex(Protocol):
    """What the matcher needs from a vector index."""

    model_id: str
    watermark: Watermark

    @property
    def dim(self) -> int: ...

    @property
    def count(self) -> int: ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace vectors under database ids."""
        ...

    def remove(self, ids: Iterable[int]) -> int:
        """Drop ids (absent ones are ignored); return how many were removed."""
        ...

    def search(
        self, queries: np.ndarray, k: int, allowed_ids: Iterable[int] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) per query, padded with -inf / -1."""
        ...

    def ids(self) -> np.ndarray:
        """All ids in the index, sorted."""
        ...

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        """The stored (normalised) vectors of ``ids``, one row each; every id must be present."""
        ...

    def __contains__(self, id_: object) -> bool: ...

    def save(self, path: str | Path, watermark: Watermark = None) -> object:
        """Write index and metadata atomically; return the metadata (an :class:`IndexMeta`,
        or a :class:`~matching.generations.GenerationMeta` for a generation)."""
        ...


def set_threads(n: int) -> None:
    """Set FAISS's OpenMP threads (1 gives the lowest single-query latency)."""
    faiss.omp_set_num_threads(max(1, int(n)))


def build_index(
    dim: int, size_hint: int = 0, model_id: str = "", flat_limit: int = FLAT_LIMIT
) -> VectorIndex:
    """Flat while the expected size is below ``flat_limit``, IVF above it."""
    if size_hint < flat_limit:
        return FlatIndex(dim, model_id)
    return IVFIndex(dim, default_nlist(size_hint), model_id=model_id)


_KINDS: dict[str, Any] = {"flat": FlatIndex, "ivf": IVFIndex}


def load_index(
    path: str | Path, expect_model_id: str | None = None, expect_dim: int | None = None
) -> VectorIndex:
    """Load a saved index; :class:`StaleIndexError` if it cannot be trusted."""
    path = Path(path)
    meta = read_meta(path)
    if meta.kind not in _KINDS:
        raise StaleIndexError(f"unknown index kind {meta.kind!r}")
    if expect_model_id is not None and meta.model_id != expect_model_id:
        raise StaleIndexError(f"index built for {meta.model_id!r}, not {expect_model_id!r}")
    if expect_dim is not None and meta.dim != expect_dim:
        raise StaleIndexError(f"index has dim {meta.dim}, expected {expect_dim}")
    try:
        size, crc = file_crc(path)
    except OSError as exc:
        raise StaleIndexError(f"index file unreadable: {exc}") from exc
    if (size, crc) != (meta.index_bytes, meta.crc32):  # torn pair or corrupt file
        raise StaleIndexError("index file does not match its metadata")
    try:
        native = faiss.read_index(str(path))
    except RuntimeError as exc:
        raise StaleIndexError(f"index file corrupt: {exc}") from exc
    if native.d != meta.dim or native.ntotal != meta.count:
        raise StaleIndexError("index contents do not match its metadata")
    return _KINDS[meta.kind]._from_native(native, meta)  # type: ignore[no-any-return]
