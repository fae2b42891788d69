"""The keyword index in the database, shared by every process: written beside a posting's
vector, read per query; nothing is held in memory or rebuilt at start-up.

Tables (migration `shared keyword index`): `keyword_docs` (one row per posting: its token
counts, distinct terms and text hash), `keyword_blocks` (a term's postings among 8192
consecutive ids, packed: ids, tfs, lengths; clustered by term, so a query reads a term's
blocks in one index range and a write rewrites at most 8192 entries per term) and
`keyword_stats` (each side's N and total lengths, moved by every write in its transaction).
A query reads the packed blocks of its distinct terms and scores them with
:func:`matching.keywords.sparse_scores`, the arithmetic of the in-memory
:class:`~matching.lexical.BM25Index`, so the matcher's features are the same to the last bit
(`tests/service/engine/test_keywords.py` checks it on the eval corpus).

Why not FTS5's `bm25()` or a PostgreSQL `tsvector`: the ranking model's `word` and `char`
features are z-scores of *this* BM25 (idf log(1 + (N − df + ½)/(df + ½)), k1 1.2, b 0.75,
lengths in tokens); FTS5's idf is log((N − df + ½)/(df + ½)) and a tsvector's rank is not
BM25, so either would change every score and the calibrated model with it. Plain tables,
clustered by term, are the same on both databases and give the postings and statistics
exactly. One row per (term, posting) was measured first: reading rows cost ~6 µs each,
24 ms p50 for a title search at 5 000 capabilities; packed blocks read a term's postings in a
few rows. The z-score reference is exact too: the postings read hold every non-zero score, the
rest of the corpus scores 0.
"""

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from typing import Any, cast

import numpy as np
from sqlalchemy.orm import Session

from matching.documents import Doc
from matching.features import reference_sample
from matching.keywords import (
    Hits,
    Rarity,
    TermRarity,
    bm25_idf,
    keyword_tokens,
    sparse_scores,
)
from matching.lexical import Analyzer, default_analyzer
from matching.retrieval import Keep, best_rows
from service.engine import repository
from service.engine.documents import Kind, doc_hash, to_doc
from service.engine.facts import facts_of

FIELDS = ("word", "char")
SAMPLE = len(reference_sample(np.arange(1 << 20)))  # the dense side's reference size


# --- writing --------------------------------------------------------------------------
BLOCK = 8192  # posting ids per packed block (at most 96 KB rewritten per term and write)


def pack(ids: np.ndarray, tfs: np.ndarray, lens: np.ndarray) -> bytes:
    """Entries (ascending ids) as int32 triples (id, tf, length): blocks concatenate."""
    return np.stack([ids, tfs, lens], axis=1).astype("<i4").tobytes()


def unpack(data: bytes) -> np.ndarray:
    """Packed entries (one block or several joined) as a (3, n) int64 array."""
    return np.frombuffer(data, dtype="<i4").reshape(-1, 3).T.astype(np.int64)


def write(
    session: Session,
    kind: Kind,
    docs: Sequence[tuple[Doc, str]],
    analyzer: Analyzer | None = None,
) -> int:
    """Index (or re-index) postings given as (doc, text hash); flushes, doesn't commit."""
    if not docs:
        return 0
    analyzer = analyzer or default_analyzer()
    fresh: dict[int, tuple[str, list[str], list[str]]] = {}
    facts: dict[int, str] = {}
    for doc, digest in docs:
        words, chars = keyword_tokens(analyzer, doc)
        fresh[int(doc.id)] = (digest, words, chars)
        facts[int(doc.id)] = facts_of(doc)
    return write_tokens(session, kind, fresh, facts=facts)


def remove(session: Session, kind: Kind, ids: Iterable[int]) -> None:
    """Drop postings from the index (their statistics with them)."""
    write_tokens(session, kind, {}, gone=list(ids))


def write_tokens(
    session: Session,
    kind: Kind,
    fresh: dict[int, tuple[str, list[str], list[str]]],
    gone: Sequence[int] = (),
    facts: dict[int, str] | None = None,
) -> int:
    """Take `gone` and the old versions of `fresh` (id → (text hash, word tokens,
    bigrams)) out of every block they are in, put `fresh` in, and move the statistics; one
    rewrite per touched block. `facts`: what ranking reads of each (`facts.facts_of`)."""
    old = repository.keyword_docs(session, kind, [*fresh, *gone])
    # (field, block) → term → the new entries (id, tf, length) of that term in that block
    adds: dict[tuple[str, int], dict[str, list[tuple[int, int, int]]]] = {}
    touched: dict[tuple[str, int], set[str]] = {}
    for doc_id, row in old.items():
        for field, listed in (("word", row.word_terms), ("char", row.char_terms)):
            key = (field, doc_id // BLOCK)
            touched.setdefault(key, set()).update(t for t in listed.split("\n") if t)
    rows: list[dict[str, Any]] = []
    for doc_id, (digest, words, chars) in fresh.items():
        counts = {"word": Counter(words), "char": Counter(chars)}
        for field, tokens in (("word", words), ("char", chars)):
            key = (field, doc_id // BLOCK)
            bucket = adds.setdefault(key, {})
            for term, tf in counts[field].items():
                bucket.setdefault(term, []).append((doc_id, tf, len(tokens)))
            touched.setdefault(key, set()).update(counts[field])
        rows.append(
            {
                "kind": kind,
                "posting_id": doc_id,
                "text_hash": digest,
                "word_len": len(words),
                "char_len": len(chars),
                "word_terms": "\n".join(counts["word"]),
                "char_terms": "\n".join(counts["char"]),
                "facts": (facts or {}).get(doc_id),
            }
        )
    out_ids = np.asarray(sorted({*old, *fresh}), dtype=np.int64)
    for (field, block), terms in sorted(touched.items()):
        held = repository.keyword_blocks_at(session, kind, field, block, terms)
        new_rows: list[dict[str, Any]] = []
        for term in sorted(terms):
            parts: list[np.ndarray] = []
            if term in held:
                entries = unpack(held[term])
                parts.append(entries[:, ~np.isin(entries[0], out_ids)])
            added = adds.get((field, block), {}).get(term)
            if added:
                parts.append(np.asarray(added, dtype=np.int64).T)
            merged = np.concatenate(parts, axis=1) if parts else np.zeros((3, 0), np.int64)
            if merged.shape[1]:
                merged = merged[:, np.argsort(merged[0], kind="stable")]
                new_rows.append(
                    {
                        "kind": kind,
                        "field": field,
                        "term": term,
                        "block": block,
                        "n": int(merged.shape[1]),
                        "data": pack(merged[0], merged[1], merged[2]),
                    }
                )
        repository.replace_keyword_blocks(session, kind, field, block, held, new_rows)
    repository.replace_keyword_docs(session, kind, old, rows)
    repository.add_keyword_stats(
        session,
        kind,
        len(rows) - len(old),
        sum(r["word_len"] for r in rows) - sum(d.word_len for d in old.values()),
        sum(r["char_len"] for r in rows) - sum(d.char_len for d in old.values()),
    )
    session.flush()
    return len(rows)


def write_current(session: Session, kind: Kind, model_id: str, ids: Iterable[int]) -> int:
    """Index those of `ids` (postings whose vector is current) whose keyword row is missing
    or of another text: a database upgraded from before the shared index (the worker's sweep
    hands them over, `repository.keyword_stale_ids`)."""
    id_list = list(ids)
    if not id_list:
        return 0
    held = repository.keyword_docs(session, kind, id_list)
    vectors = repository.vectors_of(session, kind, model_id, id_list)
    hashes = {i: v.text_hash for i, v in vectors.items()}
    stale = [i for i in id_list if i not in held or held[i].text_hash != hashes.get(i)]
    if not stale:
        return 0
    docs = [to_doc(p) for p in repository.postings(session, kind, stale)]
    return write(session, kind, [(d, doc_hash(d)) for d in docs])


def write_facts(session: Session, kind: Kind, limit: int = 500) -> int:
    """Fill the facts (`facts.facts_of`) of up to `limit` keyword rows written before they
    were kept, from the postings' current text; returns how many were missing. (A row whose
    posting changed since is rewritten with its facts by the embedding worker anyway.)"""
    ids = repository.factless_ids(session, kind, limit)
    if not ids:
        return 0
    docs = [to_doc(p) for p in repository.postings(session, kind, ids)]
    repository.set_keyword_facts(session, kind, {int(d.id): facts_of(d) for d in docs})
    session.flush()
    return len(ids)


# --- reading --------------------------------------------------------------------------
class SparseHits:
    """One retriever's scores over the postings that hold a query term (others score 0)."""

    def __init__(
        self, ids: np.ndarray, scores: np.ndarray, reference: np.ndarray, top: Sequence[int]
    ) -> None:
        self._ids = ids  # sorted posting ids
        self._scores = scores
        self.reference = reference
        self.top = tuple(top)

    def scores(self, ids: Sequence[Any]) -> np.ndarray:
        out = np.zeros(len(ids), dtype=np.float32)
        if not len(self._ids) or not len(ids):
            return out
        want = np.asarray([int(i) for i in ids], dtype=np.int64)
        at = np.minimum(np.searchsorted(self._ids, want), len(self._ids) - 1)
        found = self._ids[at] == want
        out[found] = self._scores[at[found]]
        return out


class _Ids:
    """Posting ids by row, as plain ints, without a list of them all."""

    def __init__(self, ids: np.ndarray) -> None:
        self._ids = ids

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, row: int) -> int:
        return int(self._ids[row])


class DatabaseKeywords:
    """One side's keyword index in the database, read in the caller's transaction.

    A :class:`~matching.keywords.KeywordIndex` for one query: the matcher is given one per
    call (:meth:`bind`), as the session is the caller's.
    """

    writes_here = False  # written by `write` beside the vector, never by the matcher

    def __init__(self, kind: Kind, session: Session | None = None) -> None:
        self.kind = kind
        self._session = session

    def bind(self, session: Session) -> "DatabaseKeywords":
        return DatabaseKeywords(self.kind, session)

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the database keyword index is read through bind(session)")
        return self._session

    def add(
        self, ids: Sequence[Any], words: Sequence[list[str]], chars: Sequence[list[str]]
    ) -> None:
        return None

    def remove(self, ids: Collection[Any]) -> None:
        return None

    def search(
        self, words: Sequence[str], chars: Sequence[str], keep: Keep, pool: int
    ) -> tuple[Hits, Hits]:
        n_docs, word_total, char_total = repository.keyword_stats(self.session, self.kind)
        alive: np.ndarray | None = None
        if 0 < n_docs <= SAMPLE:  # small corpus: the reference in id order, as in memory
            alive = np.asarray(repository.keyword_doc_ids(self.session, self.kind), np.int64)
        word = self._hits("word", words, keep, pool, n_docs, word_total, alive)
        char = self._hits("char", chars, keep, pool, n_docs, char_total, alive)
        return word, char

    def _hits(
        self,
        field: str,
        tokens: Sequence[str],
        keep: Keep,
        pool: int,
        n_docs: int,
        total: int,
        alive: np.ndarray | None,
    ) -> SparseHits:
        found = repository.keyword_postings(self.session, self.kind, field, set(tokens))
        if not found or not n_docs:
            reference = np.zeros(n_docs if alive is None else len(alive), dtype=np.float32)
            return SparseHits(np.zeros(0, np.int64), np.zeros(0, np.float32), reference, [])
        lists = {t: unpack(b"".join(blocks)) for t, blocks in found.items()}
        every = np.concatenate(list(lists.values()), axis=1)
        # rows are posting ids: no sort, one array as long as the largest id found
        lengths = np.zeros(int(every[0].max()) + 1, dtype=np.int64)
        lengths[every[0]] = every[2]
        postings = {t: (e[0], e[1].astype(np.float32)) for t, e in lists.items()}
        dense = sparse_scores(tokens, postings, lengths, n_docs, total)
        ids = np.flatnonzero(dense > 0)  # every posting holding a query term scores > 0
        scores = dense[ids]
        if alive is not None:
            reference = np.zeros(len(alive), dtype=np.float32)
            where = np.searchsorted(alive, ids)
            inside = (where < len(alive)) & (alive[np.minimum(where, len(alive) - 1)] == ids)
            reference[where[inside]] = scores[inside]
        else:  # every posting without a query term scores 0
            zeros = np.zeros(max(n_docs - len(ids), 0), dtype=np.float32)
            reference = np.concatenate([scores, zeros])
        top = best_rows(scores, cast(Sequence[int], _Ids(ids)), keep, pool)
        return SparseHits(ids, scores, reference, [int(i) for i in top])

    def terms(self, ids: Collection[Any]) -> dict[Any, frozenset[str]]:
        rows = repository.keyword_docs(self.session, self.kind, (int(i) for i in ids))
        return {i: frozenset(t for t in r.word_terms.split("\n") if t) for i, r in rows.items()}

    def rarity(self, terms: Collection[str]) -> Rarity:
        n_docs = repository.keyword_stats(self.session, self.kind)[0]
        df = repository.keyword_df(self.session, self.kind, "word", terms)
        return TermRarity(n_docs, {t: bm25_idf(n_docs, df.get(t, 0)) for t in terms})

    def holders(self, term: str) -> set[Any]:
        blocks = repository.keyword_postings(self.session, self.kind, "word", [term])
        return {int(i) for i in unpack(b"".join(blocks.get(term, [])))[0]}
