"""Postings to embed, handed to the engine worker after the commit.

A service function that creates or changes a need or a capability calls
`enqueue_embedding(session, kind, id)`; the ids wait on the session until its transaction
commits (the process's after-commit job queue, `service.kit.jobs`, topic `engine.embed`), so
the worker always finds the committed row, and are dropped on a rollback. Without a running
worker (tests, the CLI) nobody consumes the topic and nothing is dispatched; the sweeper
embeds what is missing either way, so a posting changed elsewhere (the demo loader, an
import) is embedded within `engine_sweep_seconds`.

A read of a posting's recommendations is handed over the same way (`viewed`, topic
`engine.viewed`): the worker stores the lists of the postings that are viewed (and of those
that change), not of every posting.

With the background work in a separate `jiebang engine` process (`engine_work = "process"`)
both go through the database instead (`service/engine/inbox.py`).
"""

from collections.abc import Callable, Iterable

from sqlalchemy.orm import Session

from service.config import get_settings
from service.engine import repository
from service.engine.documents import Kind
from service.kit.jobs import JOBS, defer

EMBED = "engine.embed"  # the job queue's topic
VIEWED = "engine.viewed"  # postings whose recommendations were read: store or mark their list
Dispatch = Callable[[Iterable[tuple[Kind, int]]], None]


def enqueue_embedding(session: Session, kind: Kind, posting_id: int) -> int:
    """(Re-)embed the posting after this transaction commits; returns `posting_id`. With
    the background work in its own process (`engine_work = "process"`) the posting goes
    to the engine's inbox in this transaction (`service/engine/inbox.py`)."""
    if get_settings().engine_work == "process":
        repository.post_inbox(session, EMBED, [(kind, posting_id)])
    else:
        defer(session, EMBED, (kind, posting_id))
    return posting_id


def viewed(session: Session, kind: Kind, posting_id: int) -> None:
    """The posting's recommendations were read: after this transaction, the worker stores its
    list (when none is current) or notes the view (`service/engine/refresh.py`, `viewed`)."""
    defer(session, VIEWED, (kind, posting_id))


def set_dispatch(target: Dispatch | None, views: Dispatch | None = None) -> None:
    """Where committed posting ids go (the worker's `enqueue`, once per commit, each id
    once), and the postings whose recommendations were read (the worker's `viewed`), or
    nowhere."""
    for topic, to in ((EMBED, target), (VIEWED, views)):
        if to is None:
            JOBS.forget(topic)
        else:
            JOBS.consume(topic, _each_once(to))


def _each_once(to: Dispatch) -> Callable[[list[tuple[Kind, int]]], None]:
    def handle(items: list[tuple[Kind, int]]) -> None:
        to(sorted(set(items)))

    return handle
