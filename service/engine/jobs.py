"""Postings to embed, handed to the engine worker after the commit.

A service function that creates or changes a need or a capability calls
`enqueue_embedding(session, kind, id)`; the ids wait in the session until its transaction
commits (so the worker always finds the committed row) and are dropped on a rollback.
Without a running worker (tests, the CLI) nothing is dispatched; the sweeper embeds what
is missing either way, so a posting changed elsewhere (the demo loader, an import) is
embedded within `engine_sweep_seconds`.
"""

from collections.abc import Callable, Iterable

from sqlalchemy import event
from sqlalchemy.orm import Session

from service.engine.documents import Kind

_PENDING = "engine_pending"
Dispatch = Callable[[Iterable[tuple[Kind, int]]], None]
_dispatch: Dispatch | None = None


def enqueue_embedding(session: Session, kind: Kind, posting_id: int) -> int:
    """(Re-)embed the posting after this transaction commits; returns `posting_id`."""
    session.info.setdefault(_PENDING, set()).add((kind, posting_id))
    return posting_id


def set_dispatch(target: Dispatch | None) -> None:
    """Where committed posting ids go (the worker's `enqueue`), or nowhere."""
    global _dispatch
    _dispatch = target


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending and _dispatch is not None:
        _dispatch(sorted(pending))


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
