"""The retrieval benchmark's corpus generator and the CLI wiring (tiny sizes, hash embedder)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matching.bench import main, mixture_chunks, real_texts


def test_mixture_chunks_are_unit_vectors_in_chunks() -> None:
    base = np.eye(8, dtype=np.float32)
    chunks = list(mixture_chunks(base, 25, np.random.default_rng(0), noise=0.0, chunk=10))
    assert [len(c) for c in chunks] == [10, 10, 5]
    x = np.vstack(chunks)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    assert ((x > 0).sum(axis=1) <= 4).all() and ((x > 0).sum(axis=1) >= 1).all()


def test_real_texts_include_the_builtin_sentences() -> None:
    docs, queries = real_texts()
    assert len(docs) >= 100 and len(queries) >= 100
    assert "叉车AGV激光自然导航，无需反光板即可实现厘米级定位。" in docs


def test_retrieval_bench_runs_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["retrieval", "--n", "3000", "--queries", "20", "--embedder", "hash:64", "--dim", "64"]
    assert main([*argv, "--index", "ivf", "--cache-dir", str(tmp_path)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("ann p50_ms=") and "recall@10=" in last


def test_turns_bench_prints_the_request_wait(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["turns", "--batch", "4", "--queries", "1", "--modes", "background"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("turns background wait_p50_ms=") and "bg_passages_per_s=" in last
