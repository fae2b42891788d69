"""`jiebang reindex`: embed every missing or stale vector (a resumable bulk job), then write the
index's next generation.

The job in three steps:

1. **Plan.** Read every posting once, in chunks, and keep (side, id, text length) of those
   whose vector is missing or not of their current text, or lacks its second view (a row
   written before it existed: only that view is encoded and added, `vectors.store`);
   postings already current are handed to the writer (their keyword rows and failure
   records are checked, nothing is embedded).
2. **Embed, length-bucketed.** The pending postings are sorted by text length and cut into
   batches of `BATCH`, so that the texts of one model call are about as long as each other
   (the model's threads split the batch's tokens evenly, and no batch pads a short text's
   share with a long one's). Each batch re-reads its postings (an edit since the plan is
   embedded in its new text) and is encoded outside any transaction.
3. **Write, beside the embedding.** A writer thread takes each encoded batch and stores its
   vectors, keyword rows and failures in one transaction, while the model already runs on the
   next batch (the queue between them holds `AHEAD` batches: the model waits for the writer
   only when the writer falls that far behind). Progress is printed after each commit:
   done/total, passages per second and the time left (from the characters still to embed).

Every batch is committed on its own, so a killed job loses at most the batches between the
model and the writer; run again, it plans only what has no current vector, and embeds nothing
twice. At the end the index is rebuilt from the table and written as the next generation.
When second views were filled, every stored recommendation list is marked stale (its pairs
that lacked one were scored by the fallback model): the worker stores them again.
"""

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from matching.embedders import Embedder
from service.engine import repository, vectors
from service.engine.documents import KINDS, Kind
from service.engine.store import IndexStore
from service.kit.db import read_only

BATCH = 32  # postings per model call
PLAN_CHUNK = 2000  # postings read per planning query
AHEAD = 2  # encoded batches waiting for the writer before the model waits
LABELS = {"need": "需求", "capability": "成果"}


@dataclass(frozen=True, slots=True)
class Pending:
    """A posting to embed: its side, id and the length of the text the model reads."""

    kind: Kind
    posting_id: int
    length: int


@dataclass
class _Batch:
    kind: Kind
    todo: vectors.Todo
    encoded: vectors.Encoded
    failed: dict[int, str]
    current: list[int]
    chars: int  # characters the model read (the planned lengths, for the time left)
    planned: int  # postings of the plan this batch settles


@dataclass
class _Progress:
    total: int
    chars: int
    done: int = 0
    done_chars: int = 0
    embedded: int = 0
    started: float = field(default_factory=time.monotonic)


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = width * done // max(total, 1)
    return "[" + "#" * filled + "." * (width - filled) + f"] {done}/{total}"


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    return (
        f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
        if hours
        else f"{rest // 60:02d}:{rest % 60:02d}"
    )


def plan(
    session_factory: sessionmaker[Session],
    embedder: Embedder,
    kind: Kind,
    current: Callable[[Kind, list[int]], None],
    echo: Callable[[str], None] | None = None,
) -> list[Pending]:
    """The postings of `kind` without a current vector (with their text length); the ids of
    those that have one go to `current`, a chunk at a time."""
    pending: list[Pending] = []
    with session_factory() as session:
        read_only(session)
        ids = repository.all_ids(session, kind)
    for start in range(0, len(ids), PLAN_CHUNK):
        with session_factory() as session:
            read_only(session)
            todo, up_to_date = vectors.plan(
                session, kind, ids[start : start + PLAN_CHUNK], embedder.model_id, embedder.dim
            )
        pending.extend(Pending(kind, int(d.id), len(d.dense_text())) for d, *_ in todo)
        if up_to_date:
            current(kind, up_to_date)
        read = min(len(ids), start + PLAN_CHUNK)
        if echo is not None and (read == len(ids) or (start // PLAN_CHUNK) % 25 == 24):
            echo(f"{LABELS[kind]} 已检查 {read}/{len(ids)}，待嵌入 {len(pending)}")
    return pending


def buckets(pending: list[Pending], size: int = BATCH) -> list[list[Pending]]:
    """Batches of one side each, their postings of about the same length (shortest first)."""
    out: list[list[Pending]] = []
    for kind in KINDS:
        mine = sorted(
            (p for p in pending if p.kind == kind), key=lambda p: (p.length, p.posting_id)
        )
        out.extend(mine[start : start + size] for start in range(0, len(mine), size))
    return out


class _Writer:
    """The thread that stores encoded batches, one transaction each, in the order given."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        embedder: Embedder,
        on_written: Callable[[_Batch, vectors.EmbedOutcome], None],
    ) -> None:
        self.session_factory = session_factory
        self.embedder = embedder
        self.on_written = on_written
        self.queue: queue.Queue[_Batch | None] = queue.Queue(maxsize=AHEAD)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="jiebang-reindex-writer", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def put(self, batch: _Batch) -> None:
        """Hand over a batch; raises the writer's error instead once it has failed."""
        while True:
            if self.error is not None:
                raise self.error
            try:
                self.queue.put(batch, timeout=0.5)
                return
            except queue.Full:
                continue

    def finish(self) -> None:
        """Wait for every batch handed over to be written; raises the writer's error."""
        while self.thread.is_alive():
            try:
                self.queue.put(None, timeout=0.5)
                break
            except queue.Full:
                continue
        self.thread.join()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        while True:
            batch = self.queue.get()
            if batch is None:
                return
            if self.error is not None:
                continue  # failed: drain what is handed over, so the model never blocks
            try:
                with self.session_factory() as session:
                    outcome = vectors.store(
                        session,
                        batch.kind,
                        self.embedder,
                        batch.todo,
                        batch.encoded,
                        batch.failed,
                        batch.current,
                        due=False,  # a bulk job: no refresh follows, none is asked of the sweep
                    )
                    session.commit()
                self.on_written(batch, outcome)
            except BaseException as exc:  # noqa: BLE001 - raised in the job's thread
                self.error = exc


def reindex(
    session_factory: sessionmaker[Session],
    embedder: Embedder,
    store: IndexStore,
    echo: Callable[[str], None],
    *,
    batch: int = BATCH,
) -> dict[str, int]:
    """Embed what is missing or stale (length-bucketed batches, written beside the model,
    each committed: an interrupted run resumes where it stopped), then rebuild both indexes
    from the table and write them as the next generation."""
    counts = {"embedded": 0, "second": 0, "current": 0, "failed": 0}
    lock = threading.Lock()
    progress = _Progress(0, 0)

    def written(done: _Batch, outcome: vectors.EmbedOutcome) -> None:
        with lock:
            counts["embedded"] += len(outcome.embedded)
            counts["second"] += len(outcome.second)
            counts["current"] += len(outcome.current)
            counts["failed"] += len(outcome.failed)
            if not done.planned:
                return  # postings found current by the plan
            progress.done += done.planned
            progress.done_chars += done.chars
            progress.embedded += len(outcome.embedded)
            took = max(time.monotonic() - progress.started, 1e-9)
            rate = progress.done / took
            left = (progress.chars - progress.done_chars) / max(progress.done_chars / took, 1e-9)
            echo(
                f"{LABELS[done.kind]} {_bar(progress.done, progress.total)}"
                f"  {rate:.1f} 条/秒  剩余约 {_clock(left)}"
                f"  新嵌入 {len(outcome.embedded)}  补第二向量 {len(outcome.second)}"
                f"  已是最新 {len(outcome.current)}"
                f"  失败 {len(outcome.failed)}"
            )

    writer = _Writer(session_factory, embedder, written)
    writer.start()

    def current(kind: Kind, ids: list[int]) -> None:
        writer.put(_Batch(kind, [], {}, {}, ids, 0, 0))

    try:
        pending = [
            p for kind in KINDS for p in plan(session_factory, embedder, kind, current, echo)
        ]
        progress.total, progress.chars = len(pending), sum(p.length for p in pending)
        progress.started = time.monotonic()
        echo(
            f"待嵌入 {len(pending)} 条（需求 {sum(p.kind == 'need' for p in pending)}，"
            f"成果 {sum(p.kind == 'capability' for p in pending)}），按长度分批，每批 {batch} 条"
        )
        for chunk in buckets(pending, batch):
            kind = chunk[0].kind
            with session_factory() as session:  # read only: no lock while the model runs
                read_only(session)
                todo, up_to_date = vectors.plan(
                    session, kind, [p.posting_id for p in chunk], embedder.model_id, embedder.dim
                )
            encoded, failed = vectors.encode(embedder, todo)
            chars = sum(p.length for p in chunk)
            writer.put(_Batch(kind, todo, encoded, failed, up_to_date, chars, len(chunk)))
    finally:
        writer.finish()
    took = time.monotonic() - progress.started
    if progress.total:
        echo(
            f"嵌入完成 {progress.done}/{progress.total}，用时 {_clock(took)}，"
            f"{progress.done / max(took, 1e-9):.1f} 条/秒"
        )
    if counts["second"]:
        # a pair lacking a second view was scored by the fallback model: every stored list
        # may rank differently now (stale; the worker stores them again, serving them meanwhile)
        with session_factory() as session:
            counts["stale_lists"] = repository.forget_rank_models(session)
            session.commit()
        echo(f"已补第二向量：{counts['stale_lists']} 个推荐列表待后台重排")
    with session_factory() as session:  # from the table rather than trusting an old file
        store.load(session, use_generation=False)
        store.catch_up(session)
    store.save()  # the next generation, which every worker switches to
    counts["indexed_needs"] = store.count("need")
    counts["indexed_capabilities"] = store.count("capability")
    counts["seconds"] = round(took)
    return counts
