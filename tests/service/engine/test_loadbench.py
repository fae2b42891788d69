"""`jiebang bench load` (service/engine/loadbench.py): the synthetic database is complete,
resumable and needs no embedding; the whole command runs end to end with two real worker
processes and prints its figures (tiny sizes, hash embedder; timings are printed, never
asserted).

Two real worker processes over one database, a posting created through one found by the
other's search: tests/service/engine/test_processes.py."""

import asyncio
import os
import re
import threading
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from matching.documents import Doc
from matching.generations import read_pointer
from matching.keywords import keyword_tokens
from matching.lexical import default_analyzer
from service.engine import keywords, recommendations
from service.engine.documents import doc_hash, to_doc
from service.engine.loadbench import (
    PssSampler,
    _in_own_loop,
    build,
    hot_ids,
    run,
    write_keywords,
)
from service.kit.db import make_engine
from service.models import (
    Capability,
    KeywordBlock,
    KeywordDoc,
    KeywordHead,
    KeywordStats,
    Need,
    PostingVector,
    User,
)
from tests.service.engine_support import committed_database_url

LAST = re.compile(
    r"^load n=\d+ workers=2 clients=4 rps=[\d.]+ p50_ms=[\d.]+ p99_ms=[\d.]+ "
    r"search_p99_ms=[\d.]+ rec_p99_ms=[\d.]+ errors=(\d+) rss_mb=(\d+)$"
)
CLIENT = re.compile(
    r"^client loop: lag p50_ms=[\d.]+ p99_ms=[\d.]+ max_ms=[\d.]+ \(a 10 ms sleep's lateness, "
    r"n=(\d+)\) gc_pauses=\d+ gc_total_ms=[\d.]+ gc_max_ms=[\d.]+ cpu=\d+% of a core; "
    r"load average [\d.]+ [\d.]+ [\d.]+ → [\d.]+ [\d.]+ [\d.]+$"
)


def _client_line(said: list[str]) -> None:
    """The line before the last: the clients' own loop lag, probed all through the traffic."""
    match = CLIENT.match(said[-2])
    assert match, said[-2]
    assert int(match.group(1)) > 0


def test_the_synthetic_database_resumes_and_matches_its_vectors(tmp_path: Path) -> None:
    said: list[str] = []
    for url in committed_database_url(tmp_path, "loadbuild"):
        cache = tmp_path / "cache"
        build(url, 200, 30, "hash:64", said.append, cache, chunk=64)
        assert any("成果 200/200" in line for line in said)
        # a larger set on the same database goes on from where the first stopped
        said.clear()
        corpus = build(url, 300, 40, "hash:64", said.append, cache, chunk=64)
        assert any("从第 200 条成果、第 30 条需求继续" in line for line in said)
        done = [line.split("（")[0] for line in said if line.startswith("成果")]
        assert done == ["成果 255/300", "成果 300/300"]  # chunks end at multiples of 64, less 1
        said.clear()
        build(url, 300, 40, "hash:64", said.append, cache, chunk=64)
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
    assert any(line.startswith("background left: unembedded=") for line in said)  # the engine's
    assert any(line.strip().startswith("search_capabilities") for line in said)
    _client_line(said)


OPEN = re.compile(
    r"^load n=350 workers=2 clients=4 rate=20 rps=[\d.]+ p50_ms=[\d.]+ p99_ms=[\d.]+ "
    r"search_p99_ms=[\d.]+ rec_p99_ms=[\d.]+ errors=(\d+) ops=(\d+) ops_rps=[\d.]+ "
    r"late=(\d+) wait_p99_ms=[\d.]+ unserved=(\d+) rss_mb=\d+$"
)


def test_bench_load_at_a_rate_issues_rate_times_seconds_operations(tmp_path: Path) -> None:
    """`--rate 20` for 4 s: about 80 operations arrive (Poisson, seeded), each is sent or left
    unserved, and the figures are printed on the last line. Counts only: how many are sent in
    time depends on the machine."""
    said: list[str] = []
    for url in committed_database_url(tmp_path, "loadrate"):
        run(
            300,
            50,
            2,
            4,
            4,
            said.append,
            database_url=url,
            folder=tmp_path / "bench",
            embedder="hash:64",
            rate=20,
        )
    match = OPEN.match(said[-1])
    assert match, said[-1]
    errors, ops, late, unserved = map(int, match.groups())
    assert errors == 0, "\n".join(said)
    arrivals = next(line for line in said if line.startswith("open loop:"))
    arrived = int(re.search(r"arrivals=(\d+)", arrivals).group(1))  # type: ignore[union-attr]
    assert 40 <= arrived <= 120, arrivals  # 80 expected; the seeded draw, not the clock
    assert ops + unserved == arrived and ops > 0, arrivals
    assert 0 <= late <= arrived
    requests = int(
        next(line for line in said if line.endswith("s") and " requests in " in line).split()[0]
    )
    assert ops <= requests <= 3 * ops  # an operation is 1–3 requests
    assert any("at 20 operations/s (open loop)" in line for line in said)
    _client_line(said)


def test_the_memory_sampler_does_not_hold_up_the_clients_loop() -> None:
    """PSS is read in a thread of its own (reading a large process's smaps_rollup takes the
    kernel tens of ms): here a sample is held until the clients' loop has gone on, which on
    the loop itself would never happen."""
    sampling, went_on = threading.Event(), threading.Event()
    waited: list[bool] = []  # each sample: did the loop go on while it was being read

    def pids() -> list[int]:
        sampling.set()
        waited.append(went_on.wait(30))
        return [os.getpid()]

    async def clients() -> bool:
        while not sampling.is_set():
            await asyncio.sleep(0.01)
        await asyncio.sleep(0)  # the loop goes on while the sample is being read
        went_on.set()
        return threading.current_thread().name == "bench-load-clients"

    with PssSampler(pids, every=60) as pss:
        assert _in_own_loop(clients())
        assert went_on.is_set()
    assert pss.peak > 0 and waited and all(waited), waited


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


def _keyword_tables(s: Session, kind: str) -> tuple[list[tuple[object, ...]], ...]:
    docs = s.execute(
        select(
            KeywordDoc.posting_id,
            KeywordDoc.text_hash,
            KeywordDoc.word_len,
            KeywordDoc.char_len,
            KeywordDoc.word_terms,
            KeywordDoc.char_terms,
            KeywordDoc.facts,
            KeywordDoc.tfs,
        )
        .where(KeywordDoc.kind == kind)
        .order_by(KeywordDoc.posting_id)
    ).all()
    blocks = s.execute(
        select(KeywordBlock.field, KeywordBlock.term, KeywordBlock.block, KeywordBlock.n)
        .add_columns(KeywordBlock.data)
        .where(KeywordBlock.kind == kind)
        .order_by(KeywordBlock.field, KeywordBlock.term, KeywordBlock.block)
    ).all()
    stats = s.execute(
        select(KeywordStats.docs, KeywordStats.word_total, KeywordStats.char_total).where(
            KeywordStats.kind == kind
        )
    ).all()
    heads = s.execute(
        select(KeywordHead.field, KeywordHead.term, KeywordHead.df, KeywordHead.data)
        .where(KeywordHead.kind == kind)
        .order_by(KeywordHead.field, KeywordHead.term)
    ).all()
    return (
        [(*r[:7], bytes(r[7])) for r in docs],
        [(*r[:4], bytes(r[4])) for r in blocks],
        [tuple(r) for r in stats],
        [(*r[:3], bytes(r[3])) for r in heads],
    )


def test_the_bulk_keyword_rows_are_the_ones_the_service_writes(tmp_path: Path) -> None:
    """The build's keyword rows (computed in bulk, chunk by chunk, appended to blocks already
    written) are bit for bit those the embedding worker writes posting by posting."""
    for url in committed_database_url(tmp_path, "loadkw"):
        build(url, 150, 20, "hash:64", lambda _: None, tmp_path / "cache", chunk=32)
        engine = make_engine(url)
        with Session(engine) as s:
            bulk = {kind: _keyword_tables(s, kind) for kind in ("capability", "need")}
            assert len(bulk["capability"][0]) == 150 and len(bulk["need"][0]) == 20
            assert bulk["capability"][2] and bulk["capability"][1]
            assert all(row[-1] for row in bulk["capability"][0])  # ranking reads the facts
            assert bulk["capability"][3]  # the heads, built from the blocks at the end
            for table in (KeywordDoc, KeywordBlock, KeywordStats, KeywordHead):
                s.execute(delete(table))
            for kind, model in (("capability", Capability), ("need", Need)):
                docs = [to_doc(p) for p in s.scalars(select(model).order_by(model.id))]
                for start in range(0, len(docs), 7):  # as the worker: a batch at a time
                    batch = docs[start : start + 7]
                    keywords.write(s, kind, [(d, doc_hash(d)) for d in batch])
            s.commit()
            service = {kind: _keyword_tables(s, kind) for kind in ("capability", "need")}
        engine.dispose()
        assert bulk == service


def test_bulk_keyword_rows_across_blocks_match_the_service(tmp_path: Path) -> None:
    """Postings on both sides of a block boundary, written in two bulk steps (the second
    appends to the first's blocks), against `keywords.write_tokens` on the other side."""
    analyzer = default_analyzer()
    texts = [
        "柔性OLED显示面板的封装工艺，水汽透过率低于十的负六次方。",
        "锂电池正极材料高镍三元，循环寿命两千次以上。",
        "工业机器人视觉引导抓取，定位精度0.05毫米。",
        "柔性显示模组的贴合工艺与OLED封装。",
    ]
    fresh = {}
    for n, i in enumerate(range(keywords.BLOCK - 5, keywords.BLOCK + 5)):
        doc = Doc(id=i, title=texts[n % 4][:8], description=texts[n % 4] + texts[(n + 1) % 4])
        fresh[i] = (f"h{i}", *keyword_tokens(analyzer, doc))
    ids = sorted(fresh)
    for url in committed_database_url(tmp_path, "loadkwblocks"):
        engine = make_engine(url)
        with Session(engine) as s:
            write_keywords(s, "need", {i: fresh[i] for i in ids[:3]})
            write_keywords(s, "need", {i: fresh[i] for i in ids[3:]})
            keywords.write_tokens(s, "capability", {i: fresh[i] for i in ids[:4]})
            keywords.write_tokens(s, "capability", {i: fresh[i] for i in ids[4:]})
            keywords.build_heads(s, "need")  # as the build does once every block is written
            s.commit()
            bulk, service = _keyword_tables(s, "need"), _keyword_tables(s, "capability")
            assert {b[2] for b in bulk[1]} == {0, 1}
            assert bulk == service
            # a posting below an indexed one of its block is refused, not silently misplaced
            with pytest.raises(SystemExit):
                write_keywords(s, "need", {ids[0] - 1: fresh[ids[0]]})
        engine.dispose()


def test_the_build_writes_the_first_generation_and_the_hot_lists(tmp_path: Path) -> None:
    """With a var dir the build leaves what a running site has: each side's vector
    generation (a worker maps it: nothing read from the database) and a current stored list
    for every posting the traffic asks recommendations for."""
    for url in committed_database_url(tmp_path, "loadprep"):
        var_dir = tmp_path / f"var-{url.split(':')[0]}"
        said: list[str] = []
        corpus = build(
            url, 120, 30, "hash:64", said.append, tmp_path / "cache", var_dir=var_dir, hot=2
        )
        for kind, count in (("capability", 120), ("need", 30)):
            meta = read_pointer(var_dir / "index" / kind)
            assert meta is not None and meta.count == count, kind
        pool = min(16, len(corpus.institutes), len(corpus.enterprises))
        hot_needs = hot_ids(30, len(corpus.enterprises), pool, 2)
        hot_caps = hot_ids(120, len(corpus.institutes), pool, 2)
        assert len(hot_needs) == 2 * pool and len(hot_caps) == 2 * pool
        engine = make_engine(url)
        with Session(engine) as s:
            for model, ids in ((Need, hot_needs), (Capability, hot_caps)):
                for i in ids:
                    subject = s.get(model, i)
                    assert subject is not None and recommendations.is_current(s, subject), i
            cold = s.get(Need, 30)
            assert cold is not None and not recommendations.is_current(s, cold)
        assert any(line.startswith("热门推荐列表已就绪") for line in said)
        with engine.begin() as conn:  # rows written before facts were kept
            conn.execute(update(KeywordDoc).where(KeywordDoc.posting_id <= 20).values(facts=None))
        said.clear()
        build(url, 120, 30, "hash:64", said.append, tmp_path / "cache", var_dir=var_dir, hot=2)
        assert said[-1].endswith(f"({0} ranked now)"), said
        with Session(engine) as s:
            assert s.scalar(select(func.count()).where(KeywordDoc.facts.is_(None))) == 0
        assert "关键词行补写 facts / facts filled: capability 20" in said
        assert not any("vector generations written" in line for line in said)
        engine.dispose()
