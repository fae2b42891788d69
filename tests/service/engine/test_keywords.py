"""The keyword index in the database gives the in-memory matcher's top-k and scores
(conformance on the eval corpus, SQLite and PostgreSQL), and is kept by the writes."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, event, text, update
from sqlalchemy.orm import Session

from matching.documents import Doc
from matching.embedders import HashEmbedder
from matching.keywords import MemoryKeywords, keyword_tokens
from matching.lexical import char_ngrams, default_analyzer
from matching.ranking import Match, Matcher
from matching.retrieval import Among
from service import cli
from service.engine import keywords, repository, vectors
from service.engine.documents import doc_hash, to_doc
from service.engine.facts import PostingDocs, facts_of
from service.engine.keywords import DatabaseKeywords
from service.kit.db import get_sessionmaker
from service.models import KeywordDoc
from service.models.enums import OrgKind, Role
from tests.factories import create_org, create_user
from tests.service.engine_support import EVAL, eval_capability, use_committed_database


def _docs(name: str, kind: str, start: int = 1) -> list[Doc]:
    lines = (EVAL / name).read_text(encoding="utf-8").splitlines()
    rows = [Doc.from_mapping(json.loads(x), kind) for x in lines if x.strip()]  # type: ignore[arg-type]
    return [dataclasses.replace(d, id=n) for n, d in enumerate(rows, start=start)]


@pytest.fixture
def corpus(session: Session) -> list[Doc]:
    caps = _docs("capabilities.jsonl", "capability", start=901_000)  # across two blocks
    before = repository.keyword_stats(session, "capability")
    assert before[0] == 0, "the test database's keyword index starts empty"
    keywords.write(session, "capability", [(d, doc_hash(d)) for d in caps])
    return caps


def _same(expected: list[Match], got: list[Match]) -> None:
    assert [m.id for m in got] == [m.id for m in expected]
    for e, g in zip(expected, got, strict=True):
        assert (g.bm25, g.char_bm25, g.score) == (e.bm25, e.char_bm25, e.score)
        assert g.features == e.features
        assert g.shared_terms == e.shared_terms and g.reasons == e.reasons


@pytest.mark.parametrize("pool", [200, 5])
def test_database_keywords_rank_exactly_like_memory(
    session: Session, corpus: list[Doc], pool: int
) -> None:
    library = Matcher(None, pool=pool)
    library.add(corpus)
    source = DatabaseKeywords("capability")
    ours = Matcher(None, pool=pool, keywords=source)
    ours.add(corpus)  # the postings only: the index is the tables
    bound = source.bind(session)
    found = 0
    for need in _docs("needs.jsonl", "need"):
        for query in (need, need.title, need.title[:6]):
            expected = library.rank(query, 10)
            got = ours.rank(query, 10, keywords=bound)
            _same(expected, got)
            found += bool(expected)
    assert found >= 100  # of 147 queries: most find something


@pytest.mark.parametrize("pool", [200, 5])
def test_documents_read_per_ranking_rank_exactly_like_memory(
    session: Session, corpus: list[Doc], pool: int
) -> None:
    """A process holds no posting text: what scoring and explaining read of a candidate
    (field, parsed indicators) comes from its facts in the database, to the same result."""
    library = Matcher(None, pool=pool)
    library.add(corpus)
    source, docs = DatabaseKeywords("capability"), PostingDocs("capability")
    ours = Matcher(None, pool=pool, keywords=source, docs=docs)
    ours.add(corpus)  # only the ids (and organisations) are kept
    bound, held = source.bind(session), docs.bind(session)
    with_indicators = 0
    for need in _docs("needs.jsonl", "need"):
        for query in (need, need.title):
            expected = library.rank(query, 10)
            got = ours.rank(query, 10, keywords=bound, docs=held)
            _same(expected, got)
            assert [g.indicators for g in got] == [e.indicators for e in expected]
            with_indicators += sum(bool(e.indicators.matches) for e in expected)
    assert with_indicators >= 50  # the indicator facts are exercised


def test_hits_and_reference_equal_the_memory_index(session: Session, corpus: list[Doc]) -> None:
    analyzer = default_analyzer()
    memory = MemoryKeywords()
    pairs = [keyword_tokens(analyzer, d) for d in corpus]
    memory.add([d.id for d in corpus], [p[0] for p in pairs], [p[1] for p in pairs])
    bound = DatabaseKeywords("capability").bind(session)
    ids = [d.id for d in corpus]
    for need in _docs("needs.jsonl", "need")[:20]:
        words, chars = analyzer.tokens(need.lexical_text()), char_ngrams(need.char_text())
        for m, d in zip(
            memory.search(words, chars, lambda _: True, 50),
            bound.search(words, chars, lambda _: True, 50),
            strict=True,
        ):
            assert list(d.top) == list(m.top)
            assert np.array_equal(d.scores(ids), m.scores(ids))
            assert np.array_equal(d.reference, m.reference)  # in id order, zeros included
    term = analyzer.tokens(corpus[0].title)[0]
    assert bound.holders(term) == memory.holders(term)
    assert bound.terms([ids[0]]) == memory.terms([ids[0]])
    assert bound.rarity([term]).idf(term) == memory.rarity([term]).idf(term)


def test_rows_by_id_are_read_in_one_statement_however_many(
    session: Session, corpus: list[Doc], engine: Engine
) -> None:
    """A search reads a few hundred `keyword_docs` rows by id (its shortlists, its pool's
    facts, its page's terms) and checks as many posting ids: one statement each, with the
    ids as one parameter, whatever their number (was one per 500 ids, its IN list rendered
    per call)."""
    ids = [d.id for d in corpus] + list(range(1, 1201))
    statements: list[str] = []

    def note(conn: object, cursor: object, statement: str, *rest: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        rows = repository.keyword_field_lists(session, "capability", {"word": ids, "char": ids})
        facts = repository.keyword_facts(session, "capability", ids)
        words = repository.keyword_word_terms(session, "capability", ids)
        held = repository.allowed_among(session, "capability", ids, [])
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert len(statements) == 4, statements
    assert set(rows["word"]) == set(rows["char"]) == {d.id for d in corpus}
    assert set(facts) == set(words) == {d.id for d in corpus}
    assert held <= set(ids)
    docs = repository.keyword_docs(session, "capability", ids)
    for i, row in docs.items():
        assert rows["word"][i] == (row.word_len, row.word_terms, row.tfs)
        assert rows["char"][i] == (row.char_len, row.char_terms, row.tfs)
        assert facts[i] == row.facts and words[i] == row.word_terms


def test_explaining_reads_each_terms_df_from_its_head(
    session: Session, corpus: list[Doc], engine: Engine
) -> None:
    """The rarity of a page's shared terms is their heads' df (one row per term, read with
    the corpus size), not a sum over every block of the term; a term without a head
    (absent, or indexed before the heads) is still read from the blocks. The idf is the
    in-memory index's either way."""
    analyzer = default_analyzer()
    memory = _memory(corpus)
    bound = DatabaseKeywords("capability").bind(session)
    held = set(analyzer.tokens(" ".join(d.title for d in corpus[:20])))
    statements: list[str] = []

    def note(conn: object, cursor: object, statement: str, *rest: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        rarity = bound.rarity(held)
        first = list(statements)
        absent = bound.rarity({*held, "不存在的词语"})
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert len(first) == 1 and "keyword_blocks" not in first[0], first  # with the corpus size
    assert [s for s in statements if "keyword_blocks" in s]  # the absent term's
    expected = memory.rarity({*held, "不存在的词语"})
    for term in held:
        assert rarity.idf(term) == absent.idf(term) == expected.idf(term)
    assert absent.idf("不存在的词语") == expected.idf("不存在的词语")


def test_the_reference_counts_start_no_parallel_workers(
    session: Session, corpus: list[Doc], engine: Engine
) -> None:
    """The bounded reference counts the postings of a few id ranges (~1 ms of index reads).
    Written as a UNION ALL of counts, PostgreSQL planned it, once psycopg had prepared it,
    as a Parallel Append under a Gather: parallel workers started for every search (200–300
    ms at 1M on a busy 2-core host). Planned here with parallelism as cheap as it gets, the
    statement still runs in one process."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner only")
    seen: list[tuple[str, object]] = []

    def note(
        conn: object, cursor: object, statement: str, parameters: object, *rest: object
    ) -> None:
        seen.append((statement, parameters))

    ranges = [(901_000, 901_100), (901_150, 901_200), (909_000, 911_000), (901_300, 901_301)]
    event.listen(engine, "before_cursor_execute", note)
    try:
        counted = repository.keyword_doc_counts(session, "capability", ranges)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert counted == [sum(1 for d in corpus if a <= int(d.id) < z) for a, z in ranges]
    ((statement, parameters),) = seen
    for setting in (
        "parallel_setup_cost = 0",
        "parallel_tuple_cost = 0",
        "min_parallel_index_scan_size = 0",
        "min_parallel_table_scan_size = 0",
        "plan_cache_mode = force_generic_plan",
    ):
        session.execute(text(f"SET LOCAL {setting}"))
    plan = session.connection().exec_driver_sql("EXPLAIN " + statement, parameters).all()  # type: ignore[arg-type]
    assert not [r for r in plan if "Gather" in r[0] or "Parallel" in r[0]], plan


def test_a_large_corpus_reference_is_the_exact_distribution(
    session: Session, corpus: list[Doc], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the sample size the reference is read as "the scores found, then zeros": the same
    values as the whole corpus's scores, in another order (same mean and spread)."""
    monkeypatch.setattr(keywords, "SAMPLE", 10)
    library = Matcher(None)
    library.add(corpus)
    ours = Matcher(None, keywords=DatabaseKeywords("capability"))
    ours.add(corpus)
    bound = ours.keywords.bind(session)  # type: ignore[attr-defined]
    need = _docs("needs.jsonl", "need")[0]
    expected, got = library.rank(need, 10), ours.rank(need, 10, keywords=bound)
    assert [m.id for m in got] == [m.id for m in expected]
    for e, g in zip(expected, got, strict=True):
        assert g.features["word"] == pytest.approx(e.features["word"], abs=2e-6)
        assert g.features["char"] == pytest.approx(e.features["char"], abs=2e-6)


def test_rewrites_and_removals_keep_the_statistics(session: Session, corpus: list[Doc]) -> None:
    analyzer = default_analyzer()
    n, words, chars = repository.keyword_stats(session, "capability")
    pairs = [keyword_tokens(analyzer, d) for d in corpus]
    assert n == len(corpus)
    assert (words, chars) == (sum(len(p[0]) for p in pairs), sum(len(p[1]) for p in pairs))
    edited = dataclasses.replace(corpus[0], title="全新的标题 Zzqtron 电池", description="无")
    keywords.write(session, "capability", [(edited, doc_hash(edited))])
    bound = DatabaseKeywords("capability").bind(session)
    assert bound.holders("zzqtron") == {edited.id}
    assert repository.keyword_stats(session, "capability")[0] == len(corpus)
    keywords.remove(session, "capability", [edited.id, corpus[1].id])
    n, words, chars = repository.keyword_stats(session, "capability")
    assert n == len(corpus) - 2
    assert words == sum(len(p[0]) for p in pairs[2:])
    assert chars == sum(len(p[1]) for p in pairs[2:])
    assert not bound.holders("zzqtron")


def test_embedding_writes_the_index_and_the_sweep_fills_an_upgraded_database(
    session: Session,
) -> None:
    lab = create_user(session, Role.researcher, org=create_org(session, OrgKind.university))
    cap = eval_capability(session, lab, "C189")
    embedder = HashEmbedder(dim=32)
    vectors.embed_postings(session, "capability", [cap.id], embedder)
    bound = DatabaseKeywords("capability").bind(session)
    assert cap.id in bound.holders("薄膜封装")
    assert repository.keyword_stale_ids(session, "capability", embedder.model_id) == []
    # a database from before the shared index: the vector is current, the keywords missing
    keywords.remove(session, "capability", [cap.id])
    assert cap.id not in bound.holders("薄膜封装")
    assert repository.keyword_stale_ids(session, "capability", embedder.model_id) == [cap.id]
    outcome = vectors.embed_postings(session, "capability", [cap.id], embedder)
    assert outcome.current == [cap.id] and not outcome.embedded  # not re-embedded
    assert cap.id in bound.holders("薄膜封装")
    assert repository.keyword_stale_ids(session, "capability", embedder.model_id) == []
    # an edit re-embeds and re-indexes in the same transaction
    cap.title = "Zzqtron 新型封装"
    session.flush()
    vectors.embed_postings(session, "capability", [cap.id], embedder)
    assert bound.holders("zzqtron") == {cap.id}
    assert repository.keyword_facts(session, "capability", [cap.id]) == {
        cap.id: facts_of(to_doc(cap))
    }


def test_a_row_without_facts_is_ranked_from_its_posting_and_filled_by_the_sweep(
    session: Session,
) -> None:
    lab = create_user(session, Role.researcher, org=create_org(session, OrgKind.university))
    cap = eval_capability(session, lab, "C189")
    embedder = HashEmbedder(dim=32)
    vectors.embed_postings(session, "capability", [cap.id], embedder)
    expected = facts_of(to_doc(cap))
    # a row written before the `keyword facts` and `keyword heads` migrations
    repository.set_keyword_facts(session, "capability", {})
    row = repository.keyword_docs(session, "capability", [cap.id])[cap.id]
    tfs, row.facts, row.tfs = row.tfs, None, None
    session.flush()
    docs = PostingDocs("capability")
    docs.put([to_doc(cap)])
    got = docs.bind(session).many([cap.id])[cap.id]  # read and parsed from the posting
    assert facts_of(got) == expected
    assert keywords.write_facts(session, "capability") == 1
    assert repository.keyword_facts(session, "capability", [cap.id]) == {cap.id: expected}
    session.expire_all()
    assert tfs and repository.keyword_docs(session, "capability", [cap.id])[cap.id].tfs == tfs
    assert keywords.write_facts(session, "capability") == 0


def _memory(docs: list[Doc]) -> MemoryKeywords:
    analyzer, memory = default_analyzer(), MemoryKeywords()
    pairs = [keyword_tokens(analyzer, d) for d in docs]
    memory.add([d.id for d in docs], [p[0] for p in pairs], [p[1] for p in pairs])
    return memory


def _check_heads(session: Session, docs: list[Doc]) -> int:
    """Every head is its term's df and best postings (all of them up to HEAD, else at least
    HEAD / 2 of them, entries as in the blocks); returns how many heads are partial."""
    partial = 0
    for field in keywords.FIELDS:
        analyzer = default_analyzer()
        terms = {t for d in docs for t in keyword_tokens(analyzer, d)[field == "char"]}
        heads = repository.keyword_heads(session, "capability", field, terms)
        full = repository.keyword_postings(session, "capability", field, terms)
        assert set(heads) == set(full) == terms
        for term, (df, data) in heads.items():
            entries, every = keywords.unpack(data), keywords.unpack(b"".join(full[term]))
            assert df == every.shape[1]
            assert entries.shape[1] == min(df, keywords.HEAD) or (
                df > keywords.HEAD and entries.shape[1] >= keywords.HEAD // 2
            )
            inside = np.isin(every[0], entries[0])
            assert inside.sum() == entries.shape[1]
            ordered = every[:, inside][:, np.argsort(np.argsort(entries[0]))]
            assert np.array_equal(ordered, entries)  # the same (id, tf, length)
            partial += entries.shape[1] < df
    return partial


def test_a_large_corpus_reads_heads_and_scores_every_asked_posting_exactly(
    session: Session, monkeypatch: pytest.MonkeyPatch, engine: Engine
) -> None:
    """Past SAMPLE a term in more than HEAD postings is read from its head only: the
    candidates' scores are still exact (from their own rows), a one-term query's top is the
    exact top, and the packed entries read stay under HEAD + SAMPLE per term where the whole
    lists are several times that."""
    monkeypatch.setattr(keywords, "HEAD", 8)
    monkeypatch.setattr(keywords, "SAMPLE", 24)
    caps = _docs("capabilities.jsonl", "capability", start=901_000)
    for start in range(0, len(caps), 50):  # the heads kept write by write
        batch = caps[start : start + 50]
        keywords.write(session, "capability", [(d, doc_hash(d)) for d in batch])
    # an edit and a removal move the heads too
    edited = dataclasses.replace(caps[3], title="石墨烯 导热膜 石墨烯 石墨烯", description="无")
    keywords.write(session, "capability", [(edited, doc_hash(edited))])
    keywords.remove(session, "capability", [int(caps[4].id)])
    docs = [edited if d.id == edited.id else d for d in caps if d.id != caps[4].id]
    assert _check_heads(session, docs) > 100  # many common terms are read from heads only
    # rows written before their term frequencies were kept: scored from the blocks
    legacy = [int(d.id) for d in docs[::3]]
    kept = {
        i: r.tfs or b"" for i, r in repository.keyword_docs(session, "capability", legacy).items()
    }
    session.execute(update(KeywordDoc).where(KeywordDoc.posting_id.in_(legacy)).values(tfs=None))
    memory = _memory(docs)
    ids = [d.id for d in docs]
    analyzer = default_analyzer()
    everything = lambda _: True  # noqa: E731
    for need in _docs("needs.jsonl", "need")[:15]:
        words, chars = analyzer.tokens(need.title), char_ngrams(need.title)
        bounded = DatabaseKeywords("capability").bind(session)
        hits = bounded.search(words, chars, everything, 5)
        terms = len(set(words)) + len(set(chars))
        assert bounded.read_bytes <= terms * (keywords.HEAD + keywords.SAMPLE) * 12
        assert bounded.rows_read <= 2 * 2 * 5  # the two short lists, scored exactly
        for d, m in zip(hits, memory.search(words, chars, everything, 5), strict=True):
            assert np.array_equal(d.scores(ids), m.scores(ids))  # exact for any posting
            assert set(np.flatnonzero(d.reference)).issubset(range(len(d.reference)))
            assert set(d.reference[d.reference > 0].tolist()) <= set(m.reference.tolist())
            assert len(d.reference) >= 2
        # a pair's filter (`Among`, `service.rank_pair`) looks at its id's rows only and
        # keeps what walking every row through the filter keeps
        word_top = memory.search(words, chars, everything, 5)[0].top
        for x in {int(word_top[0]), int(word_top[-1]), int(ids[-1])} if word_top else ():
            narrow = DatabaseKeywords("capability").bind(session)
            walked = DatabaseKeywords("capability").bind(session)
            one = narrow.search(words, chars, Among(everything, {x}), 5)
            for a, b in zip(
                one, walked.search(words, chars, lambda i, x=x: i == x, 5), strict=True
            ):
                assert list(a.top) == list(b.top) and len(a.top) <= 1
                assert np.array_equal(a.scores(ids), b.scores(ids))
    repository.set_keyword_tfs(session, "capability", kept)  # as the sweep fills them
    for term in ("工艺", "系统", "材料"):  # one common term: its best postings are the top
        df = repository.keyword_df(session, "capability", "word", [term])[term]
        assert df > keywords.HEAD + keywords.SAMPLE
        bounded = DatabaseKeywords("capability").bind(session)
        word, _ = bounded.search([term], [], everything, 5)
        exact, _ = memory.search([term], [], everything, 5)
        assert list(word.top) == list(exact.top)
        assert bounded.read_bytes <= (keywords.HEAD + keywords.SAMPLE) * 12 < df * 12
    # a bounded search's round trips: the statistics with the id span (for the reference),
    # then both fields' heads, both shortlists' rows, both fields' reference block starts
    # and all their range counts, one statement each
    statements: list[str] = []

    def note(conn: object, cursor: object, statement: str, *rest: object) -> None:
        statements.append(statement)

    need = _docs("needs.jsonl", "need")[0]
    words, chars = analyzer.tokens(need.title), char_ngrams(need.title)
    bound = DatabaseKeywords("capability").bind(session)
    event.listen(engine, "before_cursor_execute", note)
    try:
        word, char = bound.search(words, chars, everything, 5)
        searched = list(statements)
        # the matcher's pool (both tops and postings of neither shortlist) asked of both
        # retrievers: the lists neither shortlist read, in one statement
        pool = list(dict.fromkeys([*word.top, *char.top, *ids[:: len(ids) // 7]]))
        pooled = [word.scores(pool), char.scores(pool)]
        scored = list(statements)
        # explaining its page: the rows it scored and its words' df, nothing read again
        page = [*word.top, *char.top]
        held, rarity = bound.terms(page), bound.rarity(set(words))
    finally:
        event.remove(engine, "before_cursor_execute", note)
    spans = [s for s in searched if "min(keyword_docs.posting_id)" in s]
    assert len(spans) == 1 and "keyword_stats" in spans[0], searched
    assert len(searched) == 5, searched
    # the shortlists' rows: each field's term lists of its own shortlist only (a row of the
    # word shortlist only is read without its bigrams, one of the bigram shortlist only
    # without its words), both fields in one statement; the pool's: what neither read
    assert len(scored) == 6, scored[len(searched) :]
    lists = [s for s in scored if "keyword_docs.tfs" in s]
    assert len(lists) == 2, lists
    rows = bound._rows
    assert rows is not None
    shortlists = {f: set(h._ids.tolist()) for f, h in (("word", word), ("char", char))}
    assert shortlists["word"] != shortlists["char"]
    indexed = set(repository.keyword_word_terms(session, "capability", pool))
    for field, short in shortlists.items():
        assert set(rows.lists[field]) == short | indexed, field
    assert statements == scored, statements[len(scored) :]
    for got, m in zip(pooled, memory.search(words, chars, everything, 5), strict=True):
        assert np.array_equal(got, m.scores(pool))
    assert page and held == memory.terms(page)
    expected = memory.rarity(set(words))
    assert all(rarity.idf(t) == expected.idf(t) for t in words) and len(rarity) == len(expected)


def test_heads_built_from_the_blocks_equal_the_written_ones_when_complete(
    session: Session, corpus: list[Doc]
) -> None:
    """`build_heads` (a database indexed before the heads, or built in bulk) gives the
    heads the writes keep: at the eval corpus's size every term is complete."""
    assert _check_heads(session, corpus) == 0
    written = {
        f: repository.keyword_heads(session, "capability", f, _all_terms(session, f))
        for f in keywords.FIELDS
    }
    assert keywords.build_heads(session, "capability") == sum(map(len, written.values()))
    for field, heads in written.items():
        assert repository.keyword_heads(session, "capability", field, heads) == heads


def test_the_keyword_heads_command_builds_an_upgraded_database_heads(tmp_path: Path) -> None:
    """`jiebang keyword-heads` on a database whose rows were written before the heads: every
    side gets the heads its writes would have kept, committed."""
    caps = _docs("capabilities.jsonl", "capability", start=901_000)[:40]
    for _ in use_committed_database(tmp_path, "heads"):
        sm = get_sessionmaker()
        with sm() as s:
            keywords.write(s, "capability", [(d, doc_hash(d)) for d in caps])
            s.commit()
            kept = {
                f: repository.keyword_heads(s, "capability", f, _all_terms(s, f))
                for f in keywords.FIELDS
            }
            repository.clear_keyword_heads(s, "capability")  # as before the heads were kept
            s.commit()
        assert cli.main(["keyword-heads"]) == 0
        with sm() as s:
            assert repository.keyword_head_count(s, "capability") == sum(map(len, kept.values()))
            for field, heads in kept.items():
                assert repository.keyword_heads(s, "capability", field, heads) == heads


def _all_terms(session: Session, field: str) -> set[str]:
    rows = repository.keyword_docs(session, "capability", range(900_000, 902_000))
    return {
        t
        for r in rows.values()
        for t in (r.word_terms if field == "word" else r.char_terms).split("\n")
        if t
    }
