"""The per-process index store: catch-up from the database, commit-order gaps, persistence,
and a clean rebuild when the model changes."""

import logging
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from matching.embedders import HashEmbedder
from matching.generations import read_pointer
from service.engine import vectors
from service.engine.documents import doc_hash, to_doc
from service.engine.service import search
from service.engine.store import IndexStore, _tag
from service.kit.db import make_engine, utcnow
from service.models import Capability, PostingVector, User
from service.models.enums import OrgKind, Role
from tests.factories import create_org, create_user
from tests.matching.test_ranking import held_model
from tests.service.engine_support import committed_database_url, embed_all, eval_capability


@pytest.fixture
def lab(session: Session) -> User:
    return create_user(session, Role.researcher, org=create_org(session, OrgKind.university))


def _found(session: Session, store: IndexStore, q: str) -> list[int]:
    recs, _, _ = search(session, "capability", q, [], offset=0, limit=50, store=store)
    return [r.posting_id for r in recs]


def test_catch_up_sees_postings_embedded_by_another_process(session: Session, lab: User) -> None:
    embedder = HashEmbedder(dim=64)
    first = eval_capability(session, lab, "C189")
    embed_all(session, embedder)
    mine, theirs = IndexStore(embedder), IndexStore(embedder)
    assert _found(session, mine, "薄膜封装") == [first.id]
    assert _found(session, theirs, "薄膜封装") == [first.id]
    # "theirs" embeds a new posting; "mine" sees it at its next search without a reload
    second = eval_capability(session, lab, "C044")
    vectors.embed_postings(session, "capability", [second.id], theirs.embedder)
    assert second.id in _found(session, mine, "紫外固化 封边胶")
    assert mine.catch_up(session) == 0  # nothing new: the cheap query loads nothing


def test_catch_up_covers_commit_order_gaps_within_the_lookback(session: Session, lab: User) -> None:
    embedder = HashEmbedder(dim=64)
    eval_capability(session, lab, "C189")
    embed_all(session, embedder)
    store = IndexStore(embedder, lookback=timedelta(seconds=120), rescan_every=timedelta(0))
    store.ensure_current(session)
    # a row stamped before the watermark but committed only now (a slow transaction elsewhere)
    late = eval_capability(session, lab, "C144")
    vectors.embed_postings(session, "capability", [late.id], embedder)
    row = session.scalar(
        select(PostingVector).where(
            PostingVector.posting_id == late.id, PostingVector.kind == "capability"
        )
    )
    assert row is not None and store.watermark("capability") is not None
    row.indexed_at = store.watermark("capability") - timedelta(seconds=60)  # type: ignore[operator]
    session.flush()
    assert store.catch_up(session) == 1
    assert ("capability", late.id) in store


def test_edited_text_is_reindexed_and_status_is_read_from_the_database(
    session: Session, lab: User
) -> None:
    embedder = HashEmbedder(dim=64)
    cap = eval_capability(session, lab, "C189")
    embed_all(session, embedder)
    store = IndexStore(embedder)
    assert _found(session, store, "薄膜封装") == [cap.id]
    cap.title, cap.keywords = "高通量单细胞测序平台", ["单细胞测序"]
    cap.description = "基于微流控液滴的单细胞转录组测序平台，通量十万细胞，用于肿瘤异质性研究。"
    vectors.embed_postings(session, "capability", [cap.id], embedder)
    assert _found(session, store, "单细胞测序") == [cap.id]
    assert _holds_text_of(store, cap)
    cap.status = "archived"  # no re-embedding: the filter reads the current status
    session.flush()
    assert _found(session, store, "单细胞测序") == []


def test_saved_index_is_reused_and_a_new_model_rebuilds_cleanly(
    session: Session,
    lab: User,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caps = [eval_capability(session, lab, k) for k in ("C189", "C044", "C144")]
    old, new = HashEmbedder(dim=64), HashEmbedder(dim=32)
    embed_all(session, old)
    first = IndexStore(old, tmp_path)
    first.ensure_current(session)
    first.save()
    assert read_pointer(tmp_path / "capability").model_id == old.model_id  # type: ignore[union-attr]

    caplog.set_level(logging.INFO, logger="jiebang.engine")
    again = IndexStore(old, tmp_path)
    again.ensure_current(session)
    assert "loaded from" in caplog.text and again.count("capability") == 3
    assert set(_found(session, again, "薄膜")) == {c.id for c in caps}

    caplog.clear()
    embed_all(session, new)  # what `jiebang reindex` does for a new model
    switched = IndexStore(new, tmp_path)
    switched.ensure_current(session)
    assert "stale" in caplog.text and "rebuilt" in caplog.text
    assert switched.count("capability") == 3
    switched.save()
    meta = read_pointer(tmp_path / "capability")
    assert meta is not None and (meta.model_id, meta.dim, meta.count) == (new.model_id, 32, 3)
    assert set(_found(session, switched, "薄膜")) == {c.id for c in caps}


def test_saved_index_reloads_rows_written_after_its_watermark(
    session: Session, lab: User, tmp_path: Path
) -> None:
    embedder = HashEmbedder(dim=64)
    cap = eval_capability(session, lab, "C189")
    embed_all(session, embedder)
    store = IndexStore(embedder, tmp_path, lookback=timedelta(seconds=0))
    store.ensure_current(session)
    store.save()
    cap.title = "单细胞测序平台"
    cap.description = "基于微流控液滴的单细胞转录组测序平台，通量十万细胞。"
    cap.keywords = ["单细胞测序"]
    vectors.embed_postings(session, "capability", [cap.id], embedder)
    later = IndexStore(embedder, tmp_path, lookback=timedelta(seconds=0))
    later.ensure_current(session)
    assert _holds_text_of(later, cap)
    assert utcnow() >= later.watermark("capability")  # type: ignore[operator]


def test_a_thread_already_in_a_transaction_and_a_fresh_one_do_not_deadlock(
    tmp_path: Path,
) -> None:
    """Database lock first, store lock second, in every thread (SQLite's BEGIN IMMEDIATE)."""
    for url in committed_database_url(tmp_path, "locks"):
        if not url.startswith("sqlite"):
            continue  # PostgreSQL readers take no database-wide lock
        engine, impatient = make_engine(url), make_engine(url)
        # the other thread gives up after 3 s instead of 30, so a deadlock fails the test fast
        event.listen(impatient, "connect", lambda conn, _: conn.execute("PRAGMA busy_timeout=3000"))
        store = IndexStore(HashEmbedder())
        with Session(engine) as s:
            store.load(s)
        holder, fresh = Session(engine), Session(impatient)
        holder.execute(text("SELECT 1"))  # like a request that has read: holds the write lock
        errors: list[BaseException] = []

        def other_thread(store: IndexStore, fresh: Session, errors: list[BaseException]) -> None:
            try:
                store.catch_up(fresh)
                fresh.commit()
            except Exception as exc:  # reported by the assert below
                errors.append(exc)

        thread = threading.Thread(target=other_thread, args=(store, fresh, errors))
        thread.start()
        thread.join(0.5)  # the other thread is now waiting for the database
        store.catch_up(holder)  # must not wait on a store lock the other thread holds
        holder.commit()
        thread.join(10)
        for closing in (fresh, holder):
            closing.close()
        for disposing in (engine, impatient):
            disposing.dispose()
        assert not thread.is_alive() and errors == []


def test_a_catch_up_never_waits_for_a_ranking(session: Session, lab: User) -> None:
    """The service's matcher holds no lock across a ranking (its parts guard themselves): a
    catch-up adding postings while a search is inside its scoring goes through at once.
    Before, the search held the shared side of the matcher's lock, the catch-up waited for
    it, and every search arriving meanwhile queued behind the catch-up."""
    embedder = HashEmbedder(dim=64)
    cap = eval_capability(session, lab, "C189")
    embed_all(session, embedder)
    store = IndexStore(embedder)
    store.ensure_current(session)
    side = store._sides["capability"]
    entered, release = threading.Event(), threading.Event()
    side.matcher.model = held_model(side.matcher.model, "search", entered, release)
    doc = to_doc(cap)
    found: list[list[int]] = []
    search_thread = threading.Thread(
        target=lambda: found.append(_found(session, store, "薄膜封装")), name="search"
    )
    catch_up = threading.Thread(target=lambda: side.matcher.add_indexed([doc]))
    search_thread.start()
    try:
        assert entered.wait(20)
        catch_up.start()
        catch_up.join(5)
        assert not catch_up.is_alive()  # done while the search is still scoring
        assert search_thread.is_alive()
    finally:
        release.set()
        search_thread.join(20)
        catch_up.join(20)
    assert found == [[cap.id]]


def test_a_vector_stored_by_another_writer_meanwhile_is_updated_not_a_crash(
    session: Session, lab: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker and a sweep (or two processes) can embed one posting at once: both looked
    and found no row; the second insert loses to the unique index and must update instead
    (a PostgreSQL CI run failed with UniqueViolation here)."""
    embedder = HashEmbedder(dim=64)
    cap = eval_capability(session, lab, "C189")
    vectors.embed_postings(session, "capability", [cap.id], embedder)  # the other writer
    [row] = session.scalars(select(PostingVector).where(PostingVector.posting_id == cap.id))
    first_indexed = row.indexed_at
    stale_reads = [{}, {}]  # plan's and store's look-ups, both before the other commit
    real = vectors.repository.vectors_of

    def looked_before_the_other_commit(*args: object, **kw: object) -> dict:
        return stale_reads.pop() if stale_reads else real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(vectors.repository, "vectors_of", looked_before_the_other_commit)
    outcome = vectors.embed_postings(session, "capability", [cap.id], embedder)
    assert outcome.embedded == [cap.id]
    rows = session.scalars(select(PostingVector).where(PostingVector.posting_id == cap.id)).all()
    assert len(rows) == 1 and rows[0].indexed_at >= first_indexed


def _holds_text_of(store: IndexStore, posting: Capability) -> bool:
    """Whether the store serves the vector of the posting's current text."""
    return store._sides["capability"].index.tag(posting.id) == _tag(doc_hash(to_doc(posting)))
