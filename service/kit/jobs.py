"""The process's one after-commit job queue: work that must see committed data runs after the
commit, off the request, on one thread.

- A service parks work on its session with `defer(session, topic, item)`: the items wait in
  `session.info` while the transaction runs, are handed to `JOBS` when it commits and
  dropped when it rolls back (the whole transaction: a savepoint rolled back keeps them).
- A consumer takes a topic's items: `JOBS.consume(topic, handler)`; the handler gets one
  commit's items as a list, on the queue's thread, in commit order. A topic nobody consumes
  drops its items at the commit (the engine's sweeper finds unembedded postings anyway).
- Periodic work (the deadline tick) runs on the same thread: `JOBS.every(seconds, job)`.

Topics: `engine.embed` (posting ids to the embedding worker, `service.engine.jobs`), `mail`
(e-mail copies of notifications, `service.notifications.mail`). The app's lifespan starts the
thread and the consumers and stops them (`service/app.py`); without it (the CLI, tests) the
thread starts at the first job, and the process drains the queue before it exits.
"""

import asyncio
import atexit
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from queue import Empty, Queue
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger("jiebang.jobs")

PENDING = "jiebang.jobs"  # session.info: topic → items waiting for the commit
Handler = Callable[[list[Any]], object]


def defer(session: Session, topic: str, *items: Any) -> None:
    """Hand `items` to `topic`'s consumer once this session's transaction commits."""
    pending: dict[str, list[Any]] = session.info.setdefault(PENDING, {})
    pending.setdefault(topic, []).extend(items)


def discard(session: Session, topic: str) -> None:
    """Drop what is parked on `session` for `topic` (its work was called off)."""
    session.info.get(PENDING, {}).pop(topic, None)


@dataclass(eq=False)
class Periodic:
    """A job the queue runs now and then every `seconds` (after each run ends)."""

    queue: "JobQueue"
    seconds: float
    job: Callable[[], object]
    name: str
    due: float = 0.0
    runs: int = 0
    stopped: threading.Event = field(default_factory=threading.Event)

    def stop(self, timeout: float = 10.0) -> None:
        """No more runs; waits for a run in progress to end (at most `timeout` seconds)."""
        self.queue._remove(self, timeout)


class JobQueue:
    """One daemon thread running committed jobs in order, and periodic jobs when due."""

    def __init__(self, name: str = "jiebang-jobs") -> None:
        self.name = name
        self._consumers: dict[str, Handler] = {}
        self._queue: Queue[tuple[str, Callable[[], object]] | None] = Queue()
        self._periodic: list[Periodic] = []
        self._lock = threading.Lock()
        self._running = threading.Lock()  # held while a job runs
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # --- consumers -----------------------------------------------------------------------
    def consume(self, topic: str, handler: Handler) -> None:
        """`handler` takes `topic`'s committed items from now on (replacing any other)."""
        with self._lock:
            self._consumers[topic] = handler

    def forget(self, topic: str, handler: Handler | None = None) -> None:
        """Stop consuming `topic` (only if `handler` is still its consumer, when given)."""
        with self._lock:
            if handler is None or self._consumers.get(topic) is handler:
                self._consumers.pop(topic, None)

    def consumes(self, topic: str) -> bool:
        return topic in self._consumers

    def submit(self, topic: str, items: Sequence[Any]) -> bool:
        """Queue `items` for `topic`'s consumer; False (dropped) when nobody consumes it."""
        handler = self._consumers.get(topic)
        if handler is None or not items:
            return False
        batch = list(items)
        self._put(topic, lambda: handler(batch))
        return True

    def every(self, seconds: float, job: Callable[[], object], name: str = "periodic") -> Periodic:
        """Run `job` now, then every `seconds` after each run ends, until stopped."""
        periodic = Periodic(self, seconds, job, name, due=time.monotonic())
        with self._lock:
            self._periodic.append(periodic)
        self._put_wakeup()
        return periodic

    # --- waiting and stopping ------------------------------------------------------------
    def join(self) -> None:
        """Block until every job queued so far has run (tests)."""
        self.start()
        self._queue.join()

    def wait(self, timeout: float) -> bool:
        """Wait at most `timeout` seconds for every job queued so far to have run."""
        if self._queue.unfinished_tasks:
            self.start()
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.02)
        return not self._queue.unfinished_tasks

    def drain(self, timeout: float = 30.0) -> bool:
        """`wait`, at exit: a short-lived process (the `jiebang tick` command) must not exit
        before its mail went out."""
        if not self.wait(timeout):
            log.error("exiting with %d job(s) not run", self._queue.unfinished_tasks)
            return False
        return True

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread after the job it is running; queued jobs wait for the next start."""
        with self._lock:
            thread = self._thread
        if thread is None:
            return
        self._stop.set()
        self._queue.put(None)  # wake it
        thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- the thread ----------------------------------------------------------------------
    def _put(self, name: str, job: Callable[[], object]) -> None:
        self.start()
        self._queue.put((name, job))

    def _put_wakeup(self) -> None:
        self.start()
        self._queue.put(None)

    def _remove(self, periodic: Periodic, timeout: float) -> None:
        periodic.stopped.set()
        with self._lock:
            if periodic in self._periodic:
                self._periodic.remove(periodic)
        # a run in progress ends before stop() returns
        if self._running.acquire(timeout=timeout):
            self._running.release()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                item = self._queue.get(timeout=self._until_due())
            except Empty:
                item = None
            else:
                try:
                    if item is not None:
                        self._guard(*item)
                finally:
                    self._queue.task_done()
            for periodic in self._due():
                self._guard(periodic.name, periodic.job)
                periodic.runs += 1
                periodic.due = time.monotonic() + periodic.seconds

    def _until_due(self) -> float | None:
        with self._lock:
            dues = [p.due for p in self._periodic]
        return max(0.0, min(dues) - time.monotonic()) if dues else None

    def _due(self) -> list[Periodic]:
        now = time.monotonic()
        with self._lock:
            return [p for p in self._periodic if p.due <= now and not p.stopped.is_set()]

    def _guard(self, name: str, job: Callable[[], object]) -> None:
        with self._running:
            try:
                job()
            except Exception:  # the thread must survive anything; the job logs its own
                log.exception("job %s failed", name)


JOBS = JobQueue()
atexit.register(JOBS.drain)


@asynccontextmanager
async def running(queue: JobQueue = JOBS, *, drain_seconds: float = 10.0) -> AsyncIterator[None]:
    """The app's lifespan part: the queue's thread runs while the app serves; at shutdown
    the jobs already queued get `drain_seconds` to run (the thread, a daemon, stays for any
    later commit of this process)."""
    queue.start()
    try:
        yield
    finally:
        await asyncio.to_thread(queue.wait, drain_seconds)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending: dict[str, list[Any]] | None = session.info.pop(PENDING, None)
    for topic, items in (pending or {}).items():
        JOBS.submit(topic, items)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:  # the whole transaction is gone, and its jobs too
        session.info.pop(PENDING, None)
