"""The per-process index store: one vector index and one `Matcher` per side.

The keyword index is not held here: it lives in the database (`service.engine.keywords`),
written beside each vector and read per ranking in the caller's session (`session=`), so
every process sees a posting at once and start-up tokenises nothing. Nor does a process hold
the postings' text: each side keeps only the organisation of each posting it holds (the
filter's part), and what scoring and explaining read of a candidate (field, parsed
indicators) is read per ranking for its pool, in the caller's session
(`service.engine.facts.PostingDocs`). Start-up reads two columns of each posting.

The database is the source of truth. Each side's vectors live in *generations* on disk
(`var/index/<kind>/gen-N/`, named by `var/index/<kind>/CURRENT`; `matching.generations`):
an immutable FAISS index that every worker process memory-maps, so its pages are shared,
plus a small in-memory delta for the rows written since. At start-up a side maps the current
generation when it names this model and dimension and reconciles it with `posting_vectors`
exactly (each generation row carries a tag of the text hash it was embedded from: rows whose
hash differs, or that are new, go to the delta; rows gone are masked); otherwise it rebuilds
from the table into the delta. Before each ranking, `catch_up` reads the (id, hash, time)
heads of rows stamped after the watermark — a cheap indexed query — and loads only the rows
whose hash it does not hold, so API processes see each other's new postings. Every few seconds
the window opens a lookback earlier, for commit-order gaps (a row stamped earlier but
committed later than one already seen). `catch_up` also stats `CURRENT`: when another
process wrote a newer generation, it is mapped off to the side and swapped in (rankings in
flight finish on the old one).

A generation is mapped without reading it through (its files' sizes are checked, not their
crc32: ~5 s at a million vectors), so a restarted worker serves at once; the embedding
worker then verifies it in the background (`verify`). A corrupt one is marked so in its
directory (every process refuses it from then on), the side is rebuilt from the database, and
a fresh generation is written from that; until verified a side writes no generation (one is
written from the previous generation's rows, which would carry the damage over).

One process at a time writes the next generation (`compact`: the embedding worker's compactor
thread when the delta grows past `engine_generation_rows` rows or is older than
`engine_generation_seconds`; `jiebang reindex` at its end), under a `flock` on the side's
directory; a writer killed mid-write leaves the current generation in place. Catching up goes
on while a generation is written: the rows it adds stay in the delta after the switch.

Rankings never wait for each other: the matcher reads under a shared lock, and only one
thread catches up at a time while the others rank with what is loaded (a catch-up applies
its rows in one short exclusive step).
"""

import gc
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from matching.documents import Doc
from matching.embedders import Embedder
from matching.generations import (
    CORRUPT,
    Generation,
    LayeredIndex,
    WriterLock,
    pointer_stamp,
    read_pointer,
)
from matching.index import StaleIndexError
from matching.keywords import KeywordIndex
from matching.model import RankModel, default_model
from matching.ranking import Match, Matcher, Screen
from matching.retrieval import IndexVectors
from service.config import get_settings
from service.engine import learning, repository
from service.engine.documents import KINDS, Kind, to_doc
from service.engine.facts import PostingDocs
from service.engine.keywords import DatabaseKeywords
from service.engine.vectors import StoredSecond, as_array, get_embedder
from service.kit.db import utcnow

log = logging.getLogger("jiebang.engine")

QUERY_CACHE = 512  # free-text query vectors kept per process (1.5 KB each at 384 dims)
SECOND_REFERENCE_SECONDS = 300.0  # the second views' reference sample is read again so often
SECOND_RETRY_SECONDS = 30.0  # ... or this often while it has too few rows


@dataclass
class _Side:
    kind: Kind
    index: LayeredIndex  # the mapped generation + the delta; each row tagged with its hash
    matcher: Matcher
    watermark: datetime | None = None
    stamp: tuple[int, int] | None = None  # CURRENT's (inode, mtime) when last looked at
    written: float = field(default_factory=time.monotonic)  # when its generation was taken
    verified: bool = True  # its generation's crc checked (`IndexStore.verify`), or none mapped
    writing: bool = False  # this process is writing the side's next generation (`compact`)
    behind: bool = False  # its start-up read more heads than a generation's worth (`compact`)


class IndexStore:
    """Both sides' indexes for one embedding model, caught up from the database."""

    def __init__(
        self,
        embedder: Embedder,
        index_dir: Path | None = None,
        lookback: timedelta = timedelta(seconds=120),
        rescan_every: timedelta = timedelta(seconds=5),
        pool: int = 200,
        compact_rows: int = 5000,
        compact_seconds: float = 600.0,
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
        self.compact_rows = compact_rows  # delta rows that call for the next generation
        self.compact_seconds = compact_seconds  # ... or a delta this old
        self._last_rescan = -float("inf")
        self._scanned_at: datetime | None = None  # wall clock when the last full scan began
        self.rank_model: RankModel = default_model()  # the newest stored one, see use_newest_model
        self.rank_model_id: int | None = None  # its `rank_models.id` (None: the shipped one)
        self.rank_model_key = repository.model_key(None)  # its name on a stored list
        self._sides = {kind: self._empty(kind) for kind in KINDS}
        self._catch_up_lock = threading.Lock()
        self.loaded = threading.Event()
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()  # free text → its vector
        self._queries_lock = threading.Lock()
        # per side: (monotonic time it was read, index count then, the sample's second views)
        self._second_references: dict[Kind, tuple[float, int, np.ndarray]] = {}

    def _empty(self, kind: Kind, base: Generation | None = None) -> _Side:
        index = LayeredIndex(self.embedder.dim, self.model_id, base)
        return _Side(kind, index, self._matcher(kind, index))

    def _matcher(self, kind: Kind, index: LayeredIndex) -> Matcher:
        return Matcher(
            self.embedder,
            vectors=IndexVectors(index),
            pool=self.pool,
            model=self.rank_model,
            keywords=DatabaseKeywords(kind) if self.keywords == "database" else None,
            docs=PostingDocs(kind) if self.keywords == "database" else None,
            lock=self.keywords != "database",  # the database's parts guard themselves
        )

    def keywords_for(self, kind: Kind, session: Session | None) -> KeywordIndex | None:
        """One search's keyword source, to hand to each of its `rank` and `explain` calls:
        the rows and dfs its rankings read explain its page (None: the matcher's own)."""
        return self._keywords(kind, session)

    def _keywords(self, kind: Kind, session: Session | None) -> KeywordIndex | None:
        """The keyword source of one call: the shared tables read in `session`."""
        if self.keywords != "database":
            return None
        if session is None:
            raise ValueError("a store over the database keyword index ranks within a session")
        return DatabaseKeywords(kind, session)

    def _docs(self, kind: Kind, session: Session | None) -> PostingDocs | None:
        """The documents of one call: read in `session` (None: the matcher's, in memory)."""
        docs = self._sides[kind].matcher.docs
        if not isinstance(docs, PostingDocs):
            return None
        if session is None:
            raise ValueError("a store over the database keyword index ranks within a session")
        return docs.bind(session)

    def _second(self, kind: Kind, session: Session | None) -> StoredSecond | None:
        """The second views of one call's candidates, read in `session` (`StoredSecond`)."""
        if session is None:
            return None
        return StoredSecond(
            session, kind, self.model_id, self.dim, lambda: self._second_reference(kind, session)
        )

    def _second_reference(self, kind: Kind, session: Session) -> np.ndarray:
        """The second views of the side's dense reference sample (the same ids), read from
        the table every `SECOND_REFERENCE_SECONDS` (a z-score's reference barely moves as
        postings come and go). While too few rows have one (a database whose rows predate
        the second view; no pool's are read meanwhile), 16 of them are tried again when the
        side changes or every `SECOND_RETRY_SECONDS`: one short statement."""
        side = self._sides[kind]
        vectors = side.matcher.vectors
        if not isinstance(vectors, IndexVectors):
            return np.zeros((0, self.dim), dtype=np.float32)
        cached = self._second_references.get(kind)
        now, count = time.monotonic(), side.index.count
        if cached is not None:
            taken, counted, rows = cached
            if len(rows) >= 2 and now - taken < SECOND_REFERENCE_SECONDS:
                return rows
            if len(rows) < 2 and now - taken < SECOND_RETRY_SECONDS and counted == count:
                return rows
        ids = vectors.reference_ids()
        read = StoredSecond(session, kind, self.model_id, self.dim, lambda: np.zeros(0)).many
        if cached is None or len(cached[2]) < 2:  # none yet: a few of them first
            if len(read(ids[:: max(1, len(ids) // 16)])) < 2:
                empty = np.zeros((0, self.dim), np.float32)
                self._second_references[kind] = (now, count, empty)
                return empty
        held = read(ids)
        rows = np.stack(list(held.values())) if held else np.zeros((0, self.dim), np.float32)
        self._second_references[kind] = (now, count, rows)
        return rows

    def path(self, kind: Kind) -> Path | None:
        """The side's generations directory (`CURRENT`, `gen-N/`), if it persists any."""
        return self.index_dir / kind if self.index_dir else None

    def count(self, kind: Kind) -> int:
        return self._sides[kind].index.count

    def watermark(self, kind: Kind) -> datetime | None:
        return self._sides[kind].watermark

    def __contains__(self, item: tuple[Kind, int]) -> bool:
        kind, posting_id = item
        return posting_id in self._sides[kind].index

    def generation(self, kind: Kind) -> int | None:
        """The number of the generation this side serves, if any."""
        base = self._sides[kind].index.base
        return base.number if base is not None else None

    # --- loading and catching up --------------------------------------------------------
    def load(self, session: Session, *, use_generation: bool = True) -> None:
        """Start-up: map the current generation if it is for this model, else a rebuild
        (`use_generation=False`: rebuild from the table whatever is on disk)."""
        _begin(session)
        with self._catch_up_lock:
            if self.loaded.is_set():
                return
            self._scanned_at = utcnow()
            for kind in KINDS:
                self._sides[kind] = self._load_side(session, kind, use_generation)
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
        if repository.model_key(newest) == self.rank_model_key:
            return
        model, record = learning.in_use(session)
        self.rank_model, self.rank_model_id = model, record.id if record else None
        self.rank_model_key = repository.model_key(self.rank_model_id)
        for side in self._sides.values():
            side.matcher.model = model

    def _load_side(self, session: Session, kind: Kind, use_generation: bool = True) -> _Side:
        root = self.path(kind)
        stamp = pointer_stamp(root) if root is not None else None
        base = self._open_generation(kind) if use_generation else None
        side = self._empty(kind, base)
        side.stamp, side.verified = stamp, base is None
        if base is None:
            every = repository.vector_heads_since(session, kind, self.model_id, None)
            self._reload(session, side, [(h[0], h[1]) for h in every])
            side.watermark = every[-1][2] if every else None
            log.info("index %s rebuilt: %d vectors", kind, side.index.count)
            return side
        since = self._heads_since_generation(session, kind, base)
        recent = since is not None
        # None: rows deleted since it was written (or no watermark): every head is read
        heads = (
            since
            if since is not None
            else repository.vector_heads_since(session, kind, self.model_id, None)
        )
        ids = np.fromiter((h[0] for h in heads), np.int64, len(heads))
        tags = np.fromiter((_tag(h[1]) for h in heads), np.int64, len(heads))
        pos = base.positions(ids)
        held = pos >= 0  # (an empty generation holds nothing: no tag to compare)
        same = np.zeros(len(ids), dtype=bool)
        same[held] = np.asarray(base.tags)[pos[held]] == tags[held]
        if recent:  # every row of the generation is in the table; those not read are current
            trusted = np.asarray(base.ids)
            if not same.all():
                trusted = np.setdiff1d(trusted, ids[~same], assume_unique=True)
        else:
            gone = np.setdiff1d(np.asarray(base.ids), ids)
            if len(gone):
                side.index.remove(gone.tolist())  # vectors deleted since it was written: masked
            trusted = ids[same]
        if isinstance(side.matcher.docs, PostingDocs):
            # only the organisations: documents are read per ranking
            known, orgs = repository.posting_orgs(session, kind)
            at = np.minimum(np.searchsorted(known, trusted), max(len(known) - 1, 0))
            found = known[at] == trusted if len(known) else np.zeros(len(trusted), dtype=bool)
            side.matcher.docs.set_org_array(trusted[found], orgs[at[found]])
            missing = trusted[~found].tolist()
            if missing:
                side.index.remove(missing)
        else:
            for start in range(0, len(trusted), 5000):
                chunk = trusted[start : start + 5000].tolist()
                docs = {p.id: to_doc(p) for p in repository.postings(session, kind, chunk)}
                side.matcher.add_indexed([docs[i] for i in chunk if i in docs])
                missing = [i for i in chunk if i not in docs]
                if missing:
                    side.index.remove(missing)
        stale = [(h[0], h[1]) for h, ok in zip(heads, same.tolist(), strict=True) if not ok]
        self._reload(session, side, stale)
        side.watermark = max([h[2] for h in heads], default=_parse_time(base.meta.watermark))
        # A window wider than a generation's worth of rows (a watermark far behind what the
        # generation holds: written by an older version, or rows gone) would be read again at
        # every start: the next generation, stamped complete to this load, is due now.
        side.behind = len(heads) > self._generation_rows(side.index)
        log.info(
            "index %s loaded from %s: %d vectors (%d read from the database)",
            kind,
            base.path,
            side.index.count,
            len(stale),
        )
        return side

    def _heads_since_generation(
        self, session: Session, kind: Kind, base: Generation
    ) -> list[tuple[int, str, datetime]] | None:
        """The heads of rows stamped since the generation was written (from its watermark less
        the lookback, for commit-order gaps, as `catch_up` reads them), or None when the table
        lost rows the generation holds (then every head is read). The check is exact: every
        row not read is older than the window, so held by the generation (as a running
        process assumes of its own watermark); the table then has as many rows as the
        generation plus the new ids read if and only if none of the generation's is gone."""
        since = _parse_time(base.meta.watermark)
        if since is None:
            return None
        heads = repository.vector_heads_since(session, kind, self.model_id, since - self.lookback)
        ids = np.fromiter((h[0] for h in heads), np.int64, len(heads))
        new = int((base.positions(ids) < 0).sum())
        if repository.count_vectors(session, kind, self.model_id) != base.count + new:
            return None
        return heads

    def _open_generation(self, kind: Kind) -> Generation | None:
        root = self.path(kind)
        if root is None or read_pointer(root) is None:
            return None
        try:
            # sizes only: the crc is checked in the background (`verify`)
            return Generation.open_current(root, self.model_id, self.embedder.dim, verify=False)
        except StaleIndexError as exc:
            log.info("index %s is stale (%s): rebuilding from the database", root, exc)
            return None

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
                total += self._switch_if_newer(session, side)
                since, after = side.watermark, True
                if since is not None and rescan:
                    floor = (self._scanned_at or since) - self.lookback
                    if floor < since:
                        since, after = floor, False
                heads = repository.vector_heads_since(
                    session, side.kind, self.model_id, since, after=after
                )
                held = side.index.tags_of(np.fromiter((h[0] for h in heads), np.int64))
                changed = [
                    (h[0], h[1])
                    for h, tag in zip(heads, held.tolist(), strict=True)
                    if tag != _tag(h[1])
                ]
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

    def _switch_if_newer(self, session: Session, side: _Side) -> int:
        """Serve a newer generation another process wrote (a stat of `CURRENT` when there is
        none): map it off to the side, swap it in, then fix what the swap changed."""
        root = self.path(side.kind)
        if root is None or side.writing:  # our own writer switches to what it writes
            return 0
        stamp = pointer_stamp(root)
        if stamp == side.stamp:
            return 0
        side.stamp = stamp
        meta = read_pointer(root)
        base = side.index.base
        if meta is None or (base is not None and meta.number == base.number):
            return 0
        new = self._open_generation(side.kind)
        if new is None:
            return 0
        rebased = side.index.rebase(new)
        side.written, side.verified, side.behind = time.monotonic(), False, False
        if len(rebased.gone):
            side.matcher.remove(rebased.gone.tolist())
        # Rows it serves with a text this process had not indexed: their documents are
        # re-read; a vector the database no longer matches is re-read into the delta.
        changed = rebased.changed
        tags = np.asarray(new.tags)[new.positions(changed)]
        heads = repository.vector_heads_of(session, side.kind, self.model_id, changed.tolist())
        pairs = zip(changed.tolist(), tags.tolist(), strict=True)
        same = {i for i, t in pairs if i in heads and _tag(heads[i]) == t}
        dropped = [i for i in changed.tolist() if i not in heads]
        if dropped:
            side.matcher.remove(dropped)
        ordered = sorted(same)
        for start in range(0, len(ordered), 5000):
            chunk = ordered[start : start + 5000]
            docs = repository.postings(session, side.kind, chunk)
            side.matcher.add_indexed([to_doc(p) for p in docs])
        loaded = self._reload(session, side, [(i, h) for i, h in heads.items() if i not in same])
        log.info(
            "index %s switched to generation %d (%d vectors, %d re-read)",
            side.kind,
            new.number,
            side.index.count,
            loaded,
        )
        return loaded

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
            tags = [_tag(rows[i].text_hash) for i in ids]
            side.index.add(np.asarray(ids, dtype=np.int64), vectors, tags)  # into the delta
            side.matcher.add_indexed([docs[i] for i in ids])
            loaded += len(ids)
        return loaded

    def compact(self, *, force: bool = False) -> dict[Kind, int]:
        """Write the next generation of each side whose delta calls for one (every side with
        `force`) unless another process is writing it; returns the numbers written by side.

        A generation holds what this process serves — the current generation minus its
        masked rows, plus the delta — stamped with the side's watermark. Unless forced, a side
        is left alone when another process already wrote a generation at least as recent as
        this one's view (it is swapped in at the next catch-up)."""
        written: dict[Kind, int] = {}
        for kind, side in self._sides.items():
            root = self.path(kind)
            if root is None or not self.loaded.is_set():
                continue
            if not (force or self._due(side)):
                continue
            index = side.index
            if not side.verified and not (force and self._verified_now(side)):
                continue  # an unverified base would be copied into the next generation
            with WriterLock(root).held() as got:
                if not got:
                    continue  # another process is writing this side
                if not force and self._superseded(root, side):
                    continue
                wm = _complete_to(side.watermark, self._scanned_at, self.lookback)
                side.writing = True
                try:  # rows caught up meanwhile stay in the delta (`LayeredIndex.rebase`)
                    meta = index.save(root, watermark=wm)
                    side.stamp, side.written = pointer_stamp(root), time.monotonic()
                    side.verified = True  # written here, from verified rows and the database
                    side.behind = False
                finally:
                    side.writing = False
                written[kind] = meta.number
                log.info(
                    "index %s: generation %d written (%d vectors)", kind, meta.number, meta.count
                )
        return written

    def compact_due(self) -> list[Kind]:
        """The sides whose next generation is due (what `compact` writes unless superseded
        by another process's or waiting for its base to be verified)."""
        if not self.loaded.is_set() or self.index_dir is None:
            return []
        return [kind for kind, side in self._sides.items() if self._due(side)]

    def _generation_rows(self, index: LayeredIndex) -> int:
        """Delta rows that call for the next generation: a generation rewrites every row, so
        past 250k rows wait for up to 2 % of them."""
        return max(self.compact_rows, min(index.count // 50, 20_000))

    def _due(self, side: _Side) -> bool:
        index = side.index
        pending = index.delta_count + index.masked_count
        return (
            index.base is None
            or side.behind
            or pending >= self._generation_rows(index)
            or (pending > 0 and time.monotonic() - side.written >= self.compact_seconds)
        )

    def _verified_now(self, side: _Side) -> bool:
        """Verify the side's generation here (a forced write); a corrupt one is left to
        `verify`, which rebuilds the side."""
        base = side.index.base
        side.verified = base is None or base.verify()
        return side.verified

    def _superseded(self, root: Path, side: _Side) -> bool:
        """Whether another process wrote a generation of this model this side has not seen,
        covering at least its watermark."""
        current = read_pointer(root)
        base = side.index.base
        if current is None or current.model_id != self.model_id or current.dim != self.dim:
            return False
        if base is not None and current.number == base.number:
            return False
        if (root / current.dirname / CORRUPT).exists():
            return False  # found corrupt: this side's rebuild replaces it
        theirs = _parse_time(current.watermark)
        return theirs is not None and (side.watermark is None or theirs >= side.watermark)

    def verify(self, session: Session) -> dict[Kind, bool]:
        """Check the crc of each side's generation not yet verified (the embedding worker, in
        the background); a corrupt one is marked, and its side rebuilt from the database
        (rankings in flight finish on the old side; the next `compact` writes a generation
        from the rebuilt one). Returns the outcome by side checked."""
        out: dict[Kind, bool] = {}
        for kind in KINDS:
            side = self._sides[kind]
            base = side.index.base
            if side.verified or base is None:
                side.verified = True
                continue
            ok = base.verify()
            out[kind] = ok
            if ok:
                if side.index.base is base:
                    side.verified = True
                continue
            log.error(
                "index %s: generation %d is corrupt; rebuilding from the database",
                kind,
                base.number,
            )
            _begin(session)
            with self._catch_up_lock:
                self._sides[kind] = self._load_side(session, kind, use_generation=False)
                self._sides[kind].matcher.model = self.rank_model
        return out

    def save(self) -> None:
        """Write the next generation of both sides now (`jiebang reindex`, tests)."""
        self.compact(force=True)

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
        screen: Screen | None = None,
        query_vector2: np.ndarray | None = None,
        keywords: KeywordIndex | None = None,
    ) -> list[Match]:
        """Best `k` of `corpus` among `allowed` ids (an exact filter read from the DB), or
        of the whole corpus when `allowed` is None (the caller then filters the result, or
        passes a `screen` it verifies: `Matcher.retrieve`); the first `explain` (default
        all) carry their explanation. `session` reads the keyword index (required unless
        the store keeps it in memory) and the candidates' second views; `query_vector2` is
        the query posting's stored second view (None with a stored `query_vector`: none).
        `keywords`: the call's keyword source (`keywords_for`; default: a new one), so that
        the rankings and the explanation of one search share what it read."""
        side = self._sides[corpus]
        allowed_set = None
        if allowed is not None:
            wanted = np.fromiter((int(i) for i in allowed), np.int64)
            allowed_set = set(wanted[side.index.contains_many(wanted)].tolist())
        if allowed_set is not None and not allowed_set:
            return []
        return side.matcher.rank(
            query,
            k,
            allowed=allowed_set,
            query_vector=query_vector,
            explain=explain,
            keywords=keywords if keywords is not None else self._keywords(corpus, session),
            docs=self._docs(corpus, session),
            screen=screen,
            query_vector2=query_vector2,
            second=self._second(corpus, session),
        )

    def query_vector(self, corpus: Kind, query: Doc | str) -> np.ndarray | None:
        """The vector `rank` would encode for `query` (encode once, rank more than once).

        Free text is encoded once per process: the last QUERY_CACHE texts' vectors are kept
        (a next page, a repeated or popular search; encoding is ~20–40 ms of CPU, and the
        same text always gives the same vector under one model)."""
        matcher = self._sides[corpus].matcher
        if not isinstance(query, str) or matcher.vectors.dim == 0 or matcher.embedder is None:
            return matcher.query_vector(query)
        with self._queries_lock:
            held = self._queries.get(query)
            if held is not None:
                self._queries.move_to_end(query)
                return held
        vector = matcher.query_vector(query)
        if vector is not None:
            with self._queries_lock:
                self._queries[query] = vector
                while len(self._queries) > QUERY_CACHE:
                    self._queries.popitem(last=False)
        return vector

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
        keywords: KeywordIndex | None = None,
    ) -> list[Match]:
        """Shared terms and reasons of `matches` (ranked for `query`): for the shown page only
        (`keywords`: the source its ranking read, `keywords_for`)."""
        source = keywords if keywords is not None else self._keywords(corpus, session)
        docs = self._docs(corpus, session)
        return self._sides[corpus].matcher.explain(query, matches, keywords=source, docs=docs)


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
                compact_rows=settings.engine_generation_rows,
                compact_seconds=settings.engine_generation_seconds,
                keywords=settings.engine_keywords,
            )
            _STORES[embedder.model_id] = store
        return store


def loaded_store() -> IndexStore | None:
    """A store this process has already loaded, if any (never builds or loads one)."""
    with _STORES_LOCK:
        return next((s for s in _STORES.values() if s.loaded.is_set()), None)


def _tag(text_hash: str) -> int:
    """A generation row's tag: 63 bits of a hash of the text hash its vector was made from."""
    digest = hashlib.blake2b(text_hash.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & 0x7FFF_FFFF_FFFF_FFFF


def _complete_to(
    watermark: datetime | None, scanned_at: datetime | None, lookback: timedelta
) -> str | None:
    """A generation's watermark: the newest row stamp it holds, or later, the time up to
    which its view is complete when that is later (every row stamped before the last
    rescan's start less the lookback was committed before that rescan, so it is held). A
    start-up reads the rows stamped since the watermark less the lookback; after a bulk load
    stamped at one instant, the later bound keeps that read to the rows written since."""
    complete = scanned_at - lookback if scanned_at is not None else None
    if watermark is None or complete is None:
        newest = watermark or complete
        return newest.isoformat() if newest else None
    return max(watermark, complete).isoformat()


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
