"""On-disk embedding cache keyed by model id, side (query/document) and text hash.

Used by the eval runner so repeated runs do not re-encode; the service keeps
its vectors in the database instead.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from matching.embedders import Embedder

__all__ = ["CachedEmbedder", "text_hash"]


def text_hash(text: str) -> str:
    """Stable short hash of a text (the cache and the database use the same one)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class CachedEmbedder:
    """Wrap an :class:`Embedder`; vectors persist in one ``.npz`` per model and side."""

    def __init__(self, inner: Embedder, cache_dir: str | Path = "var/cache") -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.cache_dir = Path(cache_dir)
        self._mem: dict[str, dict[str, np.ndarray]] = {}

    def _path(self, side: str) -> Path:
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.model_id)
        return self.cache_dir / f"emb-{slug}-{side}.npz"

    def _table(self, side: str) -> dict[str, np.ndarray]:
        if side not in self._mem:
            table: dict[str, np.ndarray] = {}
            path = self._path(side)
            if path.exists():
                with np.load(path) as data:
                    keys = [str(k) for k in data["keys"]]
                    table = dict(zip(keys, data["vectors"], strict=True))
            self._mem[side] = table
        return self._mem[side]

    def _save(self, side: str) -> None:
        table = self._mem[side]
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(table.keys()))
        vectors = np.stack(list(table.values())) if table else np.zeros((0, self.dim))
        tmp = self._path(side).with_suffix(".tmp.npz")
        np.savez(tmp, keys=keys, vectors=vectors.astype(np.float32))
        tmp.replace(self._path(side))

    def _encode(self, texts: Sequence[str], side: str) -> np.ndarray:
        table = self._table(side)
        hashes = [text_hash(t) for t in texts]
        missing = list(dict.fromkeys(h for h in hashes if h not in table))
        if missing:
            by_hash = dict(zip(hashes, texts, strict=True))
            todo = [by_hash[h] for h in missing]
            encode = self.inner.encode_queries if side == "q" else self.inner.encode_documents
            for h, vec in zip(missing, encode(todo), strict=True):
                table[h] = vec
            self._save(side)
        if not hashes:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([table[h] for h in hashes]).astype(np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Encode (or fetch) queries."""
        return self._encode(texts, "q")

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Encode (or fetch) documents."""
        return self._encode(texts, "d")
