"""Where the engine's background work runs (`engine_work`).

- "thread" (the embedded default): the embedding worker is started with the app and stopped
  with it, in the app's process; it consumes the job queue's `engine.embed` and
  `engine.viewed` topics (posting ids handed over after each commit, `service.engine.jobs`).
- "process": the app process only warms its index, in a thread of its own, off the request
  path (rankings catch up on new vectors and generations as always), and hands the postings
  whose recommendations were read to the engine's inbox; one `jiebang engine` process runs
  the same worker (`run_engine`), fed by the inbox, at a lower CPU priority, and writes the
  generations. `jiebang serve --workers N` starts and stops it (`EngineProcess`).
"""

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager

from fastapi import FastAPI

from service.config import get_settings
from service.engine import priority
from service.engine.inbox import Inbox, post_views
from service.engine.jobs import set_dispatch
from service.engine.store import get_store
from service.engine.worker import EmbeddingWorker, warm_up
from service.kit.db import get_engine, get_session, get_sessionmaker, open_read_session

log = logging.getLogger("jiebang.engine")

RESTART_SECONDS = 5.0  # an engine process that died is started again after this


@contextmanager
def _log_to_stderr() -> Iterator[None]:
    """Embedding progress belongs in the server log (uvicorn configures only its own): the
    engine's logger writes INFO to stderr for as long as this lasts, and is left as it was
    found after (an app's lifespan ends; the process, a test run, goes on)."""
    if log.handlers:  # configured already (by the deployment, or an enclosing lifespan)
        yield
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s engine[%(process)d] %(message)s"))
    level, propagate = log.level, log.propagate
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
        log.propagate = propagate


def _warm_only() -> None:
    try:
        warm_up(get_store, open_read_session)
    except Exception:  # the first ranking loads it again
        log.exception("index warm-up failed; the first ranking loads the index")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the embedding worker (which also warms the index), or in process mode only the
    warm-up, unless disabled."""
    settings = get_settings()
    worker = None
    # With the request session overridden (tests) the app is not on the configured database,
    # which is where the worker would read and write: leave the worker off.
    on = settings.engine_background and get_session not in app.dependency_overrides
    with ExitStack() as logging_on:
        if on:
            logging_on.enter_context(_log_to_stderr())
        if on and settings.engine_work == "process":
            set_dispatch(None, post_views)
            threading.Thread(target=_warm_only, name="jiebang-warm-up", daemon=True).start()
        elif on:
            # the warm-up reads the replica when one is configured (the worker's later
            # catch-ups use the primary: it ranks postings it has just embedded)
            worker = EmbeddingWorker(
                get_sessionmaker(), get_store, warm_up_sessions=open_read_session
            )
            set_dispatch(worker.enqueue, worker.viewed)
            worker.start()  # returns at once: warm-up and embedding run in the worker thread
        try:
            yield
        finally:
            if on:
                set_dispatch(None)
            if worker is not None:
                worker.stop()


def run_engine(*, with_parent: bool = False, nice: int = 0) -> int:
    """`jiebang engine`: the background work alone, fed by the inbox, until SIGTERM or
    SIGINT (or, `with_parent`, until the process that started it is gone), `nice` below the
    requests, its database backends too (`service/engine/priority.py`)."""
    with _log_to_stderr():
        priority.lower_process(nice)
        priority.lower_backends(get_engine(), nice)
        settings = get_settings()
        if settings.engine_work != "process":
            log.warning(
                "JIEBANG_ENGINE_WORK=%s: the app processes run their own background threads too",
                settings.engine_work,
            )
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        parent = os.getppid()
        sessions = get_sessionmaker()
        worker = EmbeddingWorker(sessions, get_store, inbox=Inbox(sessions))
        log.info("engine process started (nice %d)", os.nice(0))
        worker.start()
        try:
            while not stop.wait(1.0):
                if with_parent and os.getppid() != parent:
                    log.warning("engine process: its parent is gone; stopping")
                    break
        finally:
            # a refresh in progress is not waited for: the inbox keeps its rows and the vector its
            # `refresh_due` mark, so the next start redoes it (a generation half written is left)
            worker.stop(timeout=5.0)
            log.info("engine process stopped")
        return 0


class EngineProcess:
    """The `jiebang engine` process of `jiebang serve --workers N`: started before the app
    processes, started again when it dies, stopped after them."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._watch: threading.Thread | None = None

    def start(self) -> None:
        self.proc = self._spawn()
        self._watch = threading.Thread(target=self._keep, name="jiebang-engine-watch", daemon=True)
        self._watch.start()

    def _spawn(self) -> subprocess.Popen[bytes]:
        # its own session: a Ctrl-C stops the app processes, then `stop` stops the engine
        return subprocess.Popen(
            [sys.executable, "-m", "service.cli", "engine", "--with-parent"],
            env=self.env,
            start_new_session=True,
        )

    def _keep(self) -> None:
        while not self._stopping.is_set():
            proc = self.proc
            if proc is not None and proc.poll() is not None and not self._stopping.is_set():
                log.warning("engine process exited (%s); restarting", proc.returncode)
                if self._stopping.wait(RESTART_SECONDS):
                    return
                self.proc = self._spawn()
            self._stopping.wait(1.0)

    def stop(self, timeout: float = 60.0) -> None:
        self._stopping.set()
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
