"""`jiebang bench load` (service/engine/loadbench.py): the synthetic database is complete,
resumable and needs no embedding; the whole command runs end to end with two real worker
processes and prints its figures (tiny sizes, hash embedder; timings are printed, never
asserted).

Two real worker processes over one database, a posting created through one found by the
other's search: tests/service/engine/test_processes.py."""

import asyncio
import re
import threading
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.engine.documents import doc_hash, to_doc
from service.engine.loadbench import _in_own_loop, build, run
from service.kit.db import make_engine
from service.models import Capability, Need, PostingVector, User
from tests.service.engine_support import committed_database_url

LAST = re.compile(
    r"^load n=\d+ workers=2 clients=4 rps=[\d.]+ p50_ms=[\d.]+ p99_ms=[\d.]+ "
    r"search_p99_ms=[\d.]+ rec_p99_ms=[\d.]+ errors=(\d+) rss_mb=(\d+)$"
)


def test_the_synthetic_database_resumes_and_matches_its_vectors(tmp_path: Path) -> None:
    said: list[str] = []
    for url in committed_database_url(tmp_path, "loadbuild"):
        cache = tmp_path / "cache"
        build(url, 200, 30, "hash:64", said.append, cache, chunk=100)
        assert any("成果 200/200" in line for line in said)
        # a larger set on the same database goes on from where the first stopped
        said.clear()
        corpus = build(url, 300, 40, "hash:64", said.append, cache, chunk=100)
        assert any("从第 200 条成果、第 30 条需求继续" in line for line in said)
        done = [line.split("（")[0] for line in said if line.startswith("成果")]
        assert done == ["成果 300/300"]
        said.clear()
        build(url, 300, 40, "hash:64", said.append, cache, chunk=100)
        assert said == ["复用已有基准数据库：300 条成果，40 条需求"]
        engine = make_engine(url)
        with Session(engine) as s:
            assert s.scalar(select(func.count()).select_from(Capability)) == 300
            assert s.scalar(select(func.count()).select_from(Need)) == 40
            hashes = dict(
                s.execute(
                    select(PostingVector.posting_id, PostingVector.text_hash).where(
                        PostingVector.kind == "capability"
                    )
                ).all()
            )
            for cap in s.scalars(select(Capability)):  # the engine will not re-embed any
                assert hashes[cap.id] == doc_hash(to_doc(cap)), cap.id
                assert cap.status == "published" and len(cap.description) >= 20
            owners = {u.org_id: u.role for u in s.scalars(select(User))}
            assert {owners[n.org_id] for n in s.scalars(select(Need))} == {"enterprise"}
            assert corpus.researchers[0] == "bench_r0000" and len(corpus.queries) > 50
        engine.dispose()


def test_bench_load_runs_end_to_end(tmp_path: Path) -> None:
    said: list[str] = []
    for url in committed_database_url(tmp_path, "loadrun"):
        code = run(
            300,
            50,
            2,
            4,
            3,
            said.append,
            database_url=url,
            folder=tmp_path / "bench",
            embedder="hash:64",
        )
        assert code == 0
    match = LAST.match(said[-1])
    assert match, said[-1]
    assert match.group(1) == "0", "\n".join(said)
    assert int(match.group(2)) > 0
    assert any(line.startswith("worker 启动") for line in said)
    assert any("replacement serving after" in line for line in said)
    assert any(line.strip().startswith("search_capabilities") for line in said)


def test_the_clients_run_where_the_calling_thread_already_runs_a_loop() -> None:
    """The browser tests' playwright keeps a loop running in the main thread; `asyncio.run`
    there fails, so the clients get a loop of their own."""

    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    async def caller() -> int:
        return _in_own_loop(answer())

    # the caller's loop runs in a thread of its own too: the test's own thread may already run
    # one (after the browser tests), which is the case under test
    results: list[int] = []
    thread = threading.Thread(target=lambda: results.append(asyncio.run(caller())))
    thread.start()
    thread.join(30)
    assert results == [42]
