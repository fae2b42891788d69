"""Process-wide engine state: the index store per model, the worker, and the commit hooks.

Ids are queued by SQLAlchemy session events: `after_flush` collects the needs and
capabilities written in the transaction, `after_commit` hands them to the worker (never
before the commit, so the worker always finds the committed row), `after_rollback` drops
them. Without a running worker (tests, CLI) nothing is queued; the sweeper covers the rest.
"""

import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.orm import Session

from service.config import get_settings
from service.engine.documents import Kind, kind_of
from service.engine.store import IndexStore
from service.engine.vectors import get_embedder
from service.models import Capability, Need

_STORES: dict[str, IndexStore] = {}
_STORES_LOCK = threading.Lock()
_PENDING = "engine_pending"
_dispatch: Callable[[Iterable[tuple[Kind, int]]], None] | None = None


def get_store() -> IndexStore:
    """The store of the configured model (FastAPI dependency; tests override it)."""
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
            )
            _STORES[embedder.model_id] = store
        return store


def set_dispatch(target: Callable[[Iterable[tuple[Kind, int]]], None] | None) -> None:
    """Where committed posting ids go (the worker's `enqueue`), or nowhere."""
    global _dispatch
    _dispatch = target
    if target is not None:
        _install_hooks()


_hooks_installed = False


def _install_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    event.listen(Session, "after_flush", _collect)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _after_rollback)
    _hooks_installed = True


def _collect(session: Session, _context: Any) -> None:
    touched = {
        (kind_of(obj), obj.id)
        for obj in (*session.new, *session.dirty)
        if isinstance(obj, Need | Capability) and obj.id is not None
    }
    if touched:
        session.info.setdefault(_PENDING, set()).update(touched)


def _after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending and _dispatch is not None:
        _dispatch(sorted(pending))


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


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
    from service.kit.db import get_session

    settings = get_settings()
    worker = None
    # With the request session overridden (tests) the app is not on the configured database,
    # which is where the worker would read and write: leave the worker off.
    if settings.engine_background and get_session not in app.dependency_overrides:
        _log_to_stderr()
        from service.engine.worker import EmbeddingWorker
        from service.kit.db import get_sessionmaker

        worker = EmbeddingWorker(get_sessionmaker(), get_store)
        set_dispatch(worker.enqueue)
        worker.start()  # returns at once: warm-up and embedding run in the worker thread
    try:
        yield
    finally:
        if worker is not None:
            set_dispatch(None)
            worker.stop()
