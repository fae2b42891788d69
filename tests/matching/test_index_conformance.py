"""Every VectorIndex backend must pass this suite; add a backend to ``BACKENDS``."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from matching.index import (
    FlatIndex,
    IVFIndex,
    StaleIndexError,
    VectorIndex,
    build_index,
    load_index,
    meta_path,
    read_meta,
)

DIM = 32
MODEL = "test-model"

# Small IVF: trains after 200 vectors and probes every list, so it is exact here.
BACKENDS: dict[str, Callable[[], VectorIndex]] = {
    "flat": lambda: FlatIndex(DIM, MODEL),
    "ivf": lambda: IVFIndex(DIM, nlist=8, nprobe=8, model_id=MODEL, train_size=200),
    "ivf-untrained": lambda: IVFIndex(DIM, nlist=8, nprobe=8, model_id=MODEL, train_size=10**6),
}


@pytest.fixture(params=sorted(BACKENDS))
def make(request: pytest.FixtureRequest) -> Callable[[], VectorIndex]:
    return BACKENDS[request.param]


def unit(n: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def brute(x: np.ndarray, ids: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
    return ids[np.argsort(-(q @ x.T), axis=1, kind="stable")[:, :k]]


@pytest.fixture
def filled(make: Callable[[], VectorIndex]) -> tuple[VectorIndex, np.ndarray, np.ndarray]:
    x, ids = unit(500), np.arange(500, dtype=np.int64) * 10 + 7
    index = make()
    index.add(ids, x)
    return index, ids, x


def test_is_a_vector_index(make: Callable[[], VectorIndex]) -> None:
    assert isinstance(make(), VectorIndex)


def test_search_matches_brute_force(filled: tuple[VectorIndex, np.ndarray, np.ndarray]) -> None:
    index, ids, x = filled
    q = unit(20, seed=1)
    scores, found = index.search(q, 10)
    assert index.count == 500 and found.shape == scores.shape == (20, 10)
    np.testing.assert_array_equal(found, brute(x, ids, q, 10))
    np.testing.assert_allclose(scores, np.sort(q @ x.T, axis=1)[:, ::-1][:, :10], atol=1e-5)


def test_self_match_scores_are_cosines(filled: tuple[VectorIndex, np.ndarray, np.ndarray]) -> None:
    index, ids, x = filled
    scores, found = index.search(x[:3] * 5.0, 1)  # unnormalised queries are normalised
    assert found[:, 0].tolist() == ids[:3].tolist()
    np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-5)


def test_remove(filled: tuple[VectorIndex, np.ndarray, np.ndarray]) -> None:
    index, ids, x = filled
    assert index.remove([int(ids[0]), int(ids[1]), 999_999]) == 2
    assert index.remove([int(ids[0])]) == 0
    assert index.count == 498 and int(ids[0]) not in index and int(ids[2]) in index
    _, found = index.search(x[:2], 5)
    assert not set(found.ravel().tolist()) & {int(ids[0]), int(ids[1])}
    assert index.ids().tolist() == sorted(ids[2:].tolist())


def test_vectors_come_back_out_by_id(
    filled: tuple[VectorIndex, np.ndarray, np.ndarray],
) -> None:
    """The matcher reads its pool's cosines from the index instead of keeping a copy."""
    index, ids, x = filled
    np.testing.assert_allclose(index.vectors([int(ids[3]), int(ids[0])]), x[[3, 0]], atol=1e-6)
    assert index.vectors([]).shape == (0, DIM)


def test_readd_replaces(filled: tuple[VectorIndex, np.ndarray, np.ndarray]) -> None:
    index, ids, x = filled
    index.add(ids[:1], x[1:2])  # id 7 now carries the vector of id 17
    assert index.count == 500
    scores, found = index.search(x[1:2], 500)
    assert sorted(found[0, :2].tolist()) == sorted(ids[:2].tolist())
    np.testing.assert_allclose(scores[0, :2], 1.0, atol=1e-5)
    assert found[0].tolist().count(int(ids[0])) == 1


def test_duplicate_ids_in_one_batch_last_wins(make: Callable[[], VectorIndex]) -> None:
    index, x = make(), unit(3)
    index.add(np.array([5, 5, 6]), x)
    assert index.count == 2
    _, found = index.search(x[1:2], 1)
    assert found[0, 0] == 5


def test_filtered_search_is_top_k_among_allowed(
    filled: tuple[VectorIndex, np.ndarray, np.ndarray],
) -> None:
    index, ids, x = filled
    q = unit(5, seed=2)
    allowed = ids[::7]
    _, found = index.search(q, 5, allowed_ids=set(allowed.tolist()) | {123_456_789})
    np.testing.assert_array_equal(found, brute(x[::7], allowed, q, 5))


def test_filter_smaller_than_k_pads(filled: tuple[VectorIndex, np.ndarray, np.ndarray]) -> None:
    index, ids, x = filled
    scores, found = index.search(x[:1], 4, allowed_ids=[int(ids[3]), int(ids[4])])
    assert sorted(found[0, :2].tolist()) == sorted(ids[3:5].tolist())
    assert found[0, 2:].tolist() == [-1, -1] and np.isneginf(scores[0, 2:]).all()
    scores, found = index.search(x[:1], 3, allowed_ids=[])
    assert (found == -1).all() and np.isneginf(scores).all()


def test_empty_index_and_k_larger_than_count(make: Callable[[], VectorIndex]) -> None:
    index = make()
    scores, found = index.search(unit(2), 3)
    assert index.count == 0 and (found == -1).all() and np.isneginf(scores).all()
    index.add(np.array([1, 2]), unit(2))
    scores, found = index.search(unit(1, seed=3), 5)
    assert sorted(found[0, :2].tolist()) == [1, 2]
    assert found[0, 2:].tolist() == [-1, -1, -1] and np.isneginf(scores[0, 2:]).all()


def test_bad_input_is_refused(make: Callable[[], VectorIndex]) -> None:
    index = make()
    with pytest.raises(ValueError, match="dim"):
        index.add(np.array([1]), np.ones((1, DIM + 1), dtype=np.float32))
    with pytest.raises(ValueError, match="ids"):
        index.add(np.array([1, 2]), unit(3))
    with pytest.raises(ValueError, match="dim"):
        index.search(np.ones((1, DIM - 1), dtype=np.float32), 1)
    with pytest.raises(ValueError, match="k"):
        index.search(unit(1), 0)


def test_save_load_roundtrip(
    filled: tuple[VectorIndex, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    index, ids, x = filled
    index.remove([int(ids[0])])
    path = tmp_path / "sub" / "needs.faiss"
    meta = index.save(path, watermark="2026-11-22T10:00:00")
    assert path.exists() and meta_path(path).exists()
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    on_disk = read_meta(path)
    assert on_disk == meta
    assert (on_disk.model_id, on_disk.dim, on_disk.count) == (MODEL, DIM, 499)
    assert on_disk.watermark == "2026-11-22T10:00:00" and on_disk.created_at
    loaded = load_index(path, expect_model_id=MODEL, expect_dim=DIM)
    assert type(loaded) is type(index) and loaded.count == 499
    assert loaded.watermark == "2026-11-22T10:00:00" and loaded.model_id == MODEL
    q = unit(5, seed=4)
    np.testing.assert_array_equal(loaded.search(q, 10)[1], index.search(q, 10)[1])
    loaded.add(ids[:1], x[:1])  # still mutable after loading
    assert int(ids[0]) in loaded and loaded.count == 500


@pytest.mark.parametrize(
    ("model", "dim", "match"), [("other-model", DIM, "other-model"), (MODEL, 64, "dim")]
)
def test_load_refuses_other_model_or_dim(
    filled: tuple[VectorIndex, np.ndarray, np.ndarray],
    tmp_path: Path,
    model: str,
    dim: int,
    match: str,
) -> None:
    path = tmp_path / "i.faiss"
    filled[0].save(path)
    with pytest.raises(StaleIndexError, match=match):
        load_index(path, expect_model_id=model, expect_dim=dim)


def test_load_refuses_missing_or_corrupt_files(
    filled: tuple[VectorIndex, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    path = tmp_path / "i.faiss"
    with pytest.raises(StaleIndexError):
        load_index(path)
    filled[0].save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # torn write
    with pytest.raises(StaleIndexError):
        load_index(path)
    path.unlink()
    with pytest.raises(StaleIndexError):
        load_index(path)
    filled[0].save(path)
    meta_path(path).write_text("{not json", encoding="utf-8")
    with pytest.raises(StaleIndexError):
        load_index(path)
    raw = {**json.loads(json.dumps(filled[0].save(path).__dict__)), "format_version": 99}
    meta_path(path).write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(StaleIndexError, match="format"):
        load_index(path)


def test_concurrent_searches_during_writes(make: Callable[[], VectorIndex]) -> None:
    index, x = make(), unit(400)
    index.add(np.arange(200), x[:200])
    errors: list[Exception] = []

    def reader() -> None:
        try:
            for _ in range(50):
                _, found = index.search(x[:4], 5)
                assert (found >= 0).all()
        except Exception as exc:  # surfaced by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for i in range(200, 400, 20):
        index.add(np.arange(i, i + 20), x[i : i + 20])
        index.remove([i - 100])
    for t in threads:
        t.join()
    assert not errors and index.count == 390


def test_build_index_chooses_by_size() -> None:
    assert isinstance(build_index(DIM, 1000, model_id=MODEL), FlatIndex)
    big = build_index(DIM, 1_000_000, model_id=MODEL)
    assert isinstance(big, IVFIndex) and big.nlist == 2048 and big.model_id == MODEL


def test_ivf_trains_once_enough_vectors_arrive() -> None:
    index = IVFIndex(DIM, nlist=8, nprobe=8, train_size=300)
    index.add(np.arange(200), unit(200))
    assert not index.trained
    index.add(np.arange(200, 400), unit(200, seed=5))
    assert index.trained and index.count == 400


def test_ivf_filter_through_the_selector_widens_probes() -> None:
    index = IVFIndex(DIM, nlist=8, nprobe=1, train_size=300)
    index.exact_subset_limit = 0  # force the IDSelector path
    x, ids = unit(600), np.arange(600, dtype=np.int64)
    index.add(ids, x)
    q = unit(5, seed=6)
    _, found = index.search(q, 5, allowed_ids=ids[::50])
    np.testing.assert_array_equal(found, brute(x[::50], ids[::50], q, 5))
