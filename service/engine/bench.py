"""Benchmark of the need → capabilities recommendation path and of free-text search at N
capabilities.

Builds a throw-away database with N published capabilities whose texts are the demo and
evaluation capabilities (suffixed) and whose vectors are those texts' real embeddings plus
small noise, then times `recommend_capabilities` for the real demo/eval needs (the ranking a
request ran before issue 11's stored lists): the database
filter (published, not own organisation), FAISS candidates, and lexical/indicator scoring of
the candidate pool only. Then it times one 20-row page of `search` over the capabilities for
each need's title (the query vectors are encoded before the clock starts: the model's ~26 ms
per query is the embedder's benchmark, not the engine's). Between the two, the endpoints'
service functions both ways (presenters and buttons included) are timed ranked per request
(no stored list yet), then the lists are stored and the same calls timed reading them.
Figures are printed, never asserted.
"""

import json
import resource
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from matching.cache import CachedEmbedder
from matching.documents import Doc, normalise_field
from matching.embedders import load_embedder
from matching.index import set_threads
from matching.ranking import encode_postings
from service.engine import keywords, recommendations
from service.engine import search as endpoints
from service.engine.documents import doc_hash
from service.engine.service import recommend_capabilities, search
from service.engine.store import IndexStore
from service.kit.db import make_engine
from service.kit.migrate import upgrade_head
from service.models import Capability, Need, Organization, PostingVector, User

ROOT = Path(__file__).resolve().parents[2]


def _rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".json":
        data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
        return data
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def _texts() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    caps = _rows(ROOT / "service/demo/capabilities.json") + _rows(ROOT / "eval/capabilities.jsonl")
    needs = _rows(ROOT / "service/demo/needs.json") + _rows(ROOT / "eval/needs.jsonl")
    return caps, needs


def _doc(row: dict[str, Any], kind: str, doc_id: int, org: int, suffix: str = "") -> Doc:
    return Doc(
        id=doc_id,
        title=(row["title"] + suffix)[:100],
        description=row.get("description", "") if kind == "capability" else "",
        problem=row.get("problem", "") if kind == "need" else "",
        key_difficulty=row.get("key_difficulty", "") if kind == "need" else "",
        expected_goal=row.get("expected_goal", "") if kind == "need" else "",
        field=normalise_field(row.get("field", "")),
        keywords=list(row.get("keywords", []))[:5],
        indicators=list(row.get("indicators", [])),
        org=str(org),
        kind="capability" if kind == "capability" else "need",
    )


def _percentiles(seconds: list[float]) -> tuple[float, float]:
    ms = np.asarray(seconds) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def run(
    n: int, embedder_spec: str, echo: Callable[[str], None], noise: float = 0.01, pool: int = 200
) -> int:
    set_threads(1)
    embedder = CachedEmbedder(load_embedder(embedder_spec), ROOT / "var" / "cache")
    cap_rows, need_rows = _texts()
    tmp = Path(tempfile.mkdtemp(prefix="jiebang-bench-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade_head(url)
    engine = make_engine(url)
    sm = sessionmaker(bind=engine, expire_on_commit=False)
    now = datetime.now(UTC) - timedelta(hours=1)  # embedded a while ago, not just now
    rng = np.random.default_rng(0)
    with sm() as s:
        orgs = [
            Organization(name=f"院所{i}", kind="institute", region="", description="")
            for i in range(200)
        ]
        ent = Organization(name="需求企业", kind="enterprise", region="", description="")
        s.add_all([*orgs, ent])
        s.flush()
        user = _author(s, orgs[0].id)
        base_docs = [_doc(r, "capability", i, 0) for i, r in enumerate(cap_rows)]
        base = encode_postings(embedder, base_docs)
        base2 = encode_postings(embedder, base_docs, second=True)  # the second views
        echo(f"基础文本 {len(base_docs)} 条已嵌入（{embedder.model_id}）")
        started = time.perf_counter()
        for start in range(0, n, 5000):
            caps, vecs, written = [], [], []
            for i in range(start, min(n, start + 5000)):
                j = i % len(cap_rows)
                row, org = cap_rows[j], orgs[i % len(orgs)].id
                doc = _doc(row, "capability", i + 1, org, f"（{i // len(cap_rows)}）")
                jitter = noise * rng.standard_normal(base.shape[1], dtype=np.float32)
                noisy = np.asarray(base[j], dtype=np.float32) + jitter
                vec = noisy / float(np.linalg.norm(noisy))
                noisy2 = np.asarray(base2[j], dtype=np.float32) + jitter
                vec2 = noisy2 / float(np.linalg.norm(noisy2))
                caps.append(_cap_values(doc, org, user.id, now))
                written.append((doc, doc_hash(doc)))
                vecs.append(
                    {
                        "kind": "capability",
                        "posting_id": i + 1,
                        "model_id": embedder.model_id,
                        "text_hash": doc_hash(doc),
                        "dim": embedder.dim,
                        "vector": vec.astype(np.float32).tobytes(),
                        "vector2": vec2.astype(np.float32).tobytes(),
                        "indexed_at": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            s.execute(insert(Capability), caps)
            s.execute(insert(PostingVector), vecs)
            keywords.write(s, "capability", written)  # as the embedding worker does
            echo(f"成果 {min(n, start + 5000)}/{n}")
        need_docs = [_doc(r, "need", i + 1, ent.id) for i, r in enumerate(need_rows)]
        need_vecs = encode_postings(embedder, need_docs)
        need_vecs2 = encode_postings(embedder, need_docs, second=True)
        keywords.write(s, "need", [(d, doc_hash(d)) for d in need_docs])
        for doc, vec, vec2 in zip(need_docs, need_vecs, need_vecs2, strict=True):
            s.add(_need(doc, ent.id, user.id, now))
            s.add(
                PostingVector(
                    kind="need",
                    posting_id=doc.id,
                    model_id=embedder.model_id,
                    text_hash=doc_hash(doc),
                    dim=embedder.dim,
                    vector=vec.tobytes(),
                    vector2=vec2.tobytes(),
                    indexed_at=now,
                )
            )
        s.commit()
        echo(
            f"数据库已生成：{n} 条成果，{len(need_docs)} 条需求，"
            f"用时 {time.perf_counter() - started:.1f}s"
        )
    store = IndexStore(embedder, pool=pool)
    with sm() as s:
        started = time.perf_counter()
        store.load(s)
        echo(
            f"索引加载（从数据库重建）{time.perf_counter() - started:.1f}s，"
            f"峰值内存 {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
        )
        needs = list(s.query(Need).order_by(Need.id))
        for need in needs[:5]:  # warm caches
            recommend_capabilities(s, need, limit=20, store=store)
        timings: list[float] = []
        for _ in range(3):
            for need in needs:
                t = time.perf_counter()
                recs = recommend_capabilities(s, need, limit=20, store=store)
                timings.append(time.perf_counter() - t)
                assert recs, "no recommendation"
        p50, p99 = _percentiles(timings)
        echo(
            f"endpoint need→capabilities n={n} pool={pool} queries={len(timings)} "
            f"p50_ms={p50:.1f} p99_ms={p99:.1f}"
        )
        _stored_lists(s, store, needs, ent.id, orgs[0].id, n, echo)
        queries = [need.title for need in needs]
        embedder.encode_queries(queries)  # cached: the clock measures the engine only
        timings = []
        for _ in range(3):
            for q in queries:
                t = time.perf_counter()
                search(s, "capability", q, [], offset=0, limit=20, store=store)
                timings.append(time.perf_counter() - t)
    p50, p99 = _percentiles(timings)
    echo(
        f"endpoint search capabilities n={n} pool={pool} queries={len(timings)} "
        f"p50_ms={p50:.1f} p99_ms={p99:.1f}"
    )
    engine.dispose()
    return 0


def _stored_lists(
    s: Session,
    store: IndexStore,
    needs: list[Need],
    ent_id: int,
    lab_id: int,
    n: int,
    echo: Callable[[str], None],
) -> None:
    """The endpoints' service functions (presenters and buttons included) before and after the
    lists are stored: ranked per request (no list yet), then read from the stored list."""
    owner = User(username="bench-owner", password_hash="x", display_name="bench", role="enterprise")
    owner.org_id = ent_id
    lab = User(username="bench-lab", password_hash="x", display_name="bench", role="researcher")
    lab.org_id = lab_id
    s.add_all([owner, lab])
    s.flush()
    caps = list(s.scalars(select(Capability).where(Capability.org_id == lab_id).limit(100)))

    def timed(label: str) -> None:
        for kind, subjects in (("need→capabilities", needs), ("capability→needs", caps)):
            timings: list[float] = []
            for _ in range(3):
                for subject in subjects:
                    t = time.perf_counter()
                    if isinstance(subject, Need):
                        hits: list[Any] = endpoints.need_recommendations(
                            s, owner, subject.id, 20, store
                        )
                    else:
                        hits = endpoints.capability_recommendations(s, lab, subject.id, 20, store)
                    timings.append(time.perf_counter() - t)
                    assert hits, "no recommendation"
            p50, p99 = _percentiles(timings)
            echo(
                f"endpoint {kind} {label} n={n} queries={len(timings)} "
                f"p50_ms={p50:.1f} p99_ms={p99:.1f}"
            )

    timed("ranked-per-request")
    started = time.perf_counter()
    subjects: list[Need | Capability] = [*needs, *caps]
    for subject in subjects:
        recommendations.refresh(s, subject, store)
    s.flush()
    took = time.perf_counter() - started
    echo(
        f"stored lists: {len(subjects)} × {recommendations.STORED} rows in {took:.1f}s "
        f"({took / len(subjects) * 1000:.1f} ms per list, ranking included)"
    )
    timed("stored")


def _author(s: Session, org_id: int) -> User:
    """The benchmark postings' author: one researcher of `org_id`."""
    user = User(
        username="bench", password_hash="x", display_name="bench", role="researcher", org_id=org_id
    )
    s.add(user)
    s.flush()
    return user


def capability_columns(
    values: dict[str, Any], org: int, user: int, now: datetime
) -> dict[str, Any]:
    """A published capability's columns around its text (`values`: title, description,
    field_code, keywords, indicators): what both benchmarks insert."""
    return {
        **_published(org, user, now),
        **values,
        "maturity": "sample",
        "trl": 4,
        "ip_type": "none",
        "patent_numbers": [],
        "tech_level": "domestic_advanced",
        "transaction_modes": [],
        "price_min": None,
        "price_max": None,
        "team": "",
    }


def _published(org: int, user: int, now: datetime) -> dict[str, Any]:
    """What every benchmark posting shares: its organisation and author, a placeholder
    contact, published now at version 1."""
    return {
        "org_id": org,
        "created_by_id": user,
        "contact_name": "联系人",
        "contact_phone": "13900000000",
        "contact_email": "",
        "status": "published",
        "reject_reason": None,
        "published_at": now,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


def need_columns(values: dict[str, Any], org: int, user: int, now: datetime) -> dict[str, Any]:
    """A published need's columns around its text (`values`: title, problem, key_difficulty,
    expected_goal, field_code, keywords, indicators)."""
    return {
        **_published(org, user, now),
        **values,
        "industry": "",
        "call_type": "regular",
        "cooperation_mode": "tech_development",
        "bounty": Decimal("1000000"),
        "own_investment": None,
        "deadline": (now + timedelta(days=365)).date(),
        "implementation_months": 12,
        "visibility": "public",
    }


def _cap_values(doc: Doc, org: int, user: int, now: datetime) -> dict[str, Any]:
    values = {
        "title": doc.title,
        "description": doc.description,
        "field_code": doc.field_code or "new_materials",
        "keywords": doc.keywords,
        "indicators": doc.indicators,
    }
    return capability_columns(values, org, user, now)


def _need(doc: Doc, org: int, user: int, now: datetime) -> Need:
    values = {
        "title": doc.title,
        "problem": doc.problem,
        "key_difficulty": doc.key_difficulty,
        "expected_goal": doc.expected_goal,
        "field_code": doc.field_code or "display",
        "keywords": doc.keywords,
        "indicators": doc.indicators,
    }
    return Need(id=int(doc.id), **need_columns(values, org, user, now))


# --- the keyword index: database tables against each process's memory --------------------
def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_keywords(
    n: int, echo: Callable[[str], None], database_url: str | None = None, pool: int = 200
) -> int:
    """`jiebang bench keywords`: query latency and memory of the keyword index at N
    capabilities, read from the database (the service) and held in memory (the library).

    The database (SQLite under var/bench unless `database_url` names one) is built once and
    reused. Texts are the demo and eval capabilities, repeated; queries are the demo and eval
    needs' titles (a short free-text search) and whole texts (a need's recommendations).
    """
    from matching.keywords import MemoryKeywords, keyword_tokens
    from matching.lexical import char_ngrams, default_analyzer
    from service.engine import repository

    analyzer = default_analyzer()
    cap_rows, need_rows = _texts()
    base = [_doc(r, "capability", i, 0) for i, r in enumerate(cap_rows)]
    tokens = [keyword_tokens(analyzer, d) for d in base]  # copies differ by a number only
    url = database_url or f"sqlite:///{ROOT / 'var' / 'bench' / f'keywords-{n}.db'}"
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    upgrade_head(url)
    engine = make_engine(url)
    sm = sessionmaker(bind=engine, expire_on_commit=False)
    with sm() as s:
        have = repository.keyword_stats(s, "capability")[0]
    if have != n:
        if have:
            raise SystemExit(f"{url} holds {have} capabilities, not {n}: use another database")
        started = time.perf_counter()
        for start in range(0, n, 2048):
            with sm() as s:
                fresh = {
                    i + 1: ("bench", *tokens[i % len(base)])
                    for i in range(start, min(n, start + 2048))
                }
                keywords.write_tokens(s, "capability", fresh)
                s.commit()
            if (start // 2048) % 10 == 0:
                echo(f"keywords written {min(n, start + 2048)}/{n}")
        echo(f"keywords build n={n} seconds={time.perf_counter() - started:.1f} url={url}")
    if url.startswith("sqlite:///"):
        size = Path(url.removeprefix("sqlite:///")).stat().st_size / 2**20
        echo(f"keywords database n={n} size_mb={size:.0f}")
    short = [r["title"] for r in need_rows]
    long = [_doc(r, "need", i, 0) for i, r in enumerate(need_rows)]
    queries = {
        "search": [(analyzer.tokens(q), char_ngrams(q)) for q in short],
        "need": [keyword_tokens(analyzer, d) for d in long],
    }

    rss_before = _rss_mb()
    with sm() as s:
        source = keywords.DatabaseKeywords("capability", s)
        _time_keywords("database", source.search, queries, n, pool, echo, warm=True)
    echo(f"keywords database rss_mb={_rss_mb():.0f} (process, after the queries)")
    engine.dispose()
    started = time.perf_counter()
    memory = MemoryKeywords()
    for start in range(0, n, 5000):
        ids = list(range(start + 1, min(n, start + 5000) + 1))
        pairs = [tokens[(i - 1) % len(base)] for i in ids]
        # lists copied per posting, as a tokeniser makes them
        memory.add(ids, [list(p[0]) for p in pairs], [list(p[1]) for p in pairs])
    echo(
        f"keywords memory build n={n} seconds={time.perf_counter() - started:.1f} "
        f"(tokenising not included) rss_added_mb={_rss_mb() - rss_before:.0f}"
    )
    _time_keywords("memory", memory.search, queries, n, pool, echo)
    return 0


def _time_keywords(
    where: str,
    search: Callable[..., Any],
    queries: dict[str, list[Any]],
    n: int,
    pool: int,
    echo: Callable[[str], None],
    warm: bool = False,
) -> None:
    """Each query set's latency on one keyword source (`warm`: one untimed query first, for
    the database's page cache), printed as p50 and p99."""
    for name, qs in queries.items():
        if warm:
            search(*qs[0], _keep, pool)
        timings = []
        for q_words, q_chars in qs:
            t = time.perf_counter()
            search(q_words, q_chars, _keep, pool)
            timings.append(time.perf_counter() - t)
        p50, p99 = _percentiles(timings)
        echo(
            f"keywords {where} {name} n={n} pool={pool} queries={len(timings)} "
            f"p50_ms={p50:.1f} p99_ms={p99:.1f}"
        )


def _keep(_: object) -> bool:
    return True


# --- bulk embedding: `jiebang reindex` on postings without vectors -----------------------
def reindex_database(n: int, url: str, echo: Callable[[str], None]) -> sessionmaker[Session]:
    """A database of `n` postings (a fifth needs, the rest capabilities: the demo and eval
    texts, suffixed so that each is a text of its own), built once; every call removes its
    vectors, keyword rows and failures, so each run embeds the same `n` postings from nothing."""
    from sqlalchemy import delete, func

    from service.models import EmbeddingFailure, KeywordBlock, KeywordDoc, KeywordStats

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    upgrade_head(url)
    engine = make_engine(url)
    sm = sessionmaker(bind=engine, expire_on_commit=False)
    cap_rows, need_rows = _texts()
    n_needs = n // 5
    now = datetime.now(UTC)
    with sm() as s:
        have = (s.scalar(select(func.count()).select_from(Capability)) or 0) + (
            s.scalar(select(func.count()).select_from(Need)) or 0
        )
        if have not in (0, n):
            raise SystemExit(f"{url} holds {have} postings, not {n}: use another database")
        if not have:
            org = Organization(name="院所", kind="institute", region="", description="")
            ent = Organization(name="需求企业", kind="enterprise", region="", description="")
            s.add_all([org, ent])
            s.flush()
            user = _author(s, org.id)
            caps = []
            for i in range(n - n_needs):
                row = cap_rows[i % len(cap_rows)]
                doc = _doc(row, "capability", i + 1, org.id, f"（{i // len(cap_rows)}）")
                caps.append(_cap_values(doc, org.id, user.id, now))
            s.execute(insert(Capability), caps)
            for i in range(n_needs):
                row = need_rows[i % len(need_rows)]
                doc = _doc(row, "need", i + 1, ent.id, f"（{i // len(need_rows)}）")
                s.add(_need(doc, ent.id, user.id, now))
        for model in (PostingVector, KeywordDoc, KeywordBlock, KeywordStats, EmbeddingFailure):
            s.execute(delete(model))
        s.commit()
    return sm


def run_reindex(
    n: int,
    embedder_spec: str,
    echo: Callable[[str], None],
    database_url: str | None = None,
    job: Callable[..., dict[str, int]] | None = None,
) -> int:
    """`jiebang bench reindex`: `jiebang reindex` over `n` postings without vectors (the
    database under var/bench unless `database_url` names one); last line
    `reindex n=… embedded=… seconds=… passages_per_s=… chars_per_s=…` (`job`: another
    implementation of `service.engine.reindex.reindex`, to compare on the same data)."""
    import os

    from service.engine.documents import to_doc
    from service.engine.reindex import reindex

    url = database_url or f"sqlite:///{ROOT / 'var' / 'bench' / f'reindex-{n}.db'}"
    sm = reindex_database(n, url, echo)
    embedder = load_embedder(embedder_spec)
    embedder.encode_documents(["预热"])  # the model's load is not the job's
    with sm() as s:
        chars = sum(len(to_doc(p).dense_text()) for p in s.scalars(select(Capability)))
        chars += sum(len(to_doc(p).dense_text()) for p in s.scalars(select(Need)))
    index_dir = Path(tempfile.mkdtemp(prefix="jiebang-reindex-"))
    started = time.perf_counter()
    counts = (job or reindex)(sm, embedder, IndexStore(embedder, index_dir), echo)
    took = time.perf_counter() - started
    load = os.getloadavg()[0]
    echo(
        f"reindex n={n} embedded={counts['embedded']} failed={counts['failed']} "
        f"seconds={took:.1f} passages_per_s={counts['embedded'] / took:.2f} "
        f"chars_per_s={chars / took:.0f} load1={load:.2f} embedder={embedder.model_id}"
    )
    return 0
