"""`jiebang reindex`: embed every missing or stale vector (resumable), then rebuild the index."""

from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from matching.embedders import Embedder
from service.engine import repository, vectors
from service.engine.documents import KINDS
from service.engine.store import IndexStore

BATCH = 32
LABELS = {"need": "需求", "capability": "成果"}


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = width * done // max(total, 1)
    return "[" + "#" * filled + "." * (width - filled) + f"] {done}/{total}"


def reindex(
    session_factory: sessionmaker[Session],
    embedder: Embedder,
    store: IndexStore,
    echo: Callable[[str], None],
) -> dict[str, int]:
    """Re-embed what is missing or stale, batch by batch (each batch committed, so an
    interrupted run resumes where it stopped), then rebuild both indexes from the table and
    write them as the next generation."""
    counts = {"embedded": 0, "current": 0, "failed": 0}
    for kind in KINDS:
        with session_factory() as session:
            ids = repository.all_ids(session, kind)
        done = 0
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            with session_factory() as session:
                todo, current = vectors.plan(session, kind, chunk, embedder.model_id, embedder.dim)
            encoded, failed = vectors.encode(embedder, todo)
            with session_factory() as session:
                outcome = vectors.store(session, kind, embedder, todo, encoded, failed, current)
                session.commit()
            done += len(chunk)
            counts["embedded"] += len(outcome.embedded)
            counts["current"] += len(outcome.current)
            counts["failed"] += len(outcome.failed)
            echo(
                f"{LABELS[kind]} {_bar(done, len(ids))}  新嵌入 {len(outcome.embedded)}"
                f"  已是最新 {len(outcome.current)}  失败 {len(outcome.failed)}"
            )
    with session_factory() as session:  # from the table rather than trusting an old file
        store.load(session, use_generation=False)
        store.catch_up(session)
    store.save()  # the next generation, which every worker switches to
    counts["indexed_needs"] = store.count("need")
    counts["indexed_capabilities"] = store.count("capability")
    return counts
