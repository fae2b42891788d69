"""FAISS backends of :class:`matching.index.VectorIndex`: exact flat and IVF-Flat.

Shared bookkeeping lives in one base class: a Python id set (membership, replace
on re-add, filters), a readers-writer lock (concurrent searches, exclusive
mutation), padding with -inf / -1, and atomic persistence.
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import faiss as _faiss
import numpy as np

from matching.index_meta import (
    IndexMeta,
    StaleIndexError,
    Watermark,
    file_crc,
    meta_path,
    write_json,
)
from matching.rwlock import ReadWriteLock

if TYPE_CHECKING:
    from matching.index import VectorIndex

# faiss's bundled stubs lag its Python wrappers (SearchParameters kwargs, DirectMap).
faiss: Any = _faiss

__all__ = ["FlatIndex", "IVFIndex", "default_nlist"]


def _as_ids(ids: Iterable[int] | np.ndarray) -> np.ndarray:
    if isinstance(ids, np.ndarray):
        return np.ascontiguousarray(ids.astype(np.int64, copy=False).ravel())
    return np.fromiter(ids, dtype=np.int64)


def _selector(ids: np.ndarray) -> faiss.IDSelector:
    return faiss.IDSelectorBatch(ids)


class _FaissIndex:
    """Shared bookkeeping: id set, validation, locking, padding, persistence."""

    kind: ClassVar[str] = ""

    def __init__(self, dim: int, model_id: str = "", watermark: Watermark = None) -> None:
        if dim <= 0:
            raise ValueError("dim must be positive")
        self._dim = int(dim)
        self.model_id = model_id
        self.watermark = watermark
        self._ids: set[int] = set()
        self._lock = ReadWriteLock()

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def count(self) -> int:
        return len(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, id_: object) -> bool:
        return isinstance(id_, int | np.integer) and int(id_) in self._ids

    def ids(self) -> np.ndarray:
        with self._lock.read():
            return np.sort(np.fromiter(self._ids, dtype=np.int64, count=len(self._ids)))

    def _vectors(self, vectors: np.ndarray, n: int | None = None) -> np.ndarray:
        out = np.asarray(vectors, dtype=np.float32)
        if out.ndim == 1:
            out = out.reshape(1, -1)
        if out.ndim != 2 or out.shape[1] != self._dim:
            raise ValueError(f"expected vectors of dim {self._dim}, got shape {out.shape}")
        if n is not None and out.shape[0] != n:
            raise ValueError(f"{n} ids but {out.shape[0]} vectors")
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return np.ascontiguousarray(out / norms, dtype=np.float32)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace; within one batch the last vector for an id wins."""
        id_arr = _as_ids(ids)
        vecs = self._vectors(vectors, len(id_arr))
        if len(id_arr) == 0:
            return
        _, last = np.unique(id_arr[::-1], return_index=True)
        keep = np.sort(len(id_arr) - 1 - last)
        id_arr, vecs = id_arr[keep], np.ascontiguousarray(vecs[keep])
        with self._lock.write():
            present = np.fromiter((i for i in id_arr.tolist() if i in self._ids), np.int64)
            if len(present):
                self._remove(present)
            self._add(id_arr, vecs)
            self._ids.update(id_arr.tolist())

    def remove(self, ids: Iterable[int]) -> int:
        with self._lock.write():
            present = np.fromiter((i for i in _as_ids(ids).tolist() if i in self._ids), np.int64)
            present = np.unique(present)
            if len(present):
                self._remove(present)
                self._ids.difference_update(present.tolist())
            return len(present)

    def search(
        self, queries: np.ndarray, k: int, allowed_ids: Iterable[int] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        if k <= 0:
            raise ValueError("k must be positive")
        q = self._vectors(queries)
        scores = np.full((len(q), k), -np.inf, dtype=np.float32)
        found = np.full((len(q), k), -1, dtype=np.int64)
        with self._lock.read():
            if allowed_ids is None:
                kk = min(k, len(self._ids))
                if kk and len(q):
                    d, i = self._search(q, kk)
                    scores[:, :kk], found[:, :kk] = d, i
            else:
                allowed = np.fromiter(
                    (a for a in _as_ids(allowed_ids).tolist() if a in self._ids), np.int64
                )
                allowed = np.unique(allowed)
                kk = min(k, len(allowed))
                if kk and len(q):
                    d, i = self._search_allowed(q, kk, allowed)
                    scores[:, :kk], found[:, :kk] = d, i
        scores[found < 0] = -np.inf
        return scores, found

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        """The stored (normalised) vectors of ``ids``, one row each; every id must be present."""
        id_arr = _as_ids(ids)
        if not len(id_arr):
            return np.zeros((0, self._dim), dtype=np.float32)
        with self._lock.read():
            return np.asarray(self._native().reconstruct_batch(id_arr), dtype=np.float32)

    def save(self, path: str | Path, watermark: Watermark = None) -> IndexMeta:
        """Write ``path`` and ``path.json`` via temp files and ``os.replace``."""
        if watermark is not None:
            self.watermark = watermark
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            with self._lock.read():
                faiss.write_index(self._native(), str(tmp))
                size, crc = file_crc(tmp)
                meta = IndexMeta(
                    kind=self.kind,
                    model_id=self.model_id,
                    dim=self._dim,
                    count=self.count,
                    watermark=self.watermark,
                    created_at=datetime.now(UTC).isoformat(),
                    index_bytes=size,
                    crc32=crc,
                    params=self._params(),
                )
            os.replace(tmp, path)
            write_json(meta_path(path), asdict(meta))
        finally:
            tmp.unlink(missing_ok=True)
        return meta

    @classmethod
    def load(
        cls, path: str | Path, expect_model_id: str | None = None, expect_dim: int | None = None
    ) -> VectorIndex:
        """Load a saved index of any kind (see :func:`load_index`)."""
        from matching.index import load_index

        return load_index(path, expect_model_id, expect_dim)

    # Backend hooks.
    def _add(self, ids: np.ndarray, vecs: np.ndarray) -> None:
        raise NotImplementedError

    def _remove(self, ids: np.ndarray) -> None:
        raise NotImplementedError

    def _search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _search_allowed(
        self, q: np.ndarray, k: int, allowed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _native(self) -> faiss.Index:
        raise NotImplementedError

    def _params(self) -> dict[str, int]:
        return {}


class FlatIndex(_FaissIndex):
    """Exact search: ``IndexIDMap2`` over ``IndexFlatIP``."""

    kind = "flat"

    def __init__(self, dim: int, model_id: str = "", watermark: Watermark = None) -> None:
        super().__init__(dim, model_id, watermark)
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(self._dim))

    def _add(self, ids: np.ndarray, vecs: np.ndarray) -> None:
        self._index.add_with_ids(vecs, ids)

    def _remove(self, ids: np.ndarray) -> None:
        self._index.remove_ids(_selector(ids))

    def _search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self._index.search(q, k)

    def _search_allowed(
        self, q: np.ndarray, k: int, allowed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        sel = _selector(allowed)  # kept alive for the duration of the search
        return self._index.search(q, k, params=faiss.SearchParameters(sel=sel))

    def _native(self) -> faiss.Index:
        return self._index

    @classmethod
    def _from_native(cls, native: faiss.Index, meta: IndexMeta) -> FlatIndex:
        out = cls(meta.dim, meta.model_id, meta.watermark)
        out._index = native  # read_index already returns the concrete class
        out._ids = set(faiss.vector_to_array(out._index.id_map).tolist())
        return out


def default_nlist(size_hint: int) -> int:
    """About 2·sqrt(N) lists, a power of two (2048 at one million)."""
    return 1 << max(4, min(16, round(math.log2(2 * math.sqrt(max(size_hint, 1))))))


class IVFIndex(_FaissIndex):
    """Approximate search: ``IndexIVFFlat`` (inner product) with a hash-table id map.

    Until ``train_size`` vectors have arrived they live in an exact staging
    index; the coarse quantizer is then trained on them. ``nprobe`` lists are
    scanned per query; filtered searches widen it by the filter's selectivity
    and small filters are searched exactly.
    """

    kind = "ivf"
    exact_subset_limit = 4096

    def __init__(
        self,
        dim: int,
        nlist: int,
        nprobe: int | None = None,
        model_id: str = "",
        watermark: Watermark = None,
        train_size: int | None = None,
    ) -> None:
        super().__init__(dim, model_id, watermark)
        self.nlist = int(nlist)
        self.nprobe = int(nprobe or max(8, self.nlist // 64))
        self.train_size = int(train_size or 32 * self.nlist)
        self._staging: faiss.Index | None = faiss.IndexIDMap2(faiss.IndexFlatIP(self._dim))
        self._ivf = faiss.IndexIVFFlat(
            faiss.IndexFlatIP(self._dim), self._dim, self.nlist, faiss.METRIC_INNER_PRODUCT
        )
        self._ivf.cp.niter = 10  # enough for search quality; k-means dominates build time
        self._ivf.set_direct_map_type(faiss.DirectMap.Hashtable)

    @property
    def trained(self) -> bool:
        return self._staging is None

    def _add(self, ids: np.ndarray, vecs: np.ndarray) -> None:
        if self._staging is None:
            self._ivf.add_with_ids(vecs, ids)
            return
        self._staging.add_with_ids(vecs, ids)
        if self._staging.ntotal >= self.train_size:
            self._train_from(self._staging)

    def _train_from(self, staging: Any) -> None:
        vecs = staging.index.reconstruct_n(0, staging.ntotal)
        ids = faiss.vector_to_array(staging.id_map)
        sample = vecs
        if len(vecs) > 64 * self.nlist:
            rng = np.random.default_rng(0)
            sample = vecs[np.sort(rng.choice(len(vecs), 64 * self.nlist, replace=False))]
        self._ivf.train(sample)
        self._ivf.add_with_ids(vecs, ids)
        self._staging = None

    def _remove(self, ids: np.ndarray) -> None:
        if self._staging is not None:
            self._staging.remove_ids(_selector(ids))
        else:
            self._ivf.remove_ids(faiss.IDSelectorArray(len(ids), faiss.swig_ptr(ids)))

    def _search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if self._staging is not None:
            return self._staging.search(q, k)
        return self._ivf.search(q, k, params=faiss.SearchParametersIVF(nprobe=self.nprobe))

    def _search_allowed(
        self, q: np.ndarray, k: int, allowed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        sel = _selector(allowed)
        if self._staging is not None:
            return self._staging.search(q, k, params=faiss.SearchParameters(sel=sel))
        if len(allowed) <= self.exact_subset_limit:
            return _exact_subset(self._ivf.reconstruct_batch(allowed), allowed, q, k)
        fraction = len(allowed) / max(1, self._ivf.ntotal)
        nprobe = min(self.nlist, math.ceil(self.nprobe / fraction))
        d, i = self._ivf.search(q, k, params=faiss.SearchParametersIVF(sel=sel, nprobe=nprobe))
        short = (i < 0).any(axis=1)
        if short.any() and nprobe < self.nlist:  # the probed lists held too few allowed ids
            full = faiss.SearchParametersIVF(sel=sel, nprobe=self.nlist)
            d[short], i[short] = self._ivf.search(np.ascontiguousarray(q[short]), k, params=full)
        return d, i

    def _native(self) -> faiss.Index:
        return self._staging if self._staging is not None else self._ivf

    def _params(self) -> dict[str, int]:
        return {"nlist": self.nlist, "nprobe": self.nprobe, "train_size": self.train_size}

    @classmethod
    def _from_native(cls, native: faiss.Index, meta: IndexMeta) -> IVFIndex:
        p = meta.params
        out = cls(meta.dim, p["nlist"], p["nprobe"], meta.model_id, meta.watermark, p["train_size"])
        if isinstance(native, faiss.IndexIDMap2):
            out._staging = native
            out._ids = set(faiss.vector_to_array(native.id_map).tolist())
            return out
        if not isinstance(native, faiss.IndexIVFFlat) or native.nlist != out.nlist:
            raise StaleIndexError(f"unexpected faiss index {type(native).__name__}")
        if native.direct_map.type != faiss.DirectMap.Hashtable:
            native.set_direct_map_type(faiss.DirectMap.Hashtable)
        out._ivf, out._staging = native, None
        invlists = native.invlists
        for lst in range(native.nlist):
            n = invlists.list_size(lst)
            if n:
                out._ids.update(faiss.rev_swig_ptr(invlists.get_ids(lst), n).tolist())
        return out


def _exact_subset(
    vecs: np.ndarray, ids: np.ndarray, q: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    scores = q @ vecs.T
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, top, axis=1), ids[top]
