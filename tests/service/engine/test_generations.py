"""Index generations in the service: a restarted store maps the current generation instead
of rebuilding, stores switch to a generation another one wrote while ranking goes on, and a
writer killed mid-compaction leaves a usable index (the database refills what it lacked), and
the worker keeps embedding while its compactor writes a generation."""

import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, event, update
from sqlalchemy.orm import Session, sessionmaker

import matching.generations as generations
from matching.embedders import HashEmbedder
from matching.generations import read_pointer
from service.engine import repository, vectors
from service.engine.service import search
from service.engine.store import IndexStore
from service.engine.worker import EmbeddingWorker
from service.kit.db import make_engine, utcnow
from service.models import PostingVector, User
from service.models.enums import OrgKind, Role
from tests.factories import create_org, create_user
from tests.service.engine_support import committed_database_url, embed_all, eval_capability

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def lab(session: Session) -> User:
    return create_user(session, Role.researcher, org=create_org(session, OrgKind.university))


def _found(session: Session, store: IndexStore, q: str) -> list[int]:
    recs, _, _ = search(session, "capability", q, [], offset=0, limit=50, store=store)
    return [r.posting_id for r in recs]


def test_stores_switch_to_the_generation_another_wrote_while_ranking_goes_on(
    session: Session, lab: User, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    embedder = HashEmbedder(dim=64)
    first = eval_capability(session, lab, "C189")
    embed_all(session, embedder)
    writer = IndexStore(embedder, tmp_path, compact_rows=1)
    writer.ensure_current(session)
    assert writer.compact() == {"need": 1, "capability": 1}  # none yet: the first ones
    assert writer.compact() == {}  # nothing pending
    caplog.set_level(logging.INFO, logger="jiebang.engine")
    # the ranking thread below has no session: this reader keeps its keywords in memory
    reader = IndexStore(embedder, tmp_path, keywords="memory")
    reader.ensure_current(session)
    assert "loaded from" in caplog.text and "rebuilt" not in caplog.text
    assert reader.generation("capability") == 1 and reader.count("capability") == 1

    errors: list[BaseException] = []
    stop = threading.Event()

    def ranking() -> None:  # rankings go on while the reader switches generations
        try:
            while not stop.is_set():
                assert reader.rank("capability", "薄膜封装", allowed=None, k=5)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    thread = threading.Thread(target=ranking)
    thread.start()
    try:
        second = eval_capability(session, lab, "C044")
        vectors.embed_postings(session, "capability", [second.id], embedder)
        writer.catch_up(session)
        assert writer.compact() == {"capability": 2}  # one row is due (compact_rows=1)
        assert writer._sides["capability"].index.delta_count == 0
        assert second.id in _found(session, reader, "紫外固化 封边胶")
        assert reader.generation("capability") == 2
        assert reader._sides["capability"].index.delta_count == 0  # the generation holds it
        # an edit after the generation: the reader serves the new text from its delta
        first.title, first.keywords = "高通量单细胞测序平台", ["单细胞测序"]
        first.description = "基于微流控液滴的单细胞转录组测序平台，通量十万细胞。"
        vectors.embed_postings(session, "capability", [first.id], embedder)
        assert _found(session, reader, "单细胞测序")[0] == first.id
        assert reader._sides["capability"].matcher.docs[first.id].title == "高通量单细胞测序平台"
        assert reader._sides["capability"].index.delta_count == 1
    finally:
        stop.set()
        thread.join(30)
    assert errors == []
    meta = read_pointer(tmp_path / "capability")
    assert meta is not None and (meta.number, meta.count) == (2, 2)
    assert sorted(p.name for p in (tmp_path / "capability").glob("gen-*")) == [
        "gen-000001",
        "gen-000002",
    ]  # the previous one is kept for its grace period


_KILLED = textwrap.dedent(
    """
    import sys, time
    from sqlalchemy.orm import Session
    import matching.generations as generations
    from matching.embedders import HashEmbedder
    from service.engine.store import IndexStore
    from service.kit.db import make_engine

    real = generations._save_npy

    def slow(path, arr):  # index.faiss is written; the rest never will be
        print("writing", path.name, flush=True)
        time.sleep(60)
        return real(path, arr)

    generations._save_npy = slow
    store = IndexStore(HashEmbedder(dim=64), generations.Path(sys.argv[2]))
    with Session(make_engine(sys.argv[1])) as session:
        store.load(session)
    store.compact(force=True)
    """
)


def test_a_worker_killed_mid_compaction_leaves_a_usable_index(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for url in committed_database_url(tmp_path, "killed"):
        engine = make_engine(url)
        sm = sessionmaker(bind=engine, expire_on_commit=False)
        embedder = HashEmbedder(dim=64)
        index_dir = tmp_path / "index"
        with sm() as s:
            lab = create_user(s, Role.researcher, org=create_org(s, OrgKind.university))
            old = eval_capability(s, lab, "C189")
            embed_all(s, embedder)
            s.commit()
            store = IndexStore(embedder, index_dir)
            store.ensure_current(s)
            store.save()  # generation 1: the first posting
            new = eval_capability(s, lab, "C044")
            vectors.embed_postings(s, "capability", [new.id], embedder)
            s.commit()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(
            [sys.executable, "-c", _KILLED, url, str(index_dir)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.startswith("writing"), (line, proc.stderr.read() if proc.stderr else "")
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(30)
        assert list(index_dir.glob("*/.tmp-gen-*"))  # the half-written generation
        assert read_pointer(index_dir / "capability").number == 1  # type: ignore[union-attr]
        caplog.set_level(logging.INFO, logger="jiebang.engine")
        restarted = IndexStore(embedder, index_dir)
        with sm() as s:
            restarted.ensure_current(s)
            assert "loaded from" in caplog.text and "rebuilt" not in caplog.text
            assert restarted.generation("capability") == 1
            # nothing is lost: what the generation lacks came from the database
            assert restarted.count("capability") == 2
            assert restarted._sides["capability"].index.delta_count == 1
            assert old.id in _found(s, restarted, "薄膜封装")
            assert new.id in _found(s, restarted, "紫外固化 封边胶")
            assert restarted.compact(force=True)  # the next writer clears the leftovers
        assert not list(index_dir.glob("*/.tmp-gen-*"))
        assert read_pointer(index_dir / "capability").count == 2  # type: ignore[union-attr]
        engine.dispose()


def test_a_store_starts_over_an_empty_generation_when_postings_came_since(
    session: Session, lab: User, tmp_path: Path
) -> None:
    """The first generation of a new site holds nothing (written before any embedding); a
    process started after postings were embedded maps it and loads them from the database."""
    embedder = HashEmbedder(dim=64)
    writer = IndexStore(embedder, tmp_path)
    writer.ensure_current(session)
    assert writer.compact() == {"need": 1, "capability": 1}  # empty generations
    cap = eval_capability(session, lab, "C189")
    embed_all(session, embedder)
    reader = IndexStore(embedder, tmp_path)
    reader.ensure_current(session)
    assert reader.generation("capability") == 1 and reader.count("capability") == 1
    assert cap.id in _found(session, reader, cap.title)


def test_the_worker_embeds_while_its_compactor_writes_a_generation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first generation (minutes at a million postings) is written by the compactor
    thread: a posting committed meanwhile is embedded and served from the delta at once, and
    stays served after the switch to the generation, which was taken before it came."""
    writing, release = threading.Event(), threading.Event()
    real = generations.write_generation

    def slowed(root: Path, **kw: Any) -> generations.GenerationMeta:
        if Path(root).name == "capability":  # after its snapshot was taken
            writing.set()
            assert release.wait(60), "never released"
        return real(root, **kw)

    monkeypatch.setattr(generations, "write_generation", slowed)
    for url in committed_database_url(tmp_path, "compactor"):
        engine = make_engine(url)
        sm = sessionmaker(bind=engine, expire_on_commit=False)
        embedder = HashEmbedder(dim=64)
        with sm() as s:
            lab = create_user(s, Role.researcher, org=create_org(s, OrgKind.university))
            old = eval_capability(s, lab, "C189").id
            embed_all(s, embedder)
            s.commit()
        store = IndexStore(embedder, tmp_path / "index")
        worker = EmbeddingWorker(
            sm, lambda store=store: store, sweep_seconds=3600, refresh_candidates=False
        )
        worker.start()
        try:
            assert writing.wait(30)  # the compactor is writing the first generation
            with sm() as s:
                new = eval_capability(s, lab, "C044").id
                s.commit()
            worker.enqueue([("capability", new)])
            assert worker.wait_idle(30)  # embedded while the generation is being written
            with sm() as s:
                assert vectors.stored_vector(s, "capability", new, embedder.model_id)
                assert new in _found(s, store, "紫外固化 封边胶")  # caught up into the delta
            assert ("capability", new) in store and ("capability", old) in store
            assert store.generation("capability") is None  # still being written
        finally:
            release.set()
        deadline = time.monotonic() + 30
        while store.generation("capability") is None and time.monotonic() < deadline:
            time.sleep(0.05)
        worker.stop()
        assert store.generation("capability") == 1
        meta = read_pointer(tmp_path / "index" / "capability")
        assert meta is not None and meta.count == 1  # taken before the new posting came
        assert store._sides["capability"].index.delta_count == 1  # which the delta keeps
        with sm() as s:
            assert new in _found(s, store, "紫外固化 封边胶")
            assert old in _found(s, store, "薄膜封装")
        engine.dispose()


def test_a_restarted_store_reads_no_posting_text_and_verifies_its_generation_later(
    session: Session, lab: User, tmp_path: Path
) -> None:
    """Start-up maps the generation and reads two columns per posting: no posting's text, no
    crc of the files; `verify` reads the crc afterwards and records it beside the files."""
    embedder = HashEmbedder(dim=64)
    cap = eval_capability(session, lab, "C189")
    embed_all(session, embedder)
    writer = IndexStore(embedder, tmp_path)
    writer.ensure_current(session)
    writer.save()
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        restarted = IndexStore(embedder, tmp_path, compact_rows=1)
        restarted.ensure_current(session)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert restarted.generation("capability") == 1
    assert not [s for s in statements if "capabilities.description" in s]
    assert restarted._sides["capability"].verified is False
    generation = restarted._sides["capability"].index.base
    assert generation is not None and not (generation.path / "VERIFIED").exists()
    other = eval_capability(session, lab, "C044")
    vectors.embed_postings(session, "capability", [other.id], embedder)
    restarted.ensure_current(session)
    assert restarted.compact() == {}  # nothing copied from an unverified generation
    assert restarted.verify(session) == {"need": True, "capability": True}
    assert (generation.path / "VERIFIED").exists()
    assert restarted.compact() == {"capability": 2}
    assert restarted.verify(session) == {}  # written here: nothing to check
    assert cap.id in _found(session, restarted, cap.title)


def test_a_corrupt_generation_found_after_start_is_replaced_from_the_database(
    session: Session, lab: User, tmp_path: Path
) -> None:
    embedder = HashEmbedder(dim=64)
    cap = eval_capability(session, lab, "C189")
    embed_all(session, embedder)
    writer = IndexStore(embedder, tmp_path)
    writer.ensure_current(session)
    writer.save()
    current = read_pointer(tmp_path / "capability")
    assert current is not None
    index_file = tmp_path / "capability" / current.dirname / "index.faiss"
    data = bytearray(index_file.read_bytes())
    data[-5] ^= 0xFF  # a flipped byte in the vectors: same size, another crc
    index_file.write_bytes(bytes(data))

    served = IndexStore(embedder, tmp_path)
    served.ensure_current(session)  # serves at once: the damage is not seen yet
    assert served.generation("capability") == current.number
    assert served.verify(session) == {"need": True, "capability": False}
    # marked, the side rebuilt from the database, and a fresh generation written from it
    assert (index_file.parent / "CORRUPT").exists()
    assert served.generation("capability") is None and ("capability", cap.id) in served
    assert cap.id in _found(session, served, cap.title)
    assert served.compact() == {"capability": current.number + 1}
    # a process starting meanwhile refuses the marked generation
    later = IndexStore(embedder, tmp_path)
    later.ensure_current(session)
    assert later.generation("capability") == current.number + 1
    assert later.verify(session) == {"need": True, "capability": True}
    assert cap.id in _found(session, later, cap.title)


def test_a_restarted_store_reads_only_the_vectors_written_since_its_generation(
    session: Session, lab: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Start-up reads the heads of the rows stamped since the generation's watermark (less
    the lookback), not every row; when the table lost a row the generation holds, it reads
    every head and masks that row, as before."""
    embedder = HashEmbedder(dim=64)
    old, edited = eval_capability(session, lab, "C189"), eval_capability(session, lab, "C044")
    embed_all(session, embedder)
    an_hour_ago = utcnow() - timedelta(hours=1)  # a bulk load stamped long before
    session.execute(update(PostingVector).values(indexed_at=an_hour_ago))
    writer = IndexStore(embedder, tmp_path)
    writer.ensure_current(session)
    writer.save()
    meta = read_pointer(tmp_path / "capability")
    assert meta is not None and meta.watermark is not None
    assert datetime.fromisoformat(meta.watermark) > an_hour_ago  # complete up to the scan
    new = eval_capability(session, lab, "C144")
    edited.description += "可定制开发。"
    session.flush()
    embed_all(session, embedder)
    read: list[tuple[datetime | None, int]] = []
    real = repository.vector_heads_since

    def heads(s: Session, kind: str, model_id: str, since: datetime | None, **kw: Any) -> Any:
        rows = real(s, kind, model_id, since, **kw)  # type: ignore[arg-type]
        if kind == "capability":
            read.append((since, len(rows)))
        return rows

    monkeypatch.setattr(repository, "vector_heads_since", heads)
    restarted = IndexStore(embedder, tmp_path)
    restarted.ensure_current(session)
    assert read[0][0] is not None and read[0][1] == 2  # the new row and the edited one
    assert restarted.generation("capability") == 1 and restarted.count("capability") == 3
    assert new.id in _found(session, restarted, new.title)
    assert edited.id in _found(session, restarted, "可定制开发")
    assert ("capability", old.id) in restarted
    session.execute(
        delete(PostingVector).where(
            PostingVector.kind == "capability", PostingVector.posting_id == old.id
        )
    )
    read.clear()
    again = IndexStore(embedder, tmp_path)
    again.ensure_current(session)
    assert read[1] == (None, 2)  # a row is gone: every head read
    assert ("capability", old.id) not in again and again.count("capability") == 2


def test_a_start_that_read_a_generation_s_worth_of_heads_writes_the_next_generation(
    session: Session, lab: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A generation whose watermark lags far behind the rows it holds (written by an older
    version, which stamped the newest row: a bulk load stamped every row at one instant) makes
    every start read every head again. The start that finds such a window makes the next
    generation due; written, it is stamped complete to that start and the next start reads
    nothing (matching/BENCHMARKS.md §16: 1.1M heads, 5–22 s of a 1M restart)."""
    embedder = HashEmbedder(dim=64)
    for code in ("C189", "C044", "C144"):
        eval_capability(session, lab, code)
    embed_all(session, embedder)
    an_hour_ago = utcnow() - timedelta(hours=1)
    session.execute(update(PostingVector).values(indexed_at=an_hour_ago))
    # a lookback longer than the rows' age: the generation is stamped with its newest row
    writer = IndexStore(embedder, tmp_path, lookback=timedelta(hours=2))
    writer.ensure_current(session)
    writer.save()
    meta = read_pointer(tmp_path / "capability")
    assert meta is not None and datetime.fromisoformat(meta.watermark or "") == an_hour_ago
    read: list[int] = []
    real = repository.vector_heads_since

    def heads(s: Session, kind: str, model_id: str, since: datetime | None, **kw: Any) -> Any:
        rows = real(s, kind, model_id, since, **kw)  # type: ignore[arg-type]
        if kind == "capability":
            read.append(len(rows))
        return rows

    monkeypatch.setattr(repository, "vector_heads_since", heads)
    restarted = IndexStore(embedder, tmp_path, compact_rows=2)
    restarted.ensure_current(session)
    assert read[0] == 3  # every row: all stamped within the lookback of the old watermark
    assert restarted.compact_due() == ["capability"]  # nothing new, but the window was wide
    assert restarted.compact() == {}  # not before the mapped base is verified
    restarted.verify(session)
    assert restarted.compact() == {"capability": 2}
    assert restarted.compact_due() == []
    read.clear()
    again = IndexStore(embedder, tmp_path, compact_rows=2)
    again.ensure_current(session)
    assert read[0] == 0 and again.count("capability") == 3 and again.compact_due() == []
