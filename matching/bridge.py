"""Written example pairs as a bridge from what a need describes to what solves it.

A need often says what goes wrong (黑斑向内蔓延, 冬天续航缩水) while the capability that
fixes it names the mechanism (薄膜封装水氧阻隔, 热泵余热回收), sharing few characters, and
e5-small puts the two far apart. The bank holds need/capability pairs written for this
(``matching/data/train_pairs.jsonl``, see its README): a need's nearest example needs lend
their capabilities' vectors. The ``bridge`` vector is their mix, weighted by a softmax of the
need's cosines to the example needs; a capability's ``bridge`` feature is its cosine with
that vector, z-scored like ``dense`` (:mod:`matching.features`). It is a cosine against a
second query vector, so it needs nothing stored beyond each posting's first vector.

K and the temperature are fixed (matching/RESULTS.md, session 16): with a temperature of
0.02 on e5 cosines the weight goes to the few nearest examples, and K only bounds the sum.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matching.documents import Doc
from matching.embedders import Embedder

__all__ = [
    "K",
    "PAIRS",
    "TEMPERATURE",
    "VECTORS",
    "ExampleBank",
    "bank_for",
    "encode_bank",
    "save_vectors",
]

DATA = Path(__file__).parent / "data"
PAIRS = DATA / "train_pairs.jsonl"
# the pairs' vectors under the default model, so no process encodes 880 texts at start
VECTORS = DATA / "bridge_vectors.npz"
K = 20
TEMPERATURE = 0.02


@dataclass(frozen=True)
class ExampleBank:
    """Example needs (query vectors) and their capabilities (passage vectors), row by row."""

    needs: np.ndarray
    capabilities: np.ndarray

    def toward(self, qvec: np.ndarray) -> np.ndarray:
        """The bridge vector of a need's vector: its nearest examples' capabilities, mixed."""
        sims = self.needs @ np.asarray(qvec, dtype=np.float32)
        k = min(K, len(sims))
        top = np.argpartition(-sims, k - 1)[:k] if k < len(sims) else np.arange(len(sims))
        weights = np.exp((sims[top] - sims[top].max()) / TEMPERATURE)
        weights /= weights.sum()
        return (weights.astype(np.float32) @ self.capabilities[top]).astype(np.float32)


def _pairs(path: Path) -> tuple[list[Doc], list[Doc]]:
    needs: list[Doc] = []
    caps: list[Doc] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        field = row.get("field", "")
        needs.append(Doc.from_mapping({**row["need"], "id": row["id"], "field": field}, "need"))
        caps.append(Doc.from_mapping({**row["capability"], "id": row["id"], "field": field}))
    return needs, caps


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def encode_bank(embedder: Embedder, pairs: Path = PAIRS) -> ExampleBank:
    """The pairs encoded by ``embedder`` as postings are (needs as queries)."""
    from matching.ranking import encode_postings

    needs, caps = _pairs(pairs)
    return ExampleBank(encode_postings(embedder, needs), encode_postings(embedder, caps))


def save_vectors(
    bank: ExampleBank, model_id: str, pairs: Path = PAIRS, out: Path = VECTORS
) -> None:
    """Ship ``bank`` for ``model_id`` (float16: the feature is a z-score of cosines)."""
    np.savez_compressed(
        out,
        needs=bank.needs.astype(np.float16),
        capabilities=bank.capabilities.astype(np.float16),
        model_id=np.array(model_id),
        digest=np.array(_digest(pairs)),
    )


def _shipped(model_id: str, pairs: Path, vectors: Path) -> ExampleBank | None:
    if not vectors.exists():
        return None
    with np.load(vectors) as data:
        if str(data["model_id"]) != model_id or str(data["digest"]) != _digest(pairs):
            return None
        return ExampleBank(
            data["needs"].astype(np.float32), data["capabilities"].astype(np.float32)
        )


_BANKS: dict[tuple[str, int], ExampleBank] = {}  # (model id, dim) → its bank, per process
_BANKS_LOCK = threading.Lock()


def bank_for(embedder: Embedder | None) -> ExampleBank | None:
    """The bank under ``embedder``'s model: the shipped vectors when they are that model's,
    else encoded once per process. None without an embedding model."""
    if embedder is None or embedder.dim == 0 or not PAIRS.exists():
        return None
    key = (embedder.model_id, embedder.dim)
    with _BANKS_LOCK:
        if key not in _BANKS:
            bank = _shipped(embedder.model_id, PAIRS, VECTORS)
            _BANKS[key] = bank if bank is not None else encode_bank(embedder)
        return _BANKS[key]
