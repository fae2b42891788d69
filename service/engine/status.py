"""What an admin sees of the engine: model, per-side counts, and every embedding failure."""

import os

from sqlalchemy.orm import Session

from service.engine import repository
from service.engine.documents import Kind
from service.engine.schemas import EngineStatus, FailureRead, SideStatus
from service.engine.store import IndexStore


def _side(session: Session, store: IndexStore, kind: Kind, failed: int) -> SideStatus:
    return SideStatus(
        postings=repository.count_postings(session, kind),
        indexed=repository.count_vectors(session, kind, store.model_id),
        missing=len(repository.missing_ids(session, kind, store.model_id)),
        failed=failed,
        in_memory=store.count(kind),
        watermark=store.watermark(kind),
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
