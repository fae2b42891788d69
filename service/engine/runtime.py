"""The engine's place in the app's lifespan: the embedding worker, started with the app and
stopped with it, consumes the job queue's `engine.embed` and `engine.viewed` topics (posting
ids handed over after each commit, `service.engine.jobs`)."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from service.config import get_settings
from service.engine.jobs import set_dispatch
from service.engine.store import get_store
from service.engine.worker import EmbeddingWorker
from service.kit.db import get_session, get_sessionmaker, open_read_session


def _log_to_stderr() -> None:
    """Embedding progress belongs in the server log (uvicorn configures only its own)."""
    log = logging.getLogger("jiebang.engine")
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s engine[%(process)d] %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the embedding worker (which also warms the index) unless disabled."""
    settings = get_settings()
    worker = None
    # With the request session overridden (tests) the app is not on the configured database,
    # which is where the worker would read and write: leave the worker off.
    if settings.engine_background and get_session not in app.dependency_overrides:
        _log_to_stderr()
        # the warm-up reads the replica when one is configured (the worker's later catch-ups
        # use the primary: it ranks postings it has just embedded)
        worker = EmbeddingWorker(get_sessionmaker(), get_store, warm_up_sessions=open_read_session)
        set_dispatch(worker.enqueue, worker.viewed)
        worker.start()  # returns at once: warm-up and embedding run in the worker thread
    try:
        yield
    finally:
        if worker is not None:
            set_dispatch(None)
            worker.stop()
