"""The per-process index store: one FAISS index and one `Matcher` per side.

The keyword index is not held here: it lives in the database (`service.engine.keywords`),
written beside each vector and read per ranking in the caller's session (`session=`), so
every process sees a posting at once and start-up tokenises nothing. The matcher keeps the
postings' `Doc`s (filters, indicators, explanations).

The database is the source of truth. At start-up a side loads `var/index/<kind>.faiss` when
its metadata names the current model and dimension, and reconciles it with `posting_vectors`
(rows newer than the saved watermark, minus a lookback, are reloaded); otherwise it rebuilds
from the table. Before each ranking, `catch_up` reads the (id, hash, time) heads of rows
stamped after the watermark — a cheap indexed query — and loads only the rows whose hash it
has not seen, so API processes see each other's new postings. Every few seconds the window
opens a lookback earlier, for commit-order gaps (a row stamped earlier but committed later
than one already seen).

Each vector is held once, in the side's FAISS index, which is also the matcher's vector
store (`matching.retrieval.IndexVectors`). Rankings never wait for each other: the matcher
reads under a shared lock, and only one thread catches up at a time while the others rank
with what is loaded (a catch-up applies its rows in one short exclusive step).
"""

import gc
import logging
import threading
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from matching.documents import Doc
from matching.embedders import Embedder
from matching.index import StaleIndexError, VectorIndex, build_index, load_index
from matching.keywords import KeywordIndex
from matching.model import RankModel, default_model
from matching.ranking import Match, Matcher
from matching.retrieval import IndexVectors
from service.config import get_settings
from service.engine import learning, repository
from service.engine.documents import KINDS, Kind, to_doc
from service.engine.keywords import DatabaseKeywords
from service.engine.vectors import as_array, get_embedder
from service.kit.db import utcnow

log = logging.getLogger("jiebang.engine")


@dataclass
class _Side:
    kind: Kind
    index: VectorIndex
    matcher: Matcher
    hashes: dict[int, str] = field(default_factory=dict)  # posting id → hash now indexed
    watermark: datetime | None = None


class IndexStore:
    """Both sides' indexes for one embedding model, caught up from the database."""

    def __init__(
        self,
        embedder: Embedder,
        index_dir: Path | None = None,
        lookback: timedelta = timedelta(seconds=120),
        rescan_every: timedelta = timedelta(seconds=5),
        pool: int = 200,
        keywords: str = "database",
    ) -> None:
        self.embedder = embedder
        self.keywords = keywords  # "database": the shared tables; "memory": per process
        self.model_id = embedder.model_id
        self.dim = embedder.dim
        self.index_dir = index_dir
        self.lookback = lookback
        self.rescan_every = rescan_every
        self.pool = pool  # candidates per retriever (dense, keyword) the matcher scores
        self._last_rescan = -float("inf")
        self._scanned_at: datetime | None = None  # wall clock when the last full scan began
        self.rank_model: RankModel = default_model()  # the newest stored one, see use_newest_model
        self.rank_model_id: int | None = None
        self._sides = {kind: self._empty(kind) for kind in KINDS}
        self._catch_up_lock = threading.Lock()
        self.loaded = threading.Event()

    def _empty(self, kind: Kind, size_hint: int = 0) -> _Side:
        index = build_index(self.embedder.dim, size_hint, self.model_id)
        return _Side(kind, index, self._matcher(kind, index))

    def _matcher(self, kind: Kind, index: VectorIndex) -> Matcher:
        return Matcher(
            self.embedder,
            vectors=IndexVectors(index),
            pool=self.pool,
            model=self.rank_model,
            keywords=DatabaseKeywords(kind) if self.keywords == "database" else None,
        )

    def _keywords(self, kind: Kind, session: Session | None) -> KeywordIndex | None:
        """The keyword source of one call: the shared tables read in `session`."""
        if self.keywords != "database":
            return None
        if session is None:
            raise ValueError("a store over the database keyword index ranks within a session")
        return DatabaseKeywords(kind, session)

    def path(self, kind: Kind) -> Path | None:
        return self.index_dir / f"{kind}.faiss" if self.index_dir else None

    def count(self, kind: Kind) -> int:
        return len(self._sides[kind].hashes)

    def watermark(self, kind: Kind) -> datetime | None:
        return self._sides[kind].watermark

    def __contains__(self, item: tuple[Kind, int]) -> bool:
        kind, posting_id = item
        return posting_id in self._sides[kind].hashes

    # --- loading and catching up --------------------------------------------------------
    def load(self, session: Session) -> None:
        """Start-up: the saved index if it is current for this model, else a rebuild."""
        _begin(session)
        with self._catch_up_lock:
            if self.loaded.is_set():
                return
            self._scanned_at = utcnow()
            for kind in KINDS:
                self._sides[kind] = self._load_side(session, kind)
            # Millions of long-lived objects (BM25 postings, docs): keep them out of the cyclic
            # GC's full collections, whose pauses otherwise dominate a query's p99.
            gc.collect()
            gc.freeze()
            self.loaded.set()

    def ensure_current(self, session: Session) -> int:
        """Load once, then catch up: call before every ranking."""
        if not self.loaded.is_set():
            self.load(session)
        self.use_newest_model(session)
        return self.catch_up(session)

    def use_newest_model(self, session: Session) -> None:
        """Rank with the newest stored ranking model (`jiebang learn` may run elsewhere)."""
        newest = repository.newest_model_id(session)
        if newest == self.rank_model_id:
            return
        model, record = learning.in_use(session)
        self.rank_model, self.rank_model_id = model, record.id if record else None
        for side in self._sides.values():
            side.matcher.model = model

    def _load_side(self, session: Session, kind: Kind) -> _Side:
        heads = repository.vector_heads_since(session, kind, self.model_id, None)
        path = self.path(kind)
        index: VectorIndex | None = None
        if path is not None and path.exists():
            try:
                index = load_index(path, self.model_id, self.embedder.dim)
            except StaleIndexError as exc:
                log.info("index %s is stale (%s): rebuilding from the database", path, exc)
        if index is None:
            side = self._empty(kind, len(heads))
            self._reload(session, side, [(h[0], h[1]) for h in heads])
            side.watermark = heads[-1][2] if heads else None
            log.info("index %s rebuilt: %d vectors", kind, len(side.hashes))
            return side
        side = _Side(kind, index, self._matcher(kind, index))
        saved = _parse_time(index.watermark)
        trust_before = saved - self.lookback if saved else None
        live = {h[0] for h in heads}
        index.remove([i for i in index.ids().tolist() if i not in live])
        trusted = [h for h in heads if trust_before and h[2] < trust_before and h[0] in index]
        trusted_ids = {h[0] for h in trusted}
        stale = [(h[0], h[1]) for h in heads if h[0] not in trusted_ids]
        ids = [h[0] for h in trusted]
        if ids:
            docs = {p.id: to_doc(p) for p in repository.postings(session, kind, ids)}
            present = [i for i in ids if i in docs]
            side.matcher.add_indexed([docs[i] for i in present])
            side.hashes.update((h[0], h[1]) for h in trusted if h[0] in docs)
        self._reload(session, side, stale)
        side.watermark = max([h[2] for h in heads], default=saved)
        log.info("index %s loaded from %s: %d vectors", kind, path, len(side.hashes))
        return side

    def catch_up(self, session: Session) -> int:
        """Load vectors written since the watermark; returns how many.

        Between rescans only rows stamped after the watermark are read. Every `rescan_every`
        the window also covers rows stamped up to `lookback` before the previous rescan
        began — a row stamped earlier than the watermark but committed later (a commit-order
        gap) is one of those, as long as transactions last less than the lookback — so a
        quiet store does not keep re-reading a bulk re-embed's rows.
        """
        if not self._catch_up_lock.acquire(blocking=False):
            return 0  # another thread is catching up: rank with what is loaded
        try:
            total = 0
            rescan = time.monotonic() - self._last_rescan >= self.rescan_every.total_seconds()
            started = utcnow()
            for side in self._sides.values():
                since, after = side.watermark, True
                if since is not None and rescan:
                    floor = (self._scanned_at or since) - self.lookback
                    if floor < since:
                        since, after = floor, False
                heads = repository.vector_heads_since(
                    session, side.kind, self.model_id, since, after=after
                )
                changed = [(h[0], h[1]) for h in heads if side.hashes.get(h[0]) != h[1]]
                if changed:
                    total += self._reload(session, side, changed)
                if heads:
                    newest = heads[-1][2]
                    side.watermark = max(side.watermark, newest) if side.watermark else newest
            if rescan:
                self._last_rescan, self._scanned_at = time.monotonic(), started
            return total
        finally:
            self._catch_up_lock.release()

    def _reload(self, session: Session, side: _Side, heads: Sequence[tuple[int, str]]) -> int:
        """(Re)load the given rows' vectors and their postings' current text."""
        loaded = 0
        for start in range(0, len(heads), 2000):
            chunk = dict(heads[start : start + 2000])
            rows = repository.vectors_of(session, side.kind, self.model_id, chunk)
            docs = {p.id: to_doc(p) for p in repository.postings(session, side.kind, rows)}
            ids = [i for i in rows if i in docs and rows[i].dim == self.embedder.dim]
            if not ids:
                continue
            vectors = np.stack([as_array(rows[i]) for i in ids])
            side.matcher.add([docs[i] for i in ids], vectors)  # into the FAISS index too
            side.hashes.update((i, rows[i].text_hash) for i in ids)
            loaded += len(ids)
        return loaded

    def save(self) -> None:
        """Persist both sides with their watermark (atomic; other processes may read it)."""
        for kind, side in self._sides.items():
            path = self.path(kind)
            if path is not None:
                wm = side.watermark.isoformat() if side.watermark else None
                side.index.save(path, watermark=wm)

    # --- ranking -----------------------------------------------------------------------
    def rank(
        self,
        corpus: Kind,
        query: Doc | str,
        *,
        allowed: Collection[int] | None,
        k: int,
        query_vector: np.ndarray | None = None,
        explain: int | None = None,
        session: Session | None = None,
    ) -> list[Match]:
        """Best `k` of `corpus` among `allowed` ids (an exact filter read from the DB), or
        of the whole corpus when `allowed` is None (the caller then filters the result); the
        first `explain` (default all) carry their explanation. `session` reads the keyword
        index (required unless the store keeps it in memory)."""
        side = self._sides[corpus]
        allowed_set = None if allowed is None else {i for i in allowed if i in side.hashes}
        if allowed_set is not None and not allowed_set:
            return []
        return side.matcher.rank(
            query,
            k,
            allowed=allowed_set,
            query_vector=query_vector,
            explain=explain,
            keywords=self._keywords(corpus, session),
        )

    def term_holders(self, corpus: Kind, term: str, session: Session | None = None) -> set[int]:
        """Ids of the postings of `corpus` whose word tokens include `term`."""
        source = self._keywords(corpus, session)
        return {int(i) for i in self._sides[corpus].matcher.term_holders(term, keywords=source)}

    def explain(
        self,
        corpus: Kind,
        query: Doc | str,
        matches: Sequence[Match],
        session: Session | None = None,
    ) -> list[Match]:
        """Shared terms and reasons of `matches` (ranked for `query`): for the shown page only."""
        source = self._keywords(corpus, session)
        return self._sides[corpus].matcher.explain(query, matches, keywords=source)


_STORES: dict[str, IndexStore] = {}
_STORES_LOCK = threading.Lock()


def get_store() -> IndexStore:
    """The process's store of the configured model (FastAPI dependency; tests override it)."""
    settings = get_settings()
    embedder = get_embedder(settings.embedder)
    with _STORES_LOCK:
        store = _STORES.get(embedder.model_id)
        if store is None:
            store = IndexStore(
                embedder,
                settings.var_dir / "index",
                timedelta(seconds=settings.engine_lookback_seconds),
                pool=settings.engine_pool,
                keywords=settings.engine_keywords,
            )
            _STORES[embedder.model_id] = store
        return store


def loaded_store() -> IndexStore | None:
    """A store this process has already loaded, if any (never builds or loads one)."""
    with _STORES_LOCK:
        return next((s for s in _STORES.values() if s.loaded.is_set()), None)


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _begin(session: Session) -> None:
    """Begin the session's transaction before taking the store's lock, never after.

    On SQLite a writing transaction begins by taking the database's write lock (BEGIN
    IMMEDIATE), and a thread may call in already holding it (the worker refreshing
    candidates). Taking the two locks in one order — database, then store — is what keeps two
    threads from waiting on each other until the busy timeout. (Catching up never waits for
    the store's lock, so only the one-time load needs this.)
    """
    session.connection()
