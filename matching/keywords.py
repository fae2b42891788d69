"""Where a :class:`~matching.ranking.Matcher` reads its keyword evidence from.

Two retrievers score a query's tokens with Okapi BM25: ``word`` (rjieba tokens with the
term dictionary and synonyms) and ``char`` (character bigrams, no dictionary). A
:class:`KeywordIndex` answers, for one query, per retriever:

- the ``pool`` best kept ids with their scores (:attr:`Hits.top`),
- the score of any given id (:meth:`Hits.scores`: a pool found by another retriever),
- the reference the pool's scores are standardised against (:attr:`Hits.reference`: the
  query's score over every indexed posting, zeros included),

and, for explanations, the word tokens of given postings, the idf of given terms
(:meth:`KeywordIndex.rarity`) and the holders of a term.

:class:`MemoryKeywords` keeps two :class:`~matching.lexical.BM25Index` in this process (the
library, ``jiebang eval``). The service's implementation reads tables that every process
shares (``service/engine/keywords.py``); it must give the same values, which
:func:`sparse_scores` makes easy: it is the arithmetic of :meth:`BM25Index.scores` over
postings read from anywhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, cast

import numpy as np

from matching.documents import Doc
from matching.lexical import Analyzer, BM25Index, char_ngrams
from matching.retrieval import Keep, best_rows, narrowed

__all__ = [
    "K1",
    "B",
    "ArrayHits",
    "Hits",
    "KeywordIndex",
    "MemoryKeywords",
    "Rarity",
    "Retriever",
    "TermRarity",
    "bm25_idf",
    "keyword_tokens",
    "sparse_scores",
]

DocId = int | str
Retriever = Literal["word", "char"]
K1, B = 1.2, 0.75  # BM25Index's defaults: every implementation uses these


def keyword_tokens(analyzer: Analyzer, doc: Doc) -> tuple[list[str], list[str]]:
    """A posting's word tokens and character bigrams: what every keyword index stores."""
    return analyzer.tokens(doc.lexical_text()), char_ngrams(doc.char_text())


def bm25_idf(n_docs: int, df: int) -> float:
    """Robertson–Spärck Jones idf, as :meth:`BM25Index.idf`."""
    return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))


class Hits(Protocol):
    """One retriever's answer for one query."""

    @property
    def top(self) -> Sequence[DocId]:
        """The ``pool`` best kept ids (score > 0), best first, ties in index order."""
        ...

    @property
    def reference(self) -> np.ndarray:
        """The query's score of every indexed posting (what pool scores are z-scored against)."""
        ...

    def scores(self, ids: Sequence[DocId]) -> np.ndarray:
        """Raw BM25 of ``ids`` (float32; 0 for a posting without any query term)."""
        ...


class Rarity(Protocol):
    def __len__(self) -> int: ...

    def idf(self, term: str) -> float: ...


@dataclass(frozen=True)
class TermRarity:
    """Corpus size and the idf of some terms (:func:`matching.terms.domain_terms` reads it)."""

    n_docs: int
    idfs: Mapping[str, float]

    def __len__(self) -> int:
        return self.n_docs

    def idf(self, term: str) -> float:
        return self.idfs.get(term, bm25_idf(self.n_docs, 0))


class KeywordIndex(Protocol):
    """The keyword side of one corpus (needs or capabilities)."""

    @property
    def writes_here(self) -> bool:
        """True when :meth:`add` and :meth:`remove` maintain the index; False when it is
        written elsewhere (the service writes it beside the posting's vector) and they do
        nothing."""
        ...

    def add(
        self, ids: Sequence[DocId], words: Sequence[list[str]], chars: Sequence[list[str]]
    ) -> None:
        """Index postings by their tokens (:func:`keyword_tokens`); re-adding replaces."""
        ...

    def remove(self, ids: Collection[DocId]) -> None: ...

    def search(
        self, words: Sequence[str], chars: Sequence[str], keep: Keep, pool: int
    ) -> tuple[Hits, Hits]:
        """The word and the character retriever's hits for a query's tokens."""
        ...

    def terms(self, ids: Collection[DocId]) -> dict[DocId, frozenset[str]]:
        """The word tokens of indexed postings (unknown ids are left out)."""
        ...

    def rarity(self, terms: Collection[str]) -> Rarity:
        """The corpus size and the word idf of ``terms``."""
        ...

    def holders(self, term: str) -> set[DocId]:
        """Ids of the postings whose word tokens include ``term``."""
        ...


@dataclass(frozen=True)
class ArrayHits:
    """Hits over a dense score array (one value per row of the index, removed rows 0)."""

    top: tuple[DocId, ...]
    reference: np.ndarray
    all_scores: np.ndarray
    row_of: Callable[[Iterable[DocId]], list[int]]

    def scores(self, ids: Sequence[DocId]) -> np.ndarray:
        return self.all_scores[self.row_of(ids)]


def _array_hits(index: BM25Index, tokens: Sequence[str], keep: Keep, pool: int) -> ArrayHits:
    scores = index.scores(tokens)
    top = best_rows(narrowed(scores, index.ids, keep), index.ids, keep, pool)
    return ArrayHits(tuple(top), scores[index.alive()], scores, index.rows)


class MemoryKeywords:
    """Both BM25 indexes in this process's memory (the library and ``jiebang eval``)."""

    writes_here = True

    def __init__(self, k1: float = K1, b: float = B) -> None:
        self._words = BM25Index(k1, b)
        self._chars = BM25Index(k1, b)
        self._tokens: dict[DocId, list[str]] = {}
        self._grams: dict[DocId, list[str]] = {}

    def __len__(self) -> int:
        return len(self._tokens)

    def add(
        self, ids: Sequence[DocId], words: Sequence[list[str]], chars: Sequence[list[str]]
    ) -> None:
        for doc_id, tokens, grams in zip(ids, words, chars, strict=True):
            self._tokens[doc_id] = tokens
            self._words.add(doc_id, tokens)
            self._grams[doc_id] = grams
            self._chars.add(doc_id, grams)
        self._compact_if_sparse()

    def remove(self, ids: Collection[DocId]) -> None:
        for doc_id in ids:
            if self._tokens.pop(doc_id, None) is None:
                continue
            del self._grams[doc_id]
            self._words.remove(doc_id)
            self._chars.remove(doc_id)
        self._compact_if_sparse()

    def rows(self) -> int:
        """Rows held, removed ones included (compaction drops them)."""
        return len(self._words.ids)

    def _compact_if_sparse(self) -> None:
        """Rebuild both indexes once removed rows outnumber live ones (re-adds leave one)."""
        if len(self._words.ids) <= 2 * len(self._tokens) + 1024:
            return
        self._words = BM25Index(self._words.k1, self._words.b)
        self._chars = BM25Index(self._chars.k1, self._chars.b)
        for doc_id, tokens in self._tokens.items():
            self._words.add(doc_id, tokens)
            self._chars.add(doc_id, self._grams[doc_id])

    def search(
        self, words: Sequence[str], chars: Sequence[str], keep: Keep, pool: int
    ) -> tuple[Hits, Hits]:
        return _array_hits(self._words, words, keep, pool), _array_hits(
            self._chars, chars, keep, pool
        )

    def terms(self, ids: Collection[DocId]) -> dict[DocId, frozenset[str]]:
        return {i: frozenset(self._tokens[i]) for i in ids if i in self._tokens}

    def rarity(self, terms: Collection[str]) -> Rarity:
        return self._words

    def holders(self, term: str) -> set[DocId]:
        return {cast(DocId, i) for i in self._words.holders(term)}


def sparse_scores(
    terms: Sequence[str],
    postings: Mapping[str, tuple[np.ndarray, np.ndarray]],
    lengths: np.ndarray,
    n_docs: int,
    total_len: int,
    k1: float = K1,
    b: float = B,
    dfs: Mapping[str, int] | None = None,
) -> np.ndarray:
    """BM25 of the rows of ``lengths`` for query ``terms``, as :meth:`BM25Index.scores` does.

    ``postings[term]`` is (rows into ``lengths``, term frequencies); a term's df is its
    number of postings, or ``dfs[term]`` when given (postings of some rows only). The
    arithmetic (float32, distinct terms in ``set(terms)`` order) is
    that of :meth:`BM25Index.scores`, so both give the same values to the last bit.
    """
    out = np.zeros(len(lengths), dtype=np.float32)
    if not n_docs:
        return out
    avg = max(total_len / n_docs, 1.0)
    norm = k1 * (1.0 - b + b * np.asarray(lengths, dtype=np.float32) / avg)
    for term in set(terms):
        found = postings.get(term)
        if found is None or not len(found[0]):
            continue
        rows, tfs = found
        tfs = np.asarray(tfs, dtype=np.float32)
        idf = bm25_idf(n_docs, len(rows) if dfs is None else dfs[term])
        out[rows] += idf * tfs * (k1 + 1.0) / (tfs + norm[rows])
    return out
