"""Vector index generations on disk, memory-mapped by every process that serves them.

A *generation* is an immutable IVF-Flat index written once into its own directory and read
by every worker process through ``mmap``: the vectors and ids are file pages in the kernel's
page cache, shared by all the processes that map them (faiss ``IO_FLAG_MMAP_IFC``: array
inverted lists that point into the mapped file instead of being copied). Layout::

    <root>/CURRENT                 pointer (JSON): number, model id, dim, count, watermark,
                                   files with their size and crc32; replaced atomically
    <root>/gen-000123/index.faiss  faiss IndexIVFFlat (1 list = exact below ``flat_limit``)
    <root>/gen-000123/ids.npy      the ids, sorted
    <root>/gen-000123/rows.npy     each sorted id's row in the file (lists in order)
    <root>/gen-000123/tags.npy     each sorted id's caller tag (e.g. a hash of its text)
    <root>/gen-000123/starts.npy   first row of each list (nlist + 1)

The inverted lists are written by this module, list by list, straight from the previous
generation's mapped rows and the new vectors, so a writer never holds the corpus in memory
(only the faiss header comes from ``faiss.serialize_index``). A writer works in a temporary
directory, fsyncs, renames it to ``gen-N`` and only then replaces ``CURRENT``: killed at any
point, it leaves the current generation as it was. One writer at a time
(:class:`WriterLock`, ``fcntl.flock`` on ``<root>/.writer.lock``).

:class:`LayeredIndex` is what a process searches: the mapped generation, minus the ids
removed or replaced since it was written (masked with an ``IDSelector``), plus a small
in-memory delta (:class:`~matching.faiss_index.FlatIndex`) for the rest; results are merged
by score. :meth:`LayeredIndex.rebase` switches to a newer generation without a pause: the
new one is mapped off to the side and the state is swapped by one reference assignment, so
searches in flight finish on the old generation (its mapping lives as long as they hold it,
even once its directory is deleted).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import shutil
import threading
import time
import uuid
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss as _faiss
import numpy as np

from matching.faiss_index import FlatIndex, default_nlist
from matching.index_meta import StaleIndexError, Watermark, write_json

faiss: Any = _faiss

__all__ = [
    "FLAT_LIMIT",
    "Generation",
    "GenerationMeta",
    "LayeredIndex",
    "NO_TAG",
    "Rebased",
    "WriterLock",
    "clean_generations",
    "pointer_stamp",
    "read_pointer",
    "vector_tags",
    "write_generation",
]

FORMAT = 1
POINTER = "CURRENT"
LOCK = ".writer.lock"
FLAT_LIMIT = 50_000  # below this one list: an exact scan (matching.index.FLAT_LIMIT)
EXACT_SUBSET = 4096  # a filter this small is scored exactly from the mapped rows
_CHUNK = 65_536
NO_TAG = int(np.iinfo(np.int64).min)  # "no vector held" in LayeredIndex.tags_of
_READ_FLAGS = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY


@dataclass(frozen=True)
class GenerationMeta:
    """What ``CURRENT`` (and ``gen-N/meta.json``) says about a generation."""

    number: int
    model_id: str
    dim: int
    count: int
    nlist: int
    nprobe: int
    watermark: Watermark
    created_at: str
    files: dict[str, list[int]] = field(default_factory=dict)  # name → [bytes, crc32]
    format: int = FORMAT

    @property
    def dirname(self) -> str:
        return f"gen-{self.number:06d}"


# --- the pointer ------------------------------------------------------------------------
def read_pointer(root: str | Path) -> GenerationMeta | None:
    """The current generation's metadata, or None when there is none (or it is unreadable)."""
    try:
        raw = json.loads((Path(root) / POINTER).read_text(encoding="utf-8"))
        meta = GenerationMeta(**raw)
    except (OSError, ValueError, TypeError):
        return None
    return meta if meta.format == FORMAT else None


def pointer_stamp(root: str | Path) -> tuple[int, int] | None:
    """A cheap fingerprint of ``CURRENT`` (inode, mtime): it changes when a writer replaces it."""
    try:
        st = os.stat(Path(root) / POINTER)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


# --- a mapped generation ------------------------------------------------------------------
class Generation:
    """One generation, mapped read-only; immutable, safe to search from many threads."""

    def __init__(self, root: Path, meta: GenerationMeta, *, verify: bool = True) -> None:
        self.root, self.meta = root, meta
        self.path = root / meta.dirname
        if (self.path / CORRUPT).exists():
            raise StaleIndexError(f"generation {meta.number} was found corrupt")
        if verify:
            _verify(self.path, meta.files)
        else:
            for name, (size, _) in meta.files.items():
                if not (self.path / name).is_file() or (self.path / name).stat().st_size != size:
                    raise StaleIndexError(f"generation file {name} is missing or torn")
        try:
            self.index = faiss.read_index(str(self.path / "index.faiss"), _READ_FLAGS)
        except RuntimeError as exc:
            raise StaleIndexError(f"generation index unreadable: {exc}") from exc
        if self.index.d != meta.dim or self.index.ntotal != meta.count:
            raise StaleIndexError("generation index does not match its metadata")
        self.ids: np.ndarray = np.load(self.path / "ids.npy", mmap_mode="r")
        self.rows: np.ndarray = np.load(self.path / "rows.npy", mmap_mode="r")
        self.tags: np.ndarray = np.load(self.path / "tags.npy", mmap_mode="r")
        self.starts: np.ndarray = np.load(self.path / "starts.npy")
        data_start = int(meta.files["index.faiss"][0]) - _lists_bytes(self.starts, meta.dim)
        # A second mapping of the same file pages: the lists as float32, for reads by id.
        self._data = np.memmap(
            self.path / "index.faiss", dtype=np.float32, mode="r", offset=data_start
        )

    @property
    def number(self) -> int:
        return self.meta.number

    def verify(self) -> bool:
        """Check every file's size and crc32 against the pointer (reads the whole generation:
        ~5 s at a million vectors, so a server does it in the background after it starts
        serving, see ``open_current(verify=False)``). The outcome is recorded in the
        generation's directory (``VERIFIED`` / ``CORRUPT``), so other processes mapping it
        need not read it again; a corrupt one is refused by every later open."""
        if (self.path / CORRUPT).exists():
            return False
        if (self.path / VERIFIED).exists():
            return True
        try:
            _verify(self.path, self.meta.files)
        except StaleIndexError:
            self.mark_corrupt()
            return False
        _touch(self.path / VERIFIED)
        return True

    def mark_corrupt(self) -> None:
        """Record that this generation must not be served (nor copied into the next one)."""
        _touch(self.path / CORRUPT)

    @property
    def corrupt(self) -> bool:
        return (self.path / CORRUPT).exists()

    @property
    def dim(self) -> int:
        return self.meta.dim

    @property
    def count(self) -> int:
        return self.meta.count

    @classmethod
    def open_current(
        cls,
        root: str | Path,
        expect_model_id: str | None = None,
        expect_dim: int | None = None,
        *,
        verify: bool = True,
    ) -> Generation:
        """Map the generation ``CURRENT`` names; :class:`StaleIndexError` if there is none, it
        was written for another model or dimension, or its files do not match the pointer."""
        root = Path(root)
        meta = read_pointer(root)
        if meta is None:
            raise StaleIndexError(f"no current generation under {root}")
        if expect_model_id is not None and meta.model_id != expect_model_id:
            raise StaleIndexError(
                f"generation built for {meta.model_id!r}, not {expect_model_id!r}"
            )
        if expect_dim is not None and meta.dim != expect_dim:
            raise StaleIndexError(f"generation has dim {meta.dim}, expected {expect_dim}")
        return cls(root, meta, verify=verify)

    def positions(self, ids: np.ndarray) -> np.ndarray:
        """Index of each id in :attr:`ids`, or -1 when absent."""
        ids = np.asarray(ids, dtype=np.int64)
        if not len(self.ids) or not len(ids):
            return np.full(len(ids), -1, dtype=np.int64)
        at = np.searchsorted(self.ids, ids)
        at[at >= len(self.ids)] = 0
        return np.where(self.ids[at] == ids, at, -1)

    def vectors_at(self, positions: np.ndarray) -> np.ndarray:
        """The vectors of the ids at ``positions`` (all valid), read from the mapped file."""
        rows = np.asarray(self.rows[positions], dtype=np.int64)
        lists = np.searchsorted(self.starts, rows, side="right") - 1
        # a list holds its rows (dim floats each), then their ids (2 floats' width each)
        first = rows * self.dim + self.starts[lists] * 2
        take = first[:, None] + np.arange(self.dim)[None, :]
        return np.asarray(self._data[take], dtype=np.float32).reshape(len(rows), self.dim)

    def search(
        self, q: np.ndarray, k: int, masked: np.ndarray, allowed: np.ndarray | None, sel: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` of the generation minus ``masked`` (``sel`` excludes them), within
        ``allowed`` (sorted ids; None = all)."""
        nprobe = self.meta.nprobe
        if allowed is not None:
            pos = self.positions(allowed)
            allowed = allowed[pos >= 0]
            keep = ~np.isin(allowed, masked, assume_unique=True) if len(masked) else None
            if keep is not None:
                allowed, pos = allowed[keep], pos[pos >= 0][keep]
            else:
                pos = pos[pos >= 0]
            if not len(allowed):
                return _empty(len(q), k)
            if len(allowed) <= EXACT_SUBSET:
                return _exact(self.vectors_at(pos), allowed, q, k)
            fraction = len(allowed) / max(1, self.count)
            nprobe = min(self.meta.nlist, math.ceil(nprobe / fraction))
            sel = faiss.IDSelectorBatch(allowed)
        params = faiss.SearchParametersIVF(nprobe=nprobe) if sel is None else None
        if params is None:
            params = faiss.SearchParametersIVF(sel=sel, nprobe=nprobe)
        d, i = self.index.search(q, k, params=params)
        short = (i < 0).any(axis=1)
        if allowed is not None and short.any() and nprobe < self.meta.nlist:
            full = faiss.SearchParametersIVF(sel=sel, nprobe=self.meta.nlist)
            d[short], i[short] = self.index.search(np.ascontiguousarray(q[short]), k, params=full)
        return d, i


def _lists_bytes(starts: np.ndarray, dim: int) -> int:
    """Bytes of the rows and ids after the header (codes and ids of every list)."""
    return int(starts[-1]) * (dim * 4 + 8)


def _empty(nq: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full((nq, k), -np.inf, dtype=np.float32), np.full((nq, k), -1, dtype=np.int64)


def _exact(
    vecs: np.ndarray, ids: np.ndarray, q: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    scores, found = _empty(len(q), k)
    if not len(ids):
        return scores, found
    sims = q @ vecs.T
    kk = min(k, len(ids))
    top = np.argsort(-sims, axis=1, kind="stable")[:, :kk]
    scores[:, :kk], found[:, :kk] = np.take_along_axis(sims, top, axis=1), ids[top]
    return scores, found


CORRUPT = "CORRUPT"  # marker files in a generation's directory: see Generation.verify
VERIFIED = "VERIFIED"


def _touch(path: Path) -> None:
    try:
        path.touch()
    except OSError:  # a read-only directory: the outcome is simply not shared
        pass


def _verify(path: Path, files: dict[str, list[int]]) -> None:
    if not files:
        raise StaleIndexError("generation metadata lists no files")
    for name, (size, crc) in files.items():
        try:
            got = _file_crc(path / name)
        except OSError as exc:
            raise StaleIndexError(f"generation file {name} unreadable: {exc}") from exc
        if got != (size, crc):
            raise StaleIndexError(f"generation file {name} does not match its metadata")


def _file_crc(path: Path) -> tuple[int, int]:
    crc, size = 0, 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            crc, size = zlib.crc32(chunk, crc), size + len(chunk)
    return size, crc


# --- writing -----------------------------------------------------------------------------
class WriterLock:
    """One generation writer at a time across processes (``fcntl.flock``, released by the
    kernel when the holder dies)."""

    def __init__(self, root: str | Path) -> None:
        self.path = Path(root) / LOCK
        self._fd: int | None = None

    def acquire(self, blocking: bool = False) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @contextmanager
    def held(self, blocking: bool = False) -> Iterator[bool]:
        got = self.acquire(blocking)
        try:
            yield got
        finally:
            if got:
                self.release()


@dataclass
class _Source:
    """Where the next generation's rows come from: kept rows of the base, then new ones."""

    base: Generation | None
    base_pos: np.ndarray  # positions (in base.ids) of the kept base rows
    ids: np.ndarray  # new ids
    vectors: np.ndarray  # new vectors (normalised)
    tags: np.ndarray


def write_generation(
    root: str | Path,
    *,
    model_id: str,
    dim: int,
    watermark: Watermark,
    base: Generation | None = None,
    drop: Iterable[int] = (),
    ids: np.ndarray | None = None,
    vectors: np.ndarray | None = None,
    tags: np.ndarray | None = None,
    flat_limit: int = FLAT_LIMIT,
    nlist: int | None = None,
    keep_seconds: float = 60.0,
    progress: Any = None,
) -> GenerationMeta:
    """Write the next generation: ``base`` minus ``drop`` plus (``ids``, ``vectors``, ``tags``)
    (which replace base rows of the same id), then point ``CURRENT`` at it.

    The caller holds the :class:`WriterLock`. The base's coarse quantizer is reused while its
    list count still fits the corpus (then only the new rows are assigned); otherwise k-means
    is trained on a sample. Old generations are removed once they are neither current nor the
    previous one kept for ``keep_seconds``."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    new_ids = np.asarray(ids if ids is not None else np.zeros(0), dtype=np.int64)
    new_vecs = np.asarray(
        vectors if vectors is not None else np.zeros((0, dim)), dtype=np.float32
    ).reshape(len(new_ids), dim)
    new_tags = np.asarray(tags if tags is not None else vector_tags(new_vecs), dtype=np.int64)
    if len(new_ids):  # last wins within the batch
        _, last = np.unique(new_ids[::-1], return_index=True)
        keep = np.sort(len(new_ids) - 1 - last)
        new_ids, new_vecs, new_tags = new_ids[keep], new_vecs[keep], new_tags[keep]
    norms = np.linalg.norm(new_vecs, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    new_vecs = np.ascontiguousarray(new_vecs / norms, dtype=np.float32)
    if base is not None and base.dim != dim:
        base = None
    base_pos = np.zeros(0, dtype=np.int64)
    if base is not None:
        gone = np.union1d(np.fromiter((int(i) for i in drop), np.int64), new_ids)
        base_pos = np.flatnonzero(~np.isin(base.ids, gone))
    src = _Source(base, base_pos, new_ids, new_vecs, new_tags)
    total = len(base_pos) + len(new_ids)
    if nlist is None:
        nlist = 1 if total < flat_limit else default_nlist(total)
    quantizer, base_lists = _quantizer(src, dim, nlist)
    nprobe = 1 if nlist == 1 else max(8, nlist // 64)
    number = _next_number(root)
    tmp = root / f".tmp-gen-{number:06d}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        files = _write_files(tmp, src, quantizer, nlist, nprobe, base_lists, progress)
        meta = GenerationMeta(
            number=number,
            model_id=model_id,
            dim=dim,
            count=total,
            nlist=nlist,
            nprobe=nprobe,
            watermark=watermark,
            created_at=datetime.now(UTC).isoformat(),
            files=files,
        )
        write_json(tmp / "meta.json", asdict(meta))
        _fsync_dir(tmp)
        os.rename(tmp, root / meta.dirname)
        _fsync_dir(root)
        write_json(root / POINTER, asdict(meta))  # the switch: one atomic rename
        _fsync_dir(root)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    clean_generations(root, keep_seconds)
    return meta


def _quantizer(src: _Source, dim: int, nlist: int) -> tuple[Any, bool]:
    """(coarse quantizer, whether the base's list assignment is kept)."""
    base = src.base
    if base is not None and base.meta.nlist == nlist:
        centroids = base.index.quantizer.reconstruct_n(0, nlist)
        q = faiss.IndexFlatIP(dim)
        q.add(centroids)
        return q, True
    q = faiss.IndexFlatIP(dim)
    if nlist == 1:
        q.add(np.zeros((1, dim), dtype=np.float32))
        return q, False
    total = len(src.base_pos) + len(src.ids)
    rng = np.random.default_rng(0)
    n = min(total, 64 * nlist)
    pick = np.sort(rng.choice(total, n, replace=False))
    sample = _rows_of(src, pick)
    ivf = faiss.IndexIVFFlat(q, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.cp.niter = 10
    ivf.train(sample)
    out = faiss.IndexFlatIP(dim)
    out.add(q.reconstruct_n(0, nlist))
    return out, False


def _rows_of(src: _Source, which: np.ndarray) -> np.ndarray:
    """Rows ``which`` of the virtual sequence (kept base rows, then new rows)."""
    nb = len(src.base_pos)
    out = np.empty((len(which), src.vectors.shape[1]), np.float32)
    from_base = which < nb
    if from_base.any():
        assert src.base is not None
        for start in range(0, int(from_base.sum()), _CHUNK):
            part = np.flatnonzero(from_base)[start : start + _CHUNK]
            out[part] = src.base.vectors_at(src.base_pos[which[part]])
    if (~from_base).any():
        out[~from_base] = src.vectors[which[~from_base] - nb]
    return out


def _assign(src: _Source, quantizer: Any, keep_base: bool) -> np.ndarray:
    """The list of every row of the virtual sequence."""
    nb = len(src.base_pos)
    lists = np.empty(nb + len(src.ids), dtype=np.int64)
    if quantizer.ntotal == 1:
        lists[:] = 0
        return lists
    if keep_base and nb:
        assert src.base is not None
        rows = np.asarray(src.base.rows[src.base_pos], dtype=np.int64)
        lists[:nb] = np.searchsorted(src.base.starts, rows, side="right") - 1
        start = nb
    else:
        start = 0
    for s in range(start, len(lists), _CHUNK):
        part = np.arange(s, min(len(lists), s + _CHUNK))
        lists[part] = quantizer.search(_rows_of(src, part), 1)[1][:, 0]
    return lists


def _write_files(
    tmp: Path, src: _Source, quantizer: Any, nlist: int, nprobe: int, keep_base: bool, progress: Any
) -> dict[str, list[int]]:
    dim = quantizer.d
    lists = _assign(src, quantizer, keep_base)
    order = np.argsort(lists, kind="stable")  # rows grouped by list, base rows first
    sizes = np.bincount(lists, minlength=nlist).astype(np.uint64)
    starts = np.zeros(nlist + 1, dtype=np.int64)
    starts[1:] = np.cumsum(sizes.astype(np.int64))
    n = len(order)
    all_ids = np.empty(n, dtype=np.int64)
    all_tags = np.empty(n, dtype=np.int64)
    nb = len(src.base_pos)
    if nb:
        assert src.base is not None
        all_ids[:nb] = src.base.ids[src.base_pos]
        all_tags[:nb] = src.base.tags[src.base_pos]
    all_ids[nb:], all_tags[nb:] = src.ids, src.tags
    header = _ivf_header(quantizer, dim, nlist, nprobe, n)
    path = tmp / "index.faiss"
    crc, size = 0, 0
    with open(path, "wb") as f:

        def put(data: bytes | memoryview) -> None:
            nonlocal crc, size
            f.write(data)
            crc, size = zlib.crc32(data, crc), size + len(data)

        put(header)
        put(b"ilar" + np.array([nlist, dim * 4], dtype=np.uint64).tobytes() + b"full")
        put(np.array([nlist], dtype=np.uint64).tobytes() + sizes.tobytes())
        done = 0
        for lst in range(nlist):
            rows = order[starts[lst] : starts[lst + 1]]
            if not len(rows):
                continue
            for s in range(0, len(rows), _CHUNK):
                put(np.ascontiguousarray(_rows_of(src, rows[s : s + _CHUNK])).tobytes())
            put(all_ids[rows].tobytes())
            done += len(rows)
            if progress is not None and (lst % 256 == 0 or done == n):
                progress(done, n)
        f.flush()
        os.fsync(f.fileno())
    files = {"index.faiss": [size, crc]}
    sort = np.argsort(all_ids[order], kind="stable")
    file_rows = np.empty(n, dtype=np.int64)
    file_rows[order] = np.arange(n)  # virtual row → row in the file
    for name, arr in (
        ("ids.npy", all_ids[order][sort]),
        ("rows.npy", np.arange(n, dtype=np.int64)[sort]),
        ("tags.npy", all_tags[order][sort]),
        ("starts.npy", starts),
    ):
        files[name] = _save_npy(tmp / name, arr)
    return files


def _ivf_header(quantizer: Any, dim: int, nlist: int, nprobe: int, ntotal: int) -> bytes:
    """faiss's own bytes for an IndexIVFFlat with empty lists, minus the lists themselves."""
    ivf = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.is_trained = True
    ivf.nprobe = nprobe
    ivf.ntotal = ntotal
    raw = faiss.serialize_index(ivf).tobytes()
    tail = (
        b"ilar"
        + np.array([nlist, dim * 4], dtype=np.uint64).tobytes()
        + b"sprs"
        + np.zeros(1, dtype=np.uint64).tobytes()
    )
    if not raw.endswith(tail):  # a faiss release changed its array-lists layout
        raise RuntimeError("unexpected faiss IVF serialisation; generations need updating")
    return raw[: -len(tail)]


def _save_npy(path: Path, arr: np.ndarray) -> list[int]:
    with open(path, "wb") as f:
        np.save(f, np.ascontiguousarray(arr))
        f.flush()
        os.fsync(f.fileno())
    size, crc = _file_crc(path)
    return [size, crc]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _numbers(root: Path) -> list[int]:
    out = []
    for p in root.glob("gen-*"):
        try:
            out.append(int(p.name[4:]))
        except ValueError:
            continue
    return out


def _next_number(root: Path) -> int:
    current = read_pointer(root)
    return max([0, *_numbers(root), current.number if current else 0]) + 1


def clean_generations(root: str | Path, keep_seconds: float = 60.0) -> list[str]:
    """Remove generations that are neither current nor the newest older one still within its
    grace period, and temporary directories of killed writers (call with the writer lock)."""
    root = Path(root)
    current = read_pointer(root)
    removed = []
    for tmp in root.glob(".tmp-gen-*"):
        shutil.rmtree(tmp, ignore_errors=True)
        removed.append(tmp.name)
    if current is None:
        return removed
    older = sorted((n for n in _numbers(root) if n < current.number), reverse=True)
    now = time.time()
    for rank, number in enumerate(older):
        path = root / f"gen-{number:06d}"
        try:
            age = now - (root / current.dirname).stat().st_mtime
        except OSError:
            age = float("inf")
        if rank == 0 and age < keep_seconds:
            continue  # the previous one: readers that just read the old pointer may map it
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path.name)
    for number in _numbers(root):  # generations written by a newer writer than the pointer's
        if number > current.number:
            path = root / f"gen-{number:06d}"
            if now - path.stat().st_mtime > keep_seconds:
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path.name)
    return removed


# --- what a process searches ---------------------------------------------------------------
@dataclass(frozen=True)
class _State:
    base: Generation | None
    delta: FlatIndex
    masked: np.ndarray  # sorted base ids hidden (removed, or replaced by the delta)
    sel: Any  # IDSelector excluding ``masked`` (None when nothing is masked)


def _not_in(masked: np.ndarray) -> Any:
    if not len(masked):
        return None
    inner = faiss.IDSelectorBatch(masked)
    outer = faiss.IDSelectorNot(inner)
    outer.referenced_objects = [inner]  # keep the wrapped selector alive
    return outer


@dataclass(frozen=True)
class Rebased:
    """What changed for a reader when it moved to a newer generation."""

    changed: np.ndarray  # ids now served by the generation with a tag the reader did not have
    gone: np.ndarray  # ids the reader had that neither the generation nor its delta hold now


class LayeredIndex:
    """A :class:`~matching.index.VectorIndex`: a mapped :class:`Generation` (or none) plus an
    in-memory delta; ids re-added or removed since the generation was written are masked out
    of it. Each id carries a tag (an int64 the caller chooses, e.g. a hash of its text) so a
    newer generation can tell which delta rows it already holds."""

    def __init__(
        self,
        dim: int,
        model_id: str = "",
        base: Generation | None = None,
        watermark: Watermark = None,
    ) -> None:
        if base is not None and base.dim != dim:
            raise ValueError(f"generation has dim {base.dim}, expected {dim}")
        self._dim = int(dim)
        self.model_id = model_id
        self.watermark = (
            watermark if watermark is not None else (base.meta.watermark if base else None)
        )
        empty = np.zeros(0, dtype=np.int64)
        self._state = _State(base, FlatIndex(dim, model_id), empty, None)
        self._tags: dict[int, int] = {}  # delta id → tag
        self._mutate = threading.Lock()
        self._version = 0  # bumped by every change (the ids() cache)
        self._ids_cache: tuple[_State, int, np.ndarray] | None = None

    # --- facts ------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return self._dim

    @property
    def base(self) -> Generation | None:
        return self._state.base

    @property
    def delta_count(self) -> int:
        return self._state.delta.count

    @property
    def masked_count(self) -> int:
        return len(self._state.masked)

    @property
    def count(self) -> int:
        st = self._state
        base = st.base.count - len(st.masked) if st.base is not None else 0
        return base + st.delta.count

    def __len__(self) -> int:
        return self.count

    def __contains__(self, id_: object) -> bool:
        if not isinstance(id_, int | np.integer):
            return False
        return bool(self.contains_many(np.array([int(id_)], dtype=np.int64))[0])

    def contains_many(self, ids: np.ndarray) -> np.ndarray:
        """Membership of each id (vectorised)."""
        st = self._state
        ids = np.asarray(ids, dtype=np.int64)
        out = np.fromiter((int(i) in st.delta for i in ids.tolist()), bool, count=len(ids))
        if st.base is not None and len(ids):
            in_base = st.base.positions(ids) >= 0
            if len(st.masked):
                in_base &= ~np.isin(ids, st.masked)
            out |= in_base
        return out

    def tag(self, id_: int) -> int | None:
        """The tag of the vector held for ``id_``, or None when it is not held."""
        st = self._state
        tag = self._tags.get(id_)
        if tag is not None and id_ in st.delta:
            return tag
        if st.base is None or _in_sorted(st.masked, id_):
            return None
        pos = st.base.positions(np.array([id_], dtype=np.int64))[0]
        return int(st.base.tags[pos]) if pos >= 0 else None

    def ids(self) -> np.ndarray:
        """All ids held, sorted (linear in the generation's size; cached until a change)."""
        st, version = self._state, self._version
        cached = self._ids_cache
        if cached is not None and cached[0] is st and cached[1] == version:
            return cached[2]
        delta = st.delta.ids()
        if st.base is None:
            out = delta
        else:
            base = np.asarray(st.base.ids)
            if len(st.masked):
                pos = st.base.positions(st.masked)
                base = np.delete(base, pos[pos >= 0])
            # delta ids are never among the unmasked generation ids: merge two sorted arrays
            out = np.insert(base, np.searchsorted(base, delta), delta)
        self._ids_cache = (st, version, out)
        return out

    def tags_of(self, ids: np.ndarray) -> np.ndarray:
        """Each id's tag, or ``NO_TAG`` when no vector is held for it (vectorised)."""
        with self._mutate:
            return self._tags_of(self._state, np.asarray(ids, dtype=np.int64))

    # --- changes ----------------------------------------------------------------------
    def add(self, ids: np.ndarray, vectors: np.ndarray, tags: Sequence[int] | None = None) -> None:
        """Insert or replace in the delta; the generation's rows of these ids are masked."""
        id_arr = np.asarray(ids, dtype=np.int64).ravel()
        vecs = self._state.delta._vectors(vectors, len(id_arr))  # validated, normalised
        tag_arr = vector_tags(vecs) if tags is None else np.asarray(tags, dtype=np.int64)
        with self._mutate:
            st = self._state
            st.delta.add(id_arr, vecs)  # the last vector of an id wins
            for i, tag in zip(id_arr.tolist(), tag_arr.tolist(), strict=True):
                self._tags[i] = tag
            self._mask(st, id_arr)
            self._version += 1

    def remove(self, ids: Iterable[int]) -> int:
        id_arr = np.unique(np.fromiter((int(i) for i in ids), np.int64))
        with self._mutate:
            st = self._state
            present = self.contains_many(id_arr)
            st.delta.remove(id_arr.tolist())
            for i in id_arr.tolist():
                self._tags.pop(i, None)
            self._mask(self._state, id_arr)
            self._version += 1
            return int(present.sum())

    def _mask(self, st: _State, ids: np.ndarray) -> None:
        if st.base is None or not len(ids):
            return
        hit = ids[st.base.positions(ids) >= 0]
        fresh = np.setdiff1d(hit, st.masked)
        if len(fresh):
            masked = np.union1d(st.masked, fresh)
            self._state = _State(st.base, st.delta, masked, _not_in(masked))

    # --- search -----------------------------------------------------------------------
    def search(
        self, queries: np.ndarray, k: int, allowed_ids: Iterable[int] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        if k <= 0:
            raise ValueError("k must be positive")
        st = self._state  # one state for the whole search, whatever a rebase does meanwhile
        q = st.delta._vectors(queries)
        allowed = None
        if allowed_ids is not None:
            raw = allowed_ids if isinstance(allowed_ids, np.ndarray) else list(allowed_ids)
            allowed = np.unique(np.asarray(raw, dtype=np.int64))
        ds, di = st.delta.search(q, k, allowed_ids=None if allowed is None else allowed.tolist())
        if st.base is None or not len(q):
            return ds, di
        bs, bi = st.base.search(q, k, st.masked, allowed, st.sel)
        return _merge(bs, bi, ds, di, k)

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        st = self._state
        id_arr = np.asarray(list(ids), dtype=np.int64)
        out = np.empty((len(id_arr), self._dim), dtype=np.float32)
        if not len(id_arr):
            return out
        in_delta = np.fromiter((int(i) in st.delta for i in id_arr.tolist()), bool, len(id_arr))
        if in_delta.any():
            out[in_delta] = st.delta.vectors(id_arr[in_delta].tolist())
        if (~in_delta).any():
            if st.base is None:
                raise KeyError("ids not in the index")
            pos = st.base.positions(id_arr[~in_delta])
            if (pos < 0).any():
                raise KeyError("ids not in the index")
            out[~in_delta] = st.base.vectors_at(pos)
        return out

    # --- generations -------------------------------------------------------------------
    def snapshot(self) -> tuple[Generation | None, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(generation, masked ids, delta ids, delta vectors, delta tags): a writer's input."""
        with self._mutate:
            st = self._state
            ids = st.delta.ids()
            tags = np.array([self._tags.get(int(i), 0) for i in ids.tolist()], dtype=np.int64)
            vecs = st.delta.vectors(ids.tolist())
            return st.base, st.masked.copy(), ids, vecs, tags

    def save(self, path: str | Path, watermark: Watermark = None) -> GenerationMeta:
        """Write everything held as the next generation under ``path`` (a generations root;
        the caller holds its :class:`WriterLock`) and rebase onto it."""
        if watermark is not None:
            self.watermark = watermark
        base, masked, ids, vecs, tags = self.snapshot()
        meta = write_generation(
            path,
            model_id=self.model_id,
            dim=self._dim,
            watermark=self.watermark,
            base=base,
            drop=masked.tolist(),
            ids=ids,
            vectors=vecs,
            tags=tags,
        )
        self.rebase(Generation(Path(path), meta, verify=False))
        return meta

    def rebase(self, new: Generation) -> Rebased:
        """Serve ``new`` from now on: delta rows it holds with the same tag leave the delta,
        the rest stay and mask its rows, ids removed here stay masked. The mapping and the
        arithmetic happen before the swap; searches never wait for it."""
        if new.dim != self._dim:
            raise ValueError(f"generation has dim {new.dim}, expected {self._dim}")
        with self._mutate:
            st = self._state
            old_ids = self.ids()
            delta_ids = st.delta.ids()
            pos = new.positions(delta_ids)
            delta_tags = np.array([self._tags.get(int(i), 0) for i in delta_ids.tolist()], np.int64)
            same = (pos >= 0) & (np.asarray(new.tags)[np.maximum(pos, 0)] == delta_tags)
            keep_ids = delta_ids[~same]
            delta = FlatIndex(self._dim, self.model_id)
            if len(keep_ids):
                delta.add(keep_ids, st.delta.vectors(keep_ids.tolist()))
            # ids removed here (masked in the old generation and not in the delta)
            removed = np.setdiff1d(st.masked, delta_ids) if st.base is not None else st.masked
            masked = np.union1d(keep_ids, removed)
            masked = masked[new.positions(masked) >= 0]
            # what the reader's view says about each id the new generation serves
            served = np.asarray(new.ids)
            if len(masked):
                served = served[~np.isin(served, masked, assume_unique=True)]
            old_tags = self._tags_of(st, served)
            new_tags = np.asarray(new.tags)[new.positions(served)]
            changed = served[(old_tags != new_tags) | (old_tags == NO_TAG)]
            new_state = _State(new, delta, masked, _not_in(masked))
            self._tags = {int(i): self._tags.get(int(i), 0) for i in keep_ids.tolist()}
            self._state = new_state
            self.watermark = new.meta.watermark
            now_ids = np.union1d(served, keep_ids)
            gone = np.setdiff1d(old_ids, now_ids)
            return Rebased(changed=changed, gone=gone)

    def _tags_of(self, st: _State, ids: np.ndarray) -> np.ndarray:
        """Each id's tag in the state ``st`` (``NO_TAG`` when it holds no vector for it)."""
        out = np.full(len(ids), NO_TAG, dtype=np.int64)
        if st.base is not None and len(ids):
            pos = st.base.positions(ids)
            ok = pos >= 0
            if len(st.masked):
                ok &= ~np.isin(ids, st.masked)
            out[ok] = np.asarray(st.base.tags)[pos[ok]]
        held = [(i, t) for i, t in self._tags.items() if i in st.delta]
        if held and len(ids):
            d_ids = np.array([i for i, _ in held], dtype=np.int64)
            d_tags = np.array([t for _, t in held], dtype=np.int64)
            order = np.argsort(ids, kind="stable")
            at = np.minimum(np.searchsorted(ids[order], d_ids), len(ids) - 1)
            hit = ids[order][at] == d_ids
            out[order[at[hit]]] = d_tags[hit]
        return out


def vector_tags(vectors: np.ndarray) -> np.ndarray:
    """A tag per row from its bytes (the default when the caller gives none)."""
    rows = np.ascontiguousarray(vectors, dtype=np.float32)
    out = np.empty(len(rows), dtype=np.int64)
    for n, row in enumerate(rows):
        digest = hashlib.blake2b(row.tobytes(), digest_size=8).digest()
        out[n] = int.from_bytes(digest, "little") & 0x7FFF_FFFF_FFFF_FFFF
    return out


def _in_sorted(arr: np.ndarray, value: int) -> bool:
    at = int(np.searchsorted(arr, value))
    return at < len(arr) and int(arr[at]) == value


def _merge(
    bs: np.ndarray, bi: np.ndarray, ds: np.ndarray, di: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` of two result sets by score; an id in both keeps the delta's row."""
    scores = np.concatenate([ds, bs], axis=1)
    found = np.concatenate([di, bi], axis=1)
    out_s, out_i = _empty(len(scores), k)
    for r in range(len(scores)):
        order = np.argsort(-scores[r], kind="stable")
        seen: set[int] = set()
        n = 0
        for c in order:
            i = int(found[r, c])
            if i < 0 or i in seen:
                continue
            seen.add(i)
            out_s[r, n], out_i[r, n] = scores[r, c], i
            n += 1
            if n == k:
                break
    return out_s, out_i
