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

Bounded reads (`keyword_heads`, migration `keyword heads`): at 1M postings a common bigram's
blocks are ~12 MB, read and scored per query. Past SAMPLE postings a query reads each term's
head instead: its df and its HEAD best postings by BM25 impact (all of them when df ≤ HEAD),
kept by every write; candidates are scored exactly from their `keyword_docs` rows (term
frequencies in `tfs`), and the reference is the exact scores of a few id ranges. A corpus of
at most SAMPLE postings is read whole as before, so the eval corpus ranks to the same bits.
See :class:`DatabaseKeywords` and `matching/BENCHMARKS.md` §10.
"""

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from itertools import chain
from typing import Any, cast

import numpy as np
from sqlalchemy.orm import Session

from matching.documents import Doc
from matching.features import reference_sample
from matching.keywords import (
    K1,
    B,
    Hits,
    Rarity,
    TermRarity,
    bm25_idf,
    keyword_tokens,
    sparse_scores,
)
from matching.lexical import Analyzer, default_analyzer
from matching.retrieval import Keep, best_rows, narrowed
from service.engine import repository
from service.engine.documents import Kind, doc_hash, to_doc
from service.engine.facts import facts_of

FIELDS = ("word", "char")
SAMPLE = len(reference_sample(np.arange(1 << 20)))  # the dense side's reference size


# --- writing --------------------------------------------------------------------------
BLOCK = 8192  # posting ids per packed block (at most 96 KB rewritten per term and write)


HEAD = 1024  # best postings kept per term (12 KB): a query reads at most this per term
SAMPLE_BLOCKS = 4  # blocks the z-score reference of a large corpus is read from


def pack_tfs(words: Counter[str], chars: Counter[str]) -> bytes:
    """A `keyword_docs` row's term frequencies (uint16, word terms then bigrams, in the
    order of its term lists)."""
    counts = [*words.values(), *chars.values()]
    return np.minimum(np.asarray(counts, dtype=np.int64), 65535).astype("<u2").tobytes()


def impacts(entries: np.ndarray, avg: float) -> np.ndarray:
    """BM25's term-frequency part of each entry (its score for the term over the idf)."""
    tf = entries[1].astype(np.float64)
    return tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * entries[2] / max(avg, 1.0)))


def best(entries: np.ndarray, avg: float, limit: int) -> np.ndarray:
    """A head of `entries` (all a term's postings, or a head and new ones): the `limit` of
    highest impact, best first (ties: smaller id first); all of them by id when they fit."""
    if entries.shape[1] <= limit:
        return entries[:, np.argsort(entries[0], kind="stable")]
    order = np.lexsort((entries[0], -impacts(entries, avg)))[:limit]
    return entries[:, order]


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
    n_docs, *totals = repository.keyword_stats(session, kind)
    # (field, block) → term → the new entries (id, tf, length) of that term in that block
    adds: dict[tuple[str, int], dict[str, list[tuple[int, int, int]]]] = {}
    touched: dict[tuple[str, int], set[str]] = {}
    dropped: dict[str, Counter[str]] = {field: Counter() for field in FIELDS}  # df lost
    for doc_id, row in old.items():
        for field, listed in (("word", row.word_terms), ("char", row.char_terms)):
            key = (field, doc_id // BLOCK)
            held_terms = [t for t in listed.split("\n") if t]
            touched.setdefault(key, set()).update(held_terms)
            dropped[field].update(held_terms)
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
                "tfs": pack_tfs(counts["word"], counts["char"]),
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
    for f, total in zip(FIELDS, totals, strict=True):
        entering: dict[str, list[tuple[int, int, int]]] = {}
        for (field, _), by_term in adds.items():
            if field == f:
                for term, new_entries in by_term.items():
                    entering.setdefault(term, []).extend(new_entries)
        avg = total / n_docs if n_docs else 1.0
        _write_heads(session, kind, f, dropped[f], entering, out_ids, avg)
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


def _write_heads(
    session: Session,
    kind: Kind,
    field: str,
    dropped: Counter[str],
    added: dict[str, list[tuple[int, int, int]]],
    out_ids: np.ndarray,
    avg: float,
) -> None:
    """Move the heads of the terms a write touched: `dropped` postings (rewritten or gone)
    leave, `added` entries come in where they rank among the best. A head that would be
    left too short (under HEAD / 2 entries of a longer list, or incomplete at df ≤ HEAD) is
    rebuilt from the term's blocks, which the write has already rewritten."""
    terms = sorted({*dropped, *added})
    held = repository.keyword_heads(session, kind, field, terms, lock=True)
    rows: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    gone: list[str] = []
    rebuild: list[str] = []
    for term in terms:
        if term not in held:  # a new term (or one indexed before the heads)
            rebuild.append(term)
            continue
        df, data = held[term]
        entries = unpack(data)
        new_df = df - dropped.get(term, 0) + len(added.get(term, ()))
        if new_df <= 0:
            gone.append(term)
            continue
        kept = entries[:, ~np.isin(entries[0], out_ids)]
        extra = np.asarray(added.get(term, []), dtype=np.int64).reshape(-1, 3).T
        if entries.shape[1] < df and kept.shape[1]:  # a head: only entries above its floor
            extra = extra[:, impacts(extra, avg) >= impacts(kept, avg).min()]
        if entries.shape[1] < df and not kept.shape[1]:
            rebuild.append(term)
            continue
        merged = best(np.concatenate([kept, extra], axis=1), avg, HEAD)
        if merged.shape[1] < min(new_df, HEAD // 2) or (
            new_df <= HEAD and merged.shape[1] != new_df
        ):
            rebuild.append(term)
        elif merged.shape == entries.shape and np.array_equal(merged, entries):
            counts[term] = new_df
        else:
            rows[term] = merged
            counts[term] = new_df
    for term, blocks in repository.keyword_postings(session, kind, field, rebuild).items():
        entries = unpack(b"".join(blocks))
        rows[term] = best(entries, avg, HEAD)
        counts[term] = entries.shape[1]
    repository.replace_keyword_heads(
        session,
        kind,
        field,
        [*gone, *(t for t in rows if t in held)],
        [
            {"kind": kind, "field": field, "term": t, "df": counts[t], "data": _packed(e)}
            for t, e in sorted(rows.items())
        ],
        {t: n for t, n in counts.items() if t not in rows},
    )


def _packed(entries: np.ndarray) -> bytes:
    return pack(entries[0], entries[1], entries[2])


def build_heads(session: Session, kind: Kind) -> int:
    """(Re)write every head of a side from its blocks: a database indexed before the heads
    were kept, or one built in bulk (`loadbench`). Flushes, doesn't commit; returns the
    number of heads."""
    n_docs, *totals = repository.keyword_stats(session, kind)
    repository.clear_keyword_heads(session, kind)
    written = 0
    for field, total in zip(FIELDS, totals, strict=True):
        avg = total / n_docs if n_docs else 1.0
        batch: list[dict[str, Any]] = []
        current: tuple[str, list[bytes]] | None = None
        stream = repository.keyword_term_blocks(session, kind, field)
        for term, data in chain(stream, [("", b"")]):  # a sentinel ends the last term
            if current is not None and term == current[0]:
                current[1].append(data)
                continue
            if current is not None:
                entries = unpack(b"".join(current[1]))
                head = best(entries, avg, HEAD)
                row = {"term": current[0], "df": entries.shape[1], "data": _packed(head)}
                batch.append({"kind": kind, "field": field, **row})
            if len(batch) >= 2000 or not term:
                repository.replace_keyword_heads(session, kind, field, [], batch, {})
                written, batch = written + len(batch), []
            current = (term, [data])
    session.flush()
    return written


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
    """Fill the facts (`facts.facts_of`) and the term frequencies of up to `limit` keyword
    rows written before they were kept, from the postings' current text; returns how many
    were missing. (A row whose posting changed since is rewritten with both by the embedding
    worker anyway; until then its frequencies are marked unknown, b"", and read from the
    blocks.)"""
    ids = repository.factless_ids(session, kind, limit)
    if not ids:
        return 0
    docs = [to_doc(p) for p in repository.postings(session, kind, ids)]
    repository.set_keyword_facts(session, kind, {int(d.id): facts_of(d) for d in docs})
    rows, analyzer = repository.keyword_docs(session, kind, ids), default_analyzer()
    tfs = dict.fromkeys(ids, b"")
    for doc in docs:
        row = rows.get(int(doc.id))
        counts = [Counter(tokens) for tokens in keyword_tokens(analyzer, doc)]
        if row and (row.word_terms, row.char_terms) == tuple("\n".join(c) for c in counts):
            tfs[int(doc.id)] = pack_tfs(*counts)
    repository.set_keyword_tfs(session, kind, tfs)
    session.flush()
    return len(ids)


# --- reading --------------------------------------------------------------------------
class SparseHits:
    """One retriever's scores over the postings that hold a query term (others score 0, or
    are scored exactly by `more` when the postings read were a term's head only: given the
    ids to score and every id asked with them, which the other retriever is asked next)."""

    def __init__(
        self,
        ids: np.ndarray,
        scores: np.ndarray,
        reference: np.ndarray,
        top: Sequence[int],
        more: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    ) -> None:
        self._ids = ids  # sorted posting ids
        self._scores = scores
        self.reference = reference
        self.top = tuple(top)
        self._more = more

    def scores(self, ids: Sequence[Any]) -> np.ndarray:
        out = np.zeros(len(ids), dtype=np.float32)
        if not len(ids):
            return out
        want = np.asarray([int(i) for i in ids], dtype=np.int64)
        found = np.zeros(len(want), dtype=bool)
        if len(self._ids):
            at = np.minimum(np.searchsorted(self._ids, want), len(self._ids) - 1)
            found = self._ids[at] == want
            out[found] = self._scores[at[found]]
        if self._more is not None and not found.all():
            out[~found] = self._more(want[~found], want)
        return out


class _Ids:
    """Posting ids by row, as plain ints, without a list of them all."""

    def __init__(self, ids: np.ndarray) -> None:
        self._ids = ids

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, row: int) -> int:
        return int(self._ids[row])


def _scored(
    tokens: Sequence[str],
    lists: dict[str, np.ndarray],
    n_docs: int,
    total: int,
    dfs: dict[str, int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """BM25 (`sparse_scores`' arithmetic) of the postings in `lists` (term → entries):
    their sorted ids and scores; `dfs`: the terms' document frequencies when a list holds
    some of its postings only."""
    every = np.concatenate(list(lists.values()), axis=1)
    ids, first = np.unique(every[0], return_index=True)
    postings = {t: (np.searchsorted(ids, e[0]), e[1].astype(np.float32)) for t, e in lists.items()}
    scores = sparse_scores(tokens, postings, every[2][first], n_docs, total, dfs=dfs)
    return ids, scores


_Lists = tuple[int, str, bytes | None]  # a row's length, terms and tfs in one field


def _count_terms(terms: str) -> int:
    """The number of terms in a row's ("\n"-joined) list of one field."""
    return terms.count("\n") + 1 if terms else 0


class _Terms:
    """The `keyword_docs` rows a bounded query scores exactly, kept as read, per field: of
    each row only what that field's scores need (its length, its term list, "\n"-joined,
    and the row's frequencies: uint16, word terms then bigrams, in the order of the lists).
    A row of the word shortlist only is read without its bigrams and one of the bigram
    shortlist only without its words."""

    def __init__(self, session: Session, kind: Kind, span: tuple[int, int]) -> None:
        self.session, self.kind = session, kind
        self.lists: dict[str, dict[int, _Lists]] = {field: {} for field in FIELDS}
        self.span = span  # the side's smallest and largest indexed id (read with the stats)

    def get(self, wanted: Mapping[str, Iterable[Any]]) -> int:
        """Read each field's lists of those of its ids not read yet, every field in one
        statement; returns how many (row, field) lists were read."""
        missing = {
            field: [i for i in dict.fromkeys(int(i) for i in ids) if i not in self.lists[field]]
            for field, ids in wanted.items()
        }
        if not any(missing.values()):
            return 0
        got = repository.keyword_field_lists(self.session, self.kind, missing)
        for field, rows in got.items():
            self.lists[field].update(rows)
        return sum(len(rows) for rows in got.values())

    def frequencies(
        self, field: str, ids: np.ndarray, terms: Sequence[str]
    ) -> tuple[dict[str, np.ndarray], list[int]]:
        """Each of `terms`' entries (id, tf, length) among the rows of `ids` (ascending, all
        read for `field`), in id order, and the ids whose row holds one of them without
        frequencies (a row written before they were kept: none of its entries is given).

        All the rows' lists of `field` are searched at once, joined into one text ("\n" +
        list + "\n" per row): each term is found by its "\nterm\n" (no term holds a newline,
        so a match never spans two rows), its row by where the match starts and its place in
        the row's list by the newlines before it there, as a search of each row's own list
        finds it, with a Python step per match instead of one per row and term."""
        out = {t: np.zeros((3, 0), dtype=np.int64) for t in terms}
        if not len(ids) or not terms:
            return out, []
        held = self.lists[field]
        rows = [held[i] for i in ids.tolist()]
        pieces = [r[1] for r in rows]
        starts = np.zeros(len(rows), dtype=np.int64)
        np.cumsum([len(p) + 2 for p in pieces[:-1]], out=starts[1:])
        start_of = starts.tolist()
        joined = "\n" + "\n\n".join(pieces) + "\n"
        known = [bool(r[2]) for r in rows]  # b"" / None: frequencies not kept
        legacy: set[int] = set()  # rows
        found: dict[str, tuple[list[int], list[int]]] = {}
        for term in terms:
            needle = f"\n{term}\n"
            where = joined.find(needle)
            if where < 0:
                continue
            spots = []
            while where >= 0:
                spots.append(where)
                where = joined.find(needle, where + 1)
            at = np.searchsorted(starts, spots, side="right") - 1
            row_of, place = at.tolist(), []
            for spot, row in zip(spots, row_of, strict=True):
                if known[row]:
                    place.append(joined.count("\n", start_of[row], spot))
                else:
                    legacy.add(row)
                    place.append(0)
            found[term] = (row_of, place)
        if not found:
            return out, []
        first = np.zeros(len(rows), dtype=np.int64)  # where each row's tfs start in `tfs`
        np.cumsum([len(r[2] or b"") // 2 for r in rows[:-1]], out=first[1:])
        tfs = np.frombuffer(b"".join(r[2] or b"" for r in rows), dtype="<u2")
        lengths = [r[0] for r in rows]
        for term, (row_of, place) in found.items():
            keep = [n for n, row in enumerate(row_of) if row not in legacy]
            row = np.asarray([row_of[n] for n in keep], dtype=np.int64)
            spot = first[row] + np.asarray([place[n] for n in keep], dtype=np.int64)
            if field == "char":  # bigrams' frequencies follow the row's word terms': the
                # row's tfs hold one per word term and one per bigram
                spot += np.asarray(
                    [len(rows[r][2] or b"") // 2 - _count_terms(rows[r][1]) for r in row.tolist()],
                    np.int64,
                )
            tf = tfs[spot].astype(np.int64)
            nz = tf != 0
            row = row[nz]
            out[term] = np.stack([ids[row], tf[nz], np.asarray(lengths, np.int64)[row]])
        return out, sorted(int(ids[r]) for r in legacy)


class DatabaseKeywords:
    """One side's keyword index in the database, read in the caller's transaction.

    A :class:`~matching.keywords.KeywordIndex` for one query: the matcher is given one per
    call (:meth:`bind`), as the session is the caller's.

    A corpus of at most SAMPLE postings is read whole (every block of every query term):
    the in-memory index's values to the last bit. A larger one reads each term's head
    (`keyword_heads`, one row): a term in at most HEAD postings is complete there and
    scored as before; for a longer one (a common bigram) the heads give candidates, the
    2 × pool best by what the heads hold are scored exactly from their own `keyword_docs`
    rows (term frequencies, lengths), and so is any other posting the matcher asks about.
    Its z-score reference is then the exact scores of the postings in SAMPLE_BLOCKS id ranges
    spread over the corpus (the start of each term's block there), not of every posting.
    A query thus reads at most HEAD + SAMPLE entries per term whatever N is.
    """

    writes_here = False  # written by `write` beside the vector, never by the matcher

    def __init__(self, kind: Kind, session: Session | None = None) -> None:
        self.kind = kind
        self._session = session
        self.read_bytes = 0  # packed entries (heads, blocks) read by this binding's queries
        self.rows_read = 0  # `keyword_docs` rows' lists read to score candidates exactly
        # what the last search read, for explaining its page (`terms`, `rarity`): the rows
        # it scored, and (corpus size, each word term's df) of its word terms
        self._rows: _Terms | None = None
        self._words: tuple[int, frozenset[str], dict[str, int]] | None = None

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
        stats = repository.keyword_stats_and_span(self.session, self.kind)
        n_docs, word_total, char_total, *span = stats
        if n_docs <= SAMPLE:  # small corpus: every posting, the reference in id order
            alive = np.asarray(repository.keyword_doc_ids(self.session, self.kind), np.int64)
            word = self._hits("word", words, keep, pool, n_docs, word_total, alive)
            char = self._hits("char", chars, keep, pool, n_docs, char_total, alive)
            return word, char
        if self._rows is None or self._rows.span != (span[0], span[1]):
            self._rows = _Terms(self.session, self.kind, (span[0], span[1]))
        word_query = ("word", words, keep, pool, n_docs, word_total)
        char_query = ("char", chars, keep, pool, n_docs, char_total)
        return self._bounded((word_query, char_query), self._rows)

    def _hits(
        self,
        field: str,
        tokens: Sequence[str],
        keep: Keep,
        pool: int,
        n_docs: int,
        total: int,
        alive: np.ndarray,
    ) -> SparseHits:
        found = repository.keyword_postings(self.session, self.kind, field, set(tokens))
        if field == "word":  # what explaining the page asks (`rarity`): 12 bytes an entry
            dfs = {t: sum(len(b) for b in d) // 12 for t, d in found.items()}
            self._words = (n_docs, frozenset(tokens), dfs)
        if not found or not n_docs:
            reference = np.zeros(len(alive), dtype=np.float32)
            return SparseHits(np.zeros(0, np.int64), np.zeros(0, np.float32), reference, [])
        self.read_bytes += sum(len(b) for blocks in found.values() for b in blocks)
        lists = {t: unpack(b"".join(blocks)) for t, blocks in found.items()}
        ids, scores = _scored(tokens, lists, n_docs, total)
        reference = np.zeros(len(alive), dtype=np.float32)
        where = np.searchsorted(alive, ids)
        inside = (where < len(alive)) & (alive[np.minimum(where, len(alive) - 1)] == ids)
        reference[where[inside]] = scores[inside]
        top = best_rows(narrowed(scores, ids, keep), cast(Sequence[int], _Ids(ids)), keep, pool)
        return SparseHits(ids, scores, reference, [int(i) for i in top])

    def _heads(self, wanted: dict[str, set[str]]) -> dict[str, dict[str, tuple[int, np.ndarray]]]:
        """field → term → (df, its head's entries), both fields in one statement; a term
        without a head (indexed before the heads were kept) is read whole from its blocks."""
        heads = repository.keyword_heads_of(self.session, self.kind, wanted)
        out: dict[str, dict[str, tuple[int, np.ndarray]]] = {}
        for field, terms in wanted.items():
            held = heads.get(field, {})
            self.read_bytes += sum(len(d) for _, d in held.values())
            out[field] = {t: (df, unpack(d)) for t, (df, d) in held.items()}
            rest = terms - set(held)
            for term, blocks in repository.keyword_postings(
                self.session, self.kind, field, rest
            ).items():
                self.read_bytes += sum(len(b) for b in blocks)
                entries = unpack(b"".join(blocks))
                out[field][term] = (entries.shape[1], entries)
        return out

    def _bounded(
        self, queries: Sequence[tuple[str, Sequence[str], Keep, int, int, int]], rows: _Terms
    ) -> tuple[SparseHits, SparseHits]:
        """Both retrievers' hits from their terms' heads (the corpus is past SAMPLE): each
        query is (field, tokens, keep, pool, corpus size, total length). Both fields' heads
        are one read, their shortlists' rows one, their reference block starts one and their
        range counts one."""
        heads = self._heads({q[0]: set(q[1]) for q in queries})
        n_docs = queries[0][4]
        for field, tokens, *_ in queries:
            if field == "word":  # what explaining the page asks (`rarity`)
                dfs = {t: df for t, (df, _) in heads[field].items()}
                self._words = (n_docs, frozenset(tokens), dfs)
        out: list[SparseHits | None] = []
        waiting: list[tuple[int, tuple[str, Sequence[str], Keep, int, int, int], set[str]]] = []
        shortlists: list[np.ndarray] = []
        for query in queries:
            field, tokens, keep, pool, _, total = query
            held = heads[field]
            if not held:
                reference = np.zeros(n_docs, dtype=np.float32)
                empty = SparseHits(np.zeros(0, np.int64), np.zeros(0, np.float32), reference, [])
                out.append(empty)
                continue
            lists = {t: e for t, (_, e) in held.items()}
            dfs = {t: df for t, (df, _) in held.items()}
            ids, scores = _scored(tokens, lists, n_docs, total, dfs)
            partial = {t for t, (df, e) in held.items() if e.shape[1] < df}
            if not partial:  # every term complete: every score, the rest of the corpus 0
                zeros = np.zeros(n_docs - len(ids), dtype=np.float32)
                walk = narrowed(scores, ids, keep)
                top = best_rows(walk, cast(Sequence[int], _Ids(ids)), keep, pool)
                reference = np.concatenate([scores, zeros])
                out.append(SparseHits(ids, scores, reference, [int(i) for i in top]))
                continue
            walk = narrowed(scores, ids, keep)
            chosen = best_rows(walk, cast(Sequence[int], _Ids(ids)), keep, 2 * pool)
            shortlists.append(np.sort(np.asarray(chosen, np.int64)))
            waiting.append((len(out), query, partial))
            out.append(None)
        if not waiting:
            return cast(SparseHits, out[0]), cast(SparseHits, out[1])
        shorts = {q[0]: short for (_, q, _), short in zip(waiting, shortlists, strict=True)}
        self.rows_read += rows.get(shorts)  # each shortlist's own field, one read
        references = self._references(
            [(q[0], q[1], heads[q[0]], partial, (n_docs, q[5])) for _, q, partial in waiting],
            rows,
        )
        for (at, query, partial), short, reference in zip(
            waiting, shortlists, references, strict=True
        ):
            field, tokens, keep, pool, _, total = query

            def exact(
                want: np.ndarray,
                asked: np.ndarray | None = None,
                field: str = field,
                tokens: Sequence[str] = tokens,
                partial: set[str] = partial,
                total: int = total,
            ) -> np.ndarray:
                """`want`'s exact scores. `asked`: every id asked with them, whose lists
                outside each field's shortlist are read now in the same statement (the
                matcher asks both retrievers about one pool, this one first)."""
                if asked is not None:
                    self.rows_read += rows.get(
                        {f: asked[~np.isin(asked, s)] for f, s in shorts.items()}
                    )
                return self._exact(field, tokens, heads[field], partial, want, n_docs, total, rows)

            short_scores = exact(short)
            top = best_rows(short_scores, cast(Sequence[int], _Ids(short)), keep, pool)
            out[at] = SparseHits(short, short_scores, reference, [int(i) for i in top], exact)
        return cast(SparseHits, out[0]), cast(SparseHits, out[1])

    def _exact(
        self,
        field: str,
        tokens: Sequence[str],
        heads: dict[str, tuple[int, np.ndarray]],
        partial: set[str],
        want: np.ndarray,
        n_docs: int,
        total: int,
        rows: _Terms,
    ) -> np.ndarray:
        """Exact BM25 of the postings `want`: complete terms from their heads, the others
        from each posting's own row (or, for a row written before its frequencies were kept,
        from the term's block at the posting's id)."""
        out = np.zeros(len(want), dtype=np.float32)
        self.rows_read += rows.get({field: want})
        held = rows.lists[field]
        known = sorted((int(i), n) for n, i in enumerate(want) if int(i) in held)
        if not known:
            return out
        ids = np.asarray([i for i, _ in known], dtype=np.int64)
        at = np.asarray([n for _, n in known], dtype=np.int64)
        lists: dict[str, np.ndarray] = {}
        for term, (_, entries) in heads.items():
            if term not in partial:
                inside = np.isin(entries[0], ids)
                lists[term] = entries[:, inside]
        got, legacy = rows.frequencies(field, ids, sorted(partial))
        lists.update(got)
        if legacy:
            self._legacy(field, partial, np.asarray(sorted(set(legacy)), np.int64), lists)
        lists = {t: e for t, e in lists.items() if e.shape[1]}
        if not lists:
            return out
        dfs = {t: df for t, (df, _) in heads.items()}
        found, scores = _scored(tokens, lists, n_docs, total, dfs)
        out[at[np.searchsorted(ids, found)]] = scores
        return out

    def _legacy(
        self, field: str, terms: set[str], ids: np.ndarray, lists: dict[str, np.ndarray]
    ) -> None:
        """Entries of `terms` for postings whose row holds no frequencies, from the blocks."""
        blocks = sorted({int(i) // BLOCK for i in ids})
        parts = repository.keyword_block_parts(self.session, self.kind, field, terms, blocks)
        self.read_bytes += sum(len(d) for _, d in parts.values())
        for term in terms:
            held = [unpack(d) for (t, _), (_, d) in sorted(parts.items()) if t == term]
            if held:
                entries = np.concatenate(held, axis=1)
                lists[term] = np.concatenate(
                    [lists[term], entries[:, np.isin(entries[0], ids)]], axis=1
                )

    def _references(
        self,
        queries: Sequence[
            tuple[str, Sequence[str], dict[str, tuple[int, np.ndarray]], set[str], tuple[int, int]]
        ],
        rows: _Terms,
    ) -> list[np.ndarray]:
        """Each query's exact scores over the postings of SAMPLE_BLOCKS id ranges spread
        evenly over the side's ids, zeros included: of each range, the ids up to where the
        first SAMPLE / SAMPLE_BLOCKS entries of every long term's block there reach. A query
        is (field, tokens, heads, the terms read from heads only, (corpus size, total
        length)); every field's block starts are one read, every range count one."""
        low, high = rows.span
        blocks = sorted({int(b) for b in np.linspace(low // BLOCK, high // BLOCK, SAMPLE_BLOCKS)})
        limit = SAMPLE // SAMPLE_BLOCKS
        parts = repository.keyword_block_starts(
            self.session, self.kind, {q[0]: q[3] for q in queries}, blocks, limit * 12
        )
        self.read_bytes += sum(len(d) for _, d in parts.values())
        ranges: list[list[tuple[int, int]]] = []
        for field, *_ in queries:
            mine = []
            for block in blocks:
                end = (block + 1) * BLOCK
                for (f, _, b), (n, data) in parts.items():
                    if f == field and b == block and n > limit:  # only its start was read
                        end = min(end, int(unpack(data)[0, -1]) + 1)
                mine.append((block * BLOCK, end))
            ranges.append(mine)
        counts = repository.keyword_doc_counts(self.session, self.kind, sum(ranges, []))
        out: list[np.ndarray] = []
        for n, (field, tokens, heads, partial, corpus) in enumerate(queries):
            mine = ranges[n]
            size = sum(counts[n * len(blocks) : (n + 1) * len(blocks)])
            lists: dict[str, np.ndarray] = {}
            for term, (_, entries) in heads.items():
                if term in partial:
                    held = [
                        unpack(d) for (f, t, _), (_, d) in parts.items() if (f, t) == (field, term)
                    ]
                    entries = np.concatenate(held, axis=1) if held else np.zeros((3, 0), np.int64)
                inside = np.zeros(entries.shape[1], dtype=bool)
                for a, z in mine:
                    inside |= (entries[0] >= a) & (entries[0] < z)
                if inside.any():
                    lists[term] = entries[:, inside]
            if not lists:
                out.append(np.zeros(size, dtype=np.float32))
                continue
            dfs = {t: df for t, (df, _) in heads.items()}
            _, scores = _scored(tokens, lists, *corpus, dfs)
            out.append(np.concatenate([scores, np.zeros(max(size - len(scores), 0), np.float32)]))
        return out

    def terms(self, ids: Collection[Any]) -> dict[Any, frozenset[str]]:
        """Each posting's word terms: from the rows this binding's searches read, the rest
        read now."""
        held = self._rows.lists["word"] if self._rows is not None else {}
        out: dict[Any, frozenset[str]] = {}
        rest: list[int] = []
        for i in (int(i) for i in ids):
            row = held.get(i)
            if row is None:
                rest.append(i)
            else:
                out[i] = frozenset(t for t in row[1].split("\n") if t)
        rows = repository.keyword_word_terms(self.session, self.kind, rest) if rest else {}
        out.update((i, frozenset(t for t in w.split("\n") if t)) for i, w in rows.items())
        return out

    def rarity(self, terms: Collection[str]) -> Rarity:
        """The terms' idf: their df from their heads (one row each, kept by every write),
        from their blocks for a term without one (indexed before the heads, or absent);
        none read when this binding's last search read them all (the query's own words)."""
        if self._words is not None and self._words[1].issuperset(terms):
            n_docs, _, known = self._words
            return TermRarity(n_docs, {t: bm25_idf(n_docs, known.get(t, 0)) for t in terms})
        n_docs, df = repository.keyword_head_df(self.session, self.kind, "word", terms)
        rest = set(terms) - set(df)
        if rest:
            df.update(repository.keyword_df(self.session, self.kind, "word", rest))
        return TermRarity(n_docs, {t: bm25_idf(n_docs, df.get(t, 0)) for t in terms})

    def holders(self, term: str) -> set[Any]:
        blocks = repository.keyword_postings(self.session, self.kind, "word", [term])
        return {int(i) for i in unpack(b"".join(blocks.get(term, [])))[0]}

    def head_holders(self, term: str) -> tuple[int, set[int]]:
        """A word term's df and the ids of its head: every holder when df ≤ HEAD, else its
        HEAD best (one row, whatever N is); a term without a head is read from its blocks."""
        heads = self._heads({"word": {term}})["word"]
        if term not in heads:
            return 0, set()
        df, entries = heads[term]
        return df, {int(i) for i in entries[0]}
