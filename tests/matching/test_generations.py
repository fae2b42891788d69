"""Generations on disk: written atomically, memory-mapped and shared between processes,
searched with an in-memory delta, switched to without a pause, and safe against a writer
killed mid-write. Real FAISS, real files, real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from matching.generations import (
    Generation,
    LayeredIndex,
    WriterLock,
    read_pointer,
    write_generation,
)
from matching.index import StaleIndexError, VectorIndex

DIM = 32
MODEL = "test-model"
ROOT = Path(__file__).resolve().parents[2]


def unit(n: int, seed: int = 0, dim: int = DIM) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


class Model:
    """The truth: a dict id → vector, searched exhaustively."""

    def __init__(self) -> None:
        self.rows: dict[int, np.ndarray] = {}

    def add(self, ids: np.ndarray, x: np.ndarray) -> None:
        for i, v in zip(ids.tolist(), x, strict=True):
            self.rows[int(i)] = v

    def remove(self, ids: list[int]) -> None:
        for i in ids:
            self.rows.pop(i, None)

    def search(self, q: np.ndarray, k: int, allowed: set[int] | None = None) -> np.ndarray:
        ids = np.array(sorted(i for i in self.rows if allowed is None or i in allowed), np.int64)
        out = np.full((len(q), k), -1, dtype=np.int64)
        if not len(ids):
            return out
        x = np.stack([self.rows[int(i)] for i in ids])
        top = ids[np.argsort(-(q @ x.T), axis=1, kind="stable")[:, :k]]
        out[:, : top.shape[1]] = top
        return out


def _generation(root: Path, model: Model, nlist: int | None = None) -> Generation:
    ids = np.array(sorted(model.rows), dtype=np.int64)
    x = np.stack([model.rows[int(i)] for i in ids])
    write_generation(root, model_id=MODEL, dim=DIM, watermark="w1", ids=ids, vectors=x, nlist=nlist)
    return Generation.open_current(root, MODEL, DIM)


@pytest.mark.parametrize("nlist", [None, 8])  # one list (exact), and IVF probing every list
def test_delta_and_generation_search_equals_exact_search_on_the_union(
    tmp_path: Path, nlist: int | None
) -> None:
    model = Model()
    ids = np.arange(600, dtype=np.int64) * 5 + 3
    model.add(ids, unit(600))
    index = LayeredIndex(DIM, MODEL, _generation(tmp_path, model, nlist))
    assert isinstance(index, VectorIndex) and index.base is not None
    assert index.base.meta.nlist == (nlist or 1) and index.count == 600
    rng = np.random.default_rng(7)
    q = unit(12, seed=99)
    for step in range(6):
        # replaced ids (in the generation), removed ones, and brand-new ones
        replaced = rng.choice(ids, 20, replace=False)
        fresh = np.arange(10_000 + 30 * step, 10_000 + 30 * step + 30, dtype=np.int64)
        new = np.concatenate([replaced, fresh])
        vecs = unit(len(new), seed=100 + step)
        index.add(new, vecs)
        model.add(new, vecs)
        gone = [int(i) for i in rng.choice(ids, 10, replace=False)] + [int(fresh[0])]
        assert index.remove(gone) == len({g for g in gone if g in model.rows})
        model.remove(gone)
        _, found = index.search(q, 15)
        np.testing.assert_array_equal(found, model.search(q, 15))
        allowed = {int(i) for i in rng.choice([*model.rows, *gone], 150, replace=False)}
        _, found = index.search(q, 7, allowed_ids=allowed | {987_654_321})
        np.testing.assert_array_equal(found, model.search(q, 7, allowed))
        assert index.count == len(model.rows) and index.ids().tolist() == sorted(model.rows)
        some = sorted(model.rows)[:: max(1, len(model.rows) // 20)]
        np.testing.assert_allclose(
            index.vectors(some), np.stack([model.rows[i] for i in some]), atol=1e-6
        )
        assert all(i not in index for i in gone) and int(fresh[-1]) in index
    assert index.delta_count > 0 and index.masked_count > 0
    # compacting: the next generation holds everything, the delta empties, results agree
    meta = index.save(tmp_path, watermark="w2")
    assert meta.count == len(model.rows) and index.delta_count == index.masked_count == 0
    _, found = index.search(q, 15)
    np.testing.assert_array_equal(found, model.search(q, 15))
    fresh_reader = LayeredIndex(DIM, MODEL, Generation.open_current(tmp_path, MODEL, DIM))
    _, found = fresh_reader.search(q, 15)
    np.testing.assert_array_equal(found, model.search(q, 15))
    assert fresh_reader.watermark == "w2"


def test_rebase_keeps_what_the_new_generation_lacks_and_reports_changes(tmp_path: Path) -> None:
    model = Model()
    model.add(np.arange(100, dtype=np.int64), unit(100))
    writer_root, q = tmp_path / "gens", unit(4, seed=3)
    reader = LayeredIndex(DIM, MODEL, _generation(writer_root, model))
    # the reader catches up a replacement of id 1 and a new id 500; a writer meanwhile wrote
    # a generation with a different replacement of id 2 and without id 3
    reader.add(np.array([1, 500]), unit(2, seed=5))
    writer_view = Model()
    writer_view.rows = dict(model.rows)
    writer_view.add(np.array([2]), unit(1, seed=6))
    writer_view.remove([3])
    newer = _generation(writer_root, writer_view)
    rebased = reader.rebase(newer)
    assert reader.base is newer and reader.delta_count == 2  # 1 and 500 stay in the delta
    assert sorted(rebased.changed.tolist()) == [2] and rebased.gone.tolist() == [3]
    truth = Model()
    truth.rows = dict(writer_view.rows)
    truth.add(np.array([1, 500]), unit(2, seed=5))
    _, found = reader.search(q, 10)
    np.testing.assert_array_equal(found, truth.search(q, 10))
    # a generation that holds the reader's own delta rows empties the delta
    rebased = reader.rebase(_generation(writer_root, truth))
    assert reader.delta_count == 0 and rebased.changed.tolist() == []


def test_a_reader_switches_generations_while_another_thread_searches(tmp_path: Path) -> None:
    model = Model()
    x = unit(400)
    model.add(np.arange(400, dtype=np.int64), x)
    index = LayeredIndex(DIM, MODEL, _generation(tmp_path, model))
    errors: list[BaseException] = []
    stop = threading.Event()
    searches = 0

    def searching() -> None:
        nonlocal searches
        try:
            while not stop.is_set():
                _, found = index.search(x[:3], 1)
                assert found[:, 0].tolist() == [0, 1, 2]  # always served, old or new
                index.vectors([0, 1, 2])
                searches += 1
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    thread = threading.Thread(target=searching)
    thread.start()
    try:
        numbers = []
        for step in range(8):
            new_ids = np.arange(1000 + 10 * step, 1010 + 10 * step, dtype=np.int64)
            index.add(new_ids, unit(10, seed=50 + step))
            meta = index.save(tmp_path, watermark=f"w{step}")
            numbers.append(meta.number)
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join(30)
    assert errors == [] and searches > 0
    assert numbers == sorted(numbers) and read_pointer(tmp_path).number == numbers[-1]  # type: ignore[union-attr]
    assert index.count == 480 and index.delta_count == 0
    kept = sorted(p.name for p in tmp_path.glob("gen-*"))
    assert len(kept) <= 2  # current + the previous one in its grace period


_KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from matching.generations import Generation, WriterLock, write_generation
    root = sys.argv[1]
    lock = WriterLock(root)
    assert lock.acquire()
    base = Generation.open_current(root)
    x = np.random.default_rng(1).standard_normal((20000, 32)).astype(np.float32)

    def progress(done, total):
        print("writing", done, total, flush=True)
        time.sleep(30)  # killed here, mid-write

    write_generation(root, model_id="test-model", dim=32, watermark="w2", base=base,
                     ids=np.arange(20000) + 10_000, vectors=x, nlist=4, progress=progress)
    print("finished", flush=True)
    """
)


def test_a_writer_killed_mid_write_leaves_the_current_generation_usable(tmp_path: Path) -> None:
    model = Model()
    model.add(np.arange(300, dtype=np.int64), unit(300))
    first = _generation(tmp_path, model)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, str(tmp_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("writing"), (line, proc.stderr.read() if proc.stderr else "")
        assert list(tmp_path.glob(".tmp-gen-*"))  # a half-written generation exists
        assert not WriterLock(tmp_path).acquire()  # held by the writer
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    # the pointer still names the first generation, which maps and searches as before
    current = Generation.open_current(tmp_path, MODEL, DIM)
    assert current.number == first.number and current.count == 300
    q = unit(5, seed=8)
    _, found = LayeredIndex(DIM, MODEL, current).search(q, 5)
    np.testing.assert_array_equal(found, model.search(q, 5))
    # the kernel released the dead writer's lock; the next writer clears its leftovers
    lock = WriterLock(tmp_path)
    with lock.held() as got:
        assert got
        index = LayeredIndex(DIM, MODEL, current)
        index.add(np.array([9999]), unit(1, seed=9))
        meta = index.save(tmp_path, watermark="w3")
    assert not list(tmp_path.glob(".tmp-gen-*")) and meta.number > first.number
    assert Generation.open_current(tmp_path).count == 301


def test_stale_or_damaged_generations_are_refused(tmp_path: Path) -> None:
    model = Model()
    model.add(np.arange(50, dtype=np.int64), unit(50))
    with pytest.raises(StaleIndexError, match="no current"):
        Generation.open_current(tmp_path)
    gen = _generation(tmp_path, model)
    with pytest.raises(StaleIndexError, match="other-model"):
        Generation.open_current(tmp_path, "other-model", DIM)
    with pytest.raises(StaleIndexError, match="dim"):
        Generation.open_current(tmp_path, MODEL, 64)
    path = gen.path / "index.faiss"
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF  # one flipped byte in a vector
    path.write_bytes(bytes(data))
    with pytest.raises(StaleIndexError, match="does not match"):
        Generation.open_current(tmp_path, MODEL, DIM)
    (tmp_path / "CURRENT").write_text("{torn", encoding="utf-8")
    with pytest.raises(StaleIndexError):
        Generation.open_current(tmp_path, MODEL, DIM)


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    first, second = WriterLock(tmp_path), WriterLock(tmp_path)
    assert first.acquire()
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


_MAPPER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from matching.generations import Generation, LayeredIndex
    gen = Generation.open_current(sys.argv[1])
    index = LayeredIndex(gen.dim, gen.meta.model_id, gen)
    index.search(np.ones((1, gen.dim), dtype=np.float32), 10)
    index.vectors(np.asarray(gen.ids).tolist())  # touch every page of the file
    print("ready", flush=True)
    sys.stdin.readline()
    """
)


def _rollup(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        out[name.rstrip(":")] = int(value) * 1024
    return out


def test_two_processes_share_the_mapped_generation(tmp_path: Path) -> None:
    """Shared pages are real: with two mappers each process's proportional share of the
    generation's file pages is about half of them (PSS from /proc/<pid>/smaps_rollup)."""
    dim, n = 128, 40_000  # a 21 MB file
    write_generation(
        tmp_path,
        model_id=MODEL,
        dim=dim,
        watermark=None,
        ids=np.arange(n, dtype=np.int64),
        vectors=unit(n, dim=dim),
    )
    size = read_pointer(tmp_path).files["index.faiss"][0]  # type: ignore[union-attr]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _MAPPER, str(tmp_path)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        stats = [_rollup(p.pid) for p in procs]
    finally:
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("\n")
            proc.stdin.flush()
            proc.wait(30)
    for s in stats:
        assert s["Shared_Clean"] >= 0.9 * size  # the file pages are mapped by both
        assert s["Pss_File"] <= s["Rss"] - 0.4 * size  # and each is charged about half
    assert json.loads((tmp_path / "CURRENT").read_text())["count"] == n
