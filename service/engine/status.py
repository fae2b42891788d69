"""What an admin sees of the engine: model, per-side counts, the engine process's backlog,
and every embedding failure."""

import os

from sqlalchemy.orm import Session

from service.engine import repository
from service.engine.documents import Kind
from service.engine.jobs import EMBED, VIEWED
from service.engine.schemas import EngineBacklog, EngineStatus, FailureRead, SideStatus
from service.engine.store import IndexStore
from service.kit.db import utcnow


def _side(session: Session, store: IndexStore, kind: Kind, failed: int) -> SideStatus:
    return SideStatus(
        postings=repository.count_postings(session, kind),
        indexed=repository.count_vectors(session, kind, store.model_id),
        missing=len(repository.missing_ids(session, kind, store.model_id)),
        failed=failed,
        in_memory=store.count(kind),
        watermark=store.watermark(kind),
    )


def _backlog(session: Session) -> EngineBacklog:
    """What the app processes handed to `jiebang engine` and it has not done yet."""
    waiting = repository.inbox_backlog(session)
    oldest = min((t for _, t in waiting.values() if t is not None), default=None)
    return EngineBacklog(
        embed=waiting.get(EMBED, (0, None))[0],
        viewed=waiting.get(VIEWED, (0, None))[0],
        oldest_seconds=None if oldest is None else max(0.0, (utcnow() - oldest).total_seconds()),
    )


def engine_status(session: Session, store: IndexStore) -> EngineStatus:
    failures = repository.failures(session)
    return EngineStatus(
        process_id=os.getpid(),
        model_id=store.model_id,
        dim=store.dim,
        needs=_side(session, store, "need", sum(f.kind == "need" for f in failures)),
        capabilities=_side(
            session, store, "capability", sum(f.kind == "capability" for f in failures)
        ),
        backlog=_backlog(session),
        failures=[
            FailureRead(
                kind=f.kind,
                posting_id=f.posting_id,
                attempts=f.attempts,
                last_error=f.last_error,
                updated_at=f.updated_at,
            )
            for f in failures
        ],
    )
