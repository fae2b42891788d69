"""Postings to embed, handed to the engine worker after the commit.

A service function that creates or changes a need or a capability calls
`enqueue_embedding(session, kind, id)`; the ids wait on the session until its transaction
commits (the process's after-commit job queue, `service.kit.jobs`, topic `engine.embed`), so
the worker always finds the committed row, and are dropped on a rollback. Without a running
worker (tests, the CLI) nobody consumes the topic and nothing is dispatched; the sweeper
embeds what is missing either way, so a posting changed elsewhere (the demo loader, an
import) is embedded within `engine_sweep_seconds`.
"""

from collections.abc import Callable, Iterable

from sqlalchemy.orm import Session

from service.engine.documents import Kind
from service.kit.jobs import JOBS, defer

EMBED = "engine.embed"  # the job queue's topic
Dispatch = Callable[[Iterable[tuple[Kind, int]]], None]


def enqueue_embedding(session: Session, kind: Kind, posting_id: int) -> int:
    """(Re-)embed the posting after this transaction commits; returns `posting_id`."""
    defer(session, EMBED, (kind, posting_id))
    return posting_id


def set_dispatch(target: Dispatch | None) -> None:
    """Where committed posting ids go (the worker's `enqueue`, once per commit, each id
    once), or nowhere."""
    if target is None:
        JOBS.forget(EMBED)
    else:
        JOBS.consume(EMBED, lambda items: target(sorted(set(items))))
