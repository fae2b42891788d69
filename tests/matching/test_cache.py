"""The on-disk embedding cache."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from matching.cache import CachedEmbedder, text_hash
from matching.embedders import HashEmbedder


class Counting(HashEmbedder):
    def __init__(self) -> None:
        super().__init__(dim=16)
        self.encoded = 0

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded += len(texts)
        return super().encode_documents(texts)


def test_vectors_are_reused_across_instances(tmp_path: Path) -> None:
    inner = Counting()
    first = CachedEmbedder(inner, tmp_path).encode_documents(["碳化硅", "光刻胶", "碳化硅"])
    assert inner.encoded == 2
    again = CachedEmbedder(inner, tmp_path).encode_documents(["光刻胶", "碳化硅"])
    assert inner.encoded == 2
    np.testing.assert_allclose(again, first[[1, 0]])
    assert CachedEmbedder(inner, tmp_path).encode_queries(["光刻胶"]).shape == (1, 16)


def test_text_hash_is_stable() -> None:
    assert text_hash("碳化硅") == text_hash("碳化硅") != text_hash("碳化硅 ")
