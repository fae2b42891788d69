"""The background embedding worker: one thread per API process, fed after each commit.

It warms the index store, embeds queued postings (read, encode and write in separate
transactions, so no database lock is held while the model runs), refreshes their stored
recommendation lists and the lists they may enter, with the broker candidates
(`service/engine/refresh.py`), stores the lists of postings whose recommendations were read
without a current one, and every `engine_sweep_seconds` sweeps for postings with no current
vector (crashes, other processes, a new model), retryable failures, published postings whose
vector was written but not refreshed (a worker that died between the two: `repair`), and
stale stored lists (then drops the lists viewed longest ago beyond `engine_stored_lists` per
side). The first sweep runs right after the warm-up, so a restarted worker repairs first.

The index's next generation is written by a thread of its own, the compactor
(`IndexStore.compact`, under the side's writer `flock`): a first generation at a million
postings takes minutes, and the embedding thread goes on embedding fresh postings into the
delta meanwhile (rows it adds while a generation is written stay in the delta after the
switch). The compactor looks after warm-up, after each sweep, and every `sweep_seconds`.

The embedding thread's model calls are background work (`matching/turns.py`): they run in
short chunks, and a request's own model call (a search's query, a draft's duplicate check)
goes before the thread's next chunk, instead of waiting for its whole batch.

Where it runs (`engine_work`): in each app process, fed after each commit by the job queue
(`service/engine/runtime.py`, the embedded default), or alone in the `jiebang engine`
process, fed by the `engine_inbox` table (`inbox=`, `service/engine/inbox.py`: read at the
top of each round and before a long sweep's next step, each row deleted once done). The
loop is the same; app processes then only warm and catch up their index (`warm_up`).
"""

import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Iterable
from itertools import islice

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from matching.turns import background
from service.config import get_settings
from service.engine import keywords, repository, vectors
from service.engine import refresh as list_refresh
from service.engine.documents import KINDS, Kind
from service.engine.inbox import POLL, Inbox
from service.engine.jobs import EMBED, VIEWED
from service.engine.store import IndexStore
from service.kit.db import read_only
from service.kit.jobs import JOBS

log = logging.getLogger("jiebang.engine")

BATCH = 16
# Embedding goes first: a new posting is searchable once it has its vector and keyword rows,
# while refreshing the lists a change reaches can take seconds per posting (a new capability
# at 1M: up to 21 rankings, `matching/BENCHMARKS.md` §32). So the loop refreshes the embedded
# postings' lists only when nothing waits to be embedded, REFRESH_CHUNK postings between two
# looks at the queue, and a chunk at least every REFRESH_AFTER seconds while more arrive.
REFRESH_CHUNK = 4
REFRESH_AFTER = 30.0
# Posting ids a sweep checks for a missing vector or keyword row besides the newest WINDOW:
# the checks are anti-joins, 6 s of database time per side and sweep over the whole of 1M
# capabilities (`matching/BENCHMARKS.md` §14); a window walks the table in N / WINDOW sweeps.
WINDOW = 10_000


class EmbeddingWorker:
    """Embeds posting ids handed over after their commit; retries via the sweeper."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        store_factory: Callable[[], IndexStore],
        *,
        sweep_seconds: float | None = None,
        max_attempts: int | None = None,
        refresh_candidates: bool = True,
        warm_up_sessions: Callable[[], Session] | None = None,
        inbox: Inbox | None = None,
    ) -> None:
        settings = get_settings()
        self.session_factory = session_factory
        # the start-up load only reads: the read replica's sessions when there is one
        self.warm_up_sessions = warm_up_sessions or session_factory
        self.store_factory = store_factory
        self.sweep_seconds = sweep_seconds or settings.engine_sweep_seconds
        self.max_attempts = max_attempts or settings.engine_max_attempts
        self.refresh = refresh_candidates
        self.inbox = inbox  # the engine process: work handed over through the database
        self._queue: queue.Queue[tuple[Kind, int]] = queue.Queue()
        self._views: queue.Queue[tuple[Kind, int]] = queue.Queue()  # recommendations read
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._compactor: threading.Thread | None = None
        self._compact_due = threading.Event()  # wakes the compactor before its period ends
        # embedded postings whose lists are still to refresh (in order), and since when
        self._touched: dict[tuple[Kind, int], None] = {}
        self._touched_since = 0.0
        self._refreshing = False
        self._facts_filled = False
        self._cursor: dict[Kind, int] = {}  # where the next sweep's window starts, per side
        self.swept = threading.Event()  # set once the thread's first sweep has ended (tests)

    def enqueue(self, items: Iterable[tuple[Kind, int]]) -> None:
        for item in items:
            self._queue.put(item)

    def viewed(self, items: Iterable[tuple[Kind, int]]) -> None:
        """Postings whose recommendations were read (`service.engine.jobs.viewed`)."""
        for item in items:
            self._views.put(item)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Block until everything queued so far is processed (tests, the CLI), including
        ids committed but still on the job queue, on their way to this worker."""
        deadline = time.monotonic() + timeout
        if not JOBS.wait(timeout):
            return False
        while (
            self._queue.unfinished_tasks
            or self._views.unfinished_tasks
            or (self.refresh and (self._touched or self._refreshing))
        ):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="jiebang-embedder", daemon=True)
        self._compactor = threading.Thread(
            target=self._compact_loop, name="jiebang-compactor", daemon=True
        )
        self._thread.start()
        self._compactor.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop both threads (a generation being written is finished, up to `timeout`)."""
        self._stop.set()
        self._compact_due.set()
        for thread in (self._thread, self._compactor):
            if thread is not None:
                thread.join(timeout)

    # --- the loop ------------------------------------------------------------------------
    def warm_up(self) -> None:
        """Load the index (map its generation, or read the whole table at a first start);
        the first generation, when none exists yet, is the compactor's."""
        warm_up(self.store_factory, self.warm_up_sessions)
        self._compact_due.set()

    def verify_index(self) -> None:
        """Check the crc of generations mapped unverified (start-up, a switch), off the
        request path; a corrupt one is replaced (`IndexStore.verify`)."""
        store = self.store_factory()
        if store.loaded.is_set():
            with self.session_factory() as session:
                store.verify(session)

    def _run(self) -> None:
        with background():  # a request's model call goes before this thread's next chunk
            self._loop()

    def _loop(self) -> None:
        try:
            self.warm_up()
        except Exception:  # a broken DB or model must not kill the API process
            log.exception("engine warm-up failed; the sweeper will retry")
        next_sweep = 0.0
        while not self._stop.is_set():
            if time.monotonic() >= next_sweep:
                self._guard(self.verify_index)
                self._guard(self.sweep)
                self.swept.set()
                self._compact_due.set()  # the next generation, when due
                next_sweep = time.monotonic() + self.sweep_seconds
            self._drain(timeout=min(1.0, max(0.05, next_sweep - time.monotonic())))

    def _compact_loop(self) -> None:
        """The compactor: write the next generation when the store says it is due, off the
        embedding thread (only once the store is loaded: the warm-up wakes it)."""
        while not self._stop.is_set():
            self._compact_due.wait(self.sweep_seconds)
            self._compact_due.clear()
            if self._stop.is_set():
                return
            store = self.store_factory()
            if store.loaded.is_set():
                self._guard(store.compact)

    def _drain(self, timeout: float) -> None:
        """Embed one batch of queued ids (waiting up to `timeout` for the first), refresh the
        lists of a chunk of embedded postings when nothing else waits to be embedded (or the
        last chunk was REFRESH_AFTER ago), then store the lists of postings whose
        recommendations were read since."""
        self._read_inbox()
        if self.inbox is not None:
            timeout = min(timeout, POLL)
        batch = self._take(0 if self.refresh and self._touched else timeout)
        if batch:
            rows = self.inbox.claim(EMBED, batch) if self.inbox is not None else []
            self._guard(lambda: self.process(batch, refresh=False))
            self._settle(rows)
        overdue = time.monotonic() - self._touched_since >= REFRESH_AFTER
        if self.refresh and self._touched and (self._queue.empty() or overdue):
            self._guard(lambda: self.refresh_touched(REFRESH_CHUNK))
        for _ in batch:
            self._queue.task_done()
        views: list[tuple[Kind, int]] = []
        while True:
            try:
                views.append(self._views.get_nowait())
            except queue.Empty:
                break
        if views:
            rows = self.inbox.claim(VIEWED, views) if self.inbox is not None else []
            self._guard(lambda: self.store_viewed(views))
            self._settle(rows)
            for _ in views:
                self._views.task_done()

    def _read_inbox(self) -> None:
        """Queue what the app processes handed over since the last read (the engine process;
        at most every `POLL` seconds)."""
        if self.inbox is None:
            return
        try:
            fresh = self.inbox.poll()
        except (OperationalError, IntegrityError) as exc:  # the database is away: next round
            log.warning("engine inbox not read: %s", exc.__class__.__name__)
            return
        for topic, kind, posting_id in fresh:
            (self._queue if topic == EMBED else self._views).put((kind, posting_id))

    def _settle(self, rows: list[int]) -> None:
        """Delete the inbox rows of work done (kept when the database is away: redone after
        a restart; the sweep finds an unembedded posting anyway)."""
        inbox = self.inbox
        if rows and inbox is not None:
            self._guard(lambda: inbox.done(rows))

    def _take(self, timeout: float) -> list[tuple[Kind, int]]:
        try:
            first = self._queue.get(timeout=timeout)
        except queue.Empty:
            return []
        batch = [first]
        while len(batch) < BATCH:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _guard(self, job: Callable[[], object]) -> None:
        try:
            job()
        except (IntegrityError, OperationalError) as exc:  # another process won; retried later
            log.warning("engine job deferred: %s", exc.__class__.__name__)
        except Exception:
            log.exception("engine job failed; the sweeper will retry")

    # --- the work ------------------------------------------------------------------------
    def process(self, items: Iterable[tuple[Kind, int]], *, refresh: bool = True) -> dict[str, int]:
        """Embed the given postings, then refresh candidates of the published ones."""
        by_kind: dict[Kind, list[int]] = {k: [] for k in KINDS}
        for kind, posting_id in items:
            by_kind[kind].append(posting_id)
        store = self.store_factory()
        embedder = store.embedder
        counts = {"embedded": 0, "failed": 0, "candidates": 0}
        touched: list[tuple[Kind, int]] = []
        for kind, ids in by_kind.items():
            if not ids:
                continue
            with self.session_factory() as session:  # read only: no lock while the model runs
                read_only(session)
                todo, current = vectors.plan(session, kind, ids, embedder.model_id, embedder.dim)
            encoded, failed = vectors.encode(embedder, todo)
            with self.session_factory() as session:
                outcome = vectors.store(
                    session, kind, embedder, todo, encoded, failed, current, due=True
                )
                session.commit()
            counts["embedded"] += len(outcome.embedded)
            counts["failed"] += len(outcome.failed)
            touched += [(kind, i) for i in outcome.embedded + outcome.current]
            for posting_id, error in outcome.failed.items():
                log.warning("embedding %s %d failed: %s", kind, posting_id, error)
        if touched and not self._touched:
            self._touched_since = time.monotonic()
        self._touched.update(dict.fromkeys(touched))
        if refresh and self.refresh:
            counts["candidates"] = self.refresh_touched()
        return counts

    def refresh_touched(self, limit: int | None = None) -> int:
        """Refresh the stored lists of the postings embedded and not refreshed yet (the first
        `limit` of them, default all), and the lists they may enter
        (`service/engine/refresh.py`: each list in its own short transactions); returns the
        broker candidates proposed. A refresh that fails is not retried here: the vectors
        keep their `refresh_due` mark, and the sweep repairs them."""
        self._refreshing = True  # (before the items leave `_touched`: `wait_idle` reads both)
        taken = list(islice(self._touched, limit))  # (a sweep may have touched many)
        for item in taken:
            del self._touched[item]
        self._touched_since = time.monotonic()
        by_kind: dict[Kind, list[int]] = {}
        for kind, posting_id in taken:
            by_kind.setdefault(kind, []).append(posting_id)
        try:
            store = self.store_factory()
            done = list_refresh.after_change(self.session_factory, by_kind, store=store)
        finally:
            self._refreshing = False
        return done.candidates

    def store_viewed(self, items: Iterable[tuple[Kind, int]]) -> int:
        """Store the lists of viewed postings that have no current one, note the others'
        views (`service/engine/refresh.py`, `viewed`); returns the lists stored."""
        if not self.refresh:
            return 0
        return list_refresh.viewed(self.session_factory, items, store=self.store_factory()).lists

    def repair(self) -> int:
        """Refresh the published postings whose vector a worker wrote but did not refresh
        (it died between the two, `service/engine/refresh.py`, `repair`; a bounded batch);
        returns the broker candidates proposed."""
        done = list_refresh.repair(
            self.session_factory, store=self.store_factory(), between=self._serve_queue
        )
        return done.candidates

    def backfill(self) -> int:
        """Store again the stale stored lists of published postings (a bounded batch), then
        drop the lists viewed longest ago beyond `engine_stored_lists` per side."""
        done = list_refresh.backfill(
            self.session_factory, store=self.store_factory(), between=self._serve_queue
        )
        list_refresh.evict(self.session_factory, get_settings().engine_stored_lists)
        return done.lists

    def _serve_queue(self) -> None:
        """Users' fresh postings and viewed lists go before a long sweep's next step."""
        self._read_inbox()
        while not (self._queue.empty() and self._views.empty()) and not self._stop.is_set():
            self._drain(timeout=0)

    def pending(self) -> dict[Kind, list[int]]:
        """Postings the sweeper should (re-)embed: no vector, or a retryable failure; and
        those whose vector is current but whose text is not in the keyword index yet."""
        model_id = self.store_factory().model_id
        out: dict[Kind, list[int]] = {}
        with self.session_factory() as session:
            for kind in KINDS:
                exhausted = {
                    f.posting_id
                    for f in repository.failures(session, kind)
                    if f.attempts >= self.max_attempts
                }
                ids = set(repository.retryable_failure_ids(session, kind, self.max_attempts))
                for window in self._windows(session, kind):
                    ids |= set(repository.missing_ids(session, kind, model_id, window))
                    ids |= set(repository.keyword_stale_ids(session, kind, model_id, window))
                out[kind] = sorted(ids - exhausted)
        return out

    def _windows(self, session: Session, kind: Kind) -> list[tuple[int, int]]:
        """The id ranges (lo, hi] this sweep checks: the newest WINDOW ids (a posting whose
        embedding a crash lost is mostly a new one) and the next WINDOW of the rest, so an
        older posting is checked within N / WINDOW sweeps; all of a side of at most 2 WINDOW."""
        top = repository.max_id(session, kind)
        if top <= 2 * WINDOW:
            return [(0, top)]
        newest = top - WINDOW
        start = self._cursor.get(kind, 0)
        if start >= newest:
            start = 0
        end = min(start + WINDOW, newest)
        self._cursor[kind] = end
        return [(start, end), (newest, top)]

    def fill_facts(self) -> int:
        """Fill the ranking facts of keyword rows written before they were kept (a database
        upgraded past the `keyword facts` migration), in short transactions; returns how
        many. Until then a ranking reads such a candidate's posting and parses it. Once none
        is left it is not looked for again (every row written since carries its facts)."""
        if self._facts_filled:
            return 0
        done = 0
        for kind in KINDS:
            while not self._stop.is_set():
                with self.session_factory() as session:
                    n = keywords.write_facts(session, kind)
                    session.commit()
                if not n:
                    break
                done += n
                log.info("engine facts: %d %s rows filled", done, kind)
                self._serve_queue()
        self._facts_filled = not self._stop.is_set()
        return done

    def sweep(self) -> int:
        """Embed everything pending, in batches, logging progress; returns how many."""
        self.fill_facts()
        pending = self.pending()
        total = sum(len(v) for v in pending.values())
        if not total:
            if self.refresh:
                self.repair()
                self.backfill()
            return 0
        log.info("engine sweep: %d postings to embed", total)
        done = 0
        for kind, ids in pending.items():
            random.shuffle(ids)  # two processes sweeping at once mostly take different rows
            for start in range(0, len(ids), BATCH):
                if self._stop.is_set():
                    return done
                self._serve_queue()  # users' fresh postings go first
                self.process([(kind, i) for i in ids[start : start + BATCH]], refresh=False)
                done += len(ids[start : start + BATCH])
                log.info("engine sweep: %d/%d embedded", done, total)
        store = self.store_factory()
        with self.session_factory() as session:
            store.ensure_current(session)
        if self.refresh:
            log.info("engine sweep: %d new candidates", self.refresh_touched())
            self.repair()
            self.backfill()
        return done


def warm_up(store_factory: Callable[[], IndexStore], sessions: Callable[[], Session]) -> None:
    """Load the process's index: map its generation, or read the whole table at a first start
    (the worker's first step; an app process whose background work runs in the engine
    process runs only this, in a thread of its own)."""
    store = store_factory()
    with sessions() as session:
        store.ensure_current(session)
