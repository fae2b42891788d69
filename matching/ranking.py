"""Hybrid ranking: dense + character and word BM25 + indicator fit + field, with reasons.

One :class:`Matcher` holds one side's corpus (needs or capabilities) and ranks it for a
query (a posting of the other side, or free text) in three steps:

1. **retrieve** (:meth:`Matcher.retrieve`): the candidate pool from the dense search, word
   BM25 and character-bigram BM25, under the caller's filter (``allowed``, ``exclude_org``);
2. **score** (:meth:`Matcher.score`): each candidate's features (:mod:`matching.features`)
   scored by a :class:`~matching.model.RankModel`: :attr:`Match.score` is the calibrated
   匹配度 (0–100, the estimated chance ×100 that the pair is relevant), :attr:`Match.parts`
   its parts (they add up to it) and :attr:`Match.band` 高 / 中 / 低; ties are broken by
   cosine, then BM25, then id;
3. **explain** (:meth:`Matcher.explain`): shared terms and reason lines, for the matches a
   caller shows only (the score does not depend on them).

:meth:`Matcher.rank` runs the three. Rankings read under a shared lock, so they never wait
for each other; adding or removing postings takes it exclusively, briefly.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from matching.bridge import ExampleBank, bank_for
from matching.docsource import DocSource, MemoryDocs
from matching.documents import Doc, normalise_field
from matching.embedders import Embedder
from matching.features import agreement, zscores
from matching.indicators import Indicator, IndicatorFit, fit, parse_text
from matching.keywords import Hits, KeywordIndex, MemoryKeywords, Rarity, keyword_tokens
from matching.lexical import Analyzer, char_ngrams, default_analyzer
from matching.model import Band, RankModel, band, default_model
from matching.reasons import reasons
from matching.retrieval import (
    AMONG,
    Among,
    ArrayVectors,
    DenseVectors,
    Keep,
    MemorySecond,
    SecondVectors,
)
from matching.rwlock import NoLock, ReadWriteLock
from matching.terms import domain_terms

__all__ = [
    "Candidates",
    "Doc",
    "Match",
    "Matcher",
    "encode_postings",
    "normalise_field",
]

DocId = int | str
Allowed = Callable[[Doc], bool] | Collection[DocId] | None
Screen = Callable[[DocId], bool]  # an id the other checks kept → may it be a candidate?


@dataclass(frozen=True)
class Match:
    """One ranked candidate with everything needed to explain it."""

    id: DocId
    score: float  # calibrated 匹配度, 0–100
    parts: dict[str, float]  # base, semantic, keyword, indicator, field: they add up to score
    cosine: float
    bm25: float
    shared_terms: tuple[str, ...]
    indicators: IndicatorFit
    same_field: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)
    features: dict[str, float] = field(default_factory=dict)  # what the model scored
    band: Band = "low"
    char_bm25: float = 0.0  # raw character-bigram BM25 (features["char"] is its z-score)


def encode_postings(embedder: Embedder, docs: Sequence[Doc], *, second: bool = False) -> np.ndarray:
    """One vector per posting: needs with the query encoder, capabilities as documents.

    The asymmetric scheme was chosen by measurement (see embedders.py). ``second``: the
    other view (needs as documents, capabilities as queries), which the ``dpass`` and
    ``dqq`` features compare (:mod:`matching.features`).
    """
    out = np.zeros((len(docs), embedder.dim), dtype=np.float32)
    needs = [i for i, d in enumerate(docs) if d.kind == "need"]
    caps = [i for i, d in enumerate(docs) if d.kind != "need"]
    as_query, as_passage = (caps, needs) if second else (needs, caps)
    if as_query:
        out[as_query] = embedder.encode_queries([docs[i].dense_text() for i in as_query])
    if as_passage:
        out[as_passage] = embedder.encode_documents([docs[i].dense_text() for i in as_passage])
    return out


@dataclass(frozen=True)
class Candidates:
    """What :meth:`Matcher.retrieve` found for one query, and what scoring reuses."""

    query: Doc | str
    qdoc: Doc | None
    qtokens: tuple[str, ...]
    qvec: np.ndarray | None
    pool: tuple[DocId, ...]
    cosines: dict[DocId, float]  # dense hits; every pooled id once the query has a vector
    word: Hits  # word BM25: the pool's scores and the corpus reference
    chars: Hits  # character-bigram BM25, the same


class Matcher:
    """Ranks one side's postings for a query posting or free text."""

    def __init__(
        self,
        embedder: Embedder | None,
        *,
        analyzer: Analyzer | None = None,
        model: RankModel | None = None,
        vectors: DenseVectors | None = None,
        pool: int = 200,
        keywords: KeywordIndex | None = None,
        docs: DocSource | None = None,
        second: SecondVectors | None = None,
        lock: bool = True,
        bridge: bool | ExampleBank = True,
    ) -> None:
        self.embedder = embedder
        # a need query's ``bridge`` feature from written example pairs (matching.bridge):
        # True: the shipped pairs under the embedder's model; False: none; or a given bank
        self.bridge = bridge
        self.analyzer = analyzer or default_analyzer()
        self.model = model or default_model()
        self.vectors: DenseVectors = vectors if vectors is not None else ArrayVectors()
        self.pool = pool
        # the postings' documents (default: all in memory; a service may read them per call)
        self.docs: DocSource = docs if docs is not None else MemoryDocs()
        # word and character-bigram BM25 (no segmentation, no dictionary)
        self.keywords: KeywordIndex = keywords if keywords is not None else MemoryKeywords()
        # each posting's second view, read for the scored candidates only (default: memory)
        self.second: SecondVectors = second if second is not None else MemorySecond()
        self._names: dict[str, str] = {}  # indicator name → canonical form
        # The in-memory parts (ArrayVectors, MemoryDocs, MemoryKeywords, MemorySecond) are
        # plain dicts and arrays: a ranking reads them under the shared side of the lock and a
        # change waits for the rankings in flight. ``lock=False`` is for parts that guard
        # themselves (the service's: a LayeredIndex swaps whole states, documents and keyword
        # lists come from the database): then no ranking holds a lock and no change waits.
        self._lock: ReadWriteLock | NoLock = ReadWriteLock() if lock else NoLock()

    def __len__(self) -> int:
        return len(self.docs)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self.docs

    # --- corpus --------------------------------------------------------------------
    def add(
        self,
        docs: Sequence[Doc],
        vectors: np.ndarray | None = None,
        second: np.ndarray | None = None,
    ) -> None:
        """Add or replace postings with their vectors (``None``: encode them here, both views)
        and their second-view vectors (given vectors without ``second``: none kept)."""
        if not docs:
            return
        if vectors is None and self.embedder:
            vectors = encode_postings(self.embedder, docs)
            second = encode_postings(self.embedder, docs, second=True)
        if vectors is None:
            vectors = np.zeros((len(docs), 0), dtype=np.float32)
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(docs), -1)
        self._add(docs, vectors if vectors.shape[1] else None)
        if second is not None and isinstance(self.second, MemorySecond):
            with self._lock.write():
                self.second.add([d.id for d in docs], np.asarray(second, dtype=np.float32))

    def add_indexed(self, docs: Sequence[Doc]) -> None:
        """Add postings whose vectors the vector store already holds (a loaded index)."""
        self._add(docs, None)

    def _add(self, docs: Sequence[Doc], vectors: np.ndarray | None) -> None:
        # Tokenise before taking the lock: rankings wait only for the bookkeeping below.
        ids = [doc.id for doc in docs]
        words: list[list[str]] = []
        chars: list[list[str]] = []
        if self.keywords.writes_here:
            for doc in docs:
                tokens, grams = keyword_tokens(self.analyzer, doc)
                words.append(tokens)
                chars.append(grams)
        with self._lock.write():
            if vectors is not None:
                self.vectors.add(ids, vectors)
            self.docs.put(docs)
            if self.keywords.writes_here:
                self.keywords.add(ids, words, chars)

    def remove(self, ids: Iterable[DocId]) -> None:
        """Drop postings (unknown ids are ignored)."""
        with self._lock.write():
            gone = self.docs.remove(ids)
            self.vectors.remove(gone)
            if isinstance(self.second, MemorySecond):
                self.second.remove(gone)
            if self.keywords.writes_here:
                self.keywords.remove(gone)

    def term_holders(self, term: str, *, keywords: KeywordIndex | None = None) -> set[DocId]:
        """Ids of the postings whose word tokens include ``term`` (a canonical token)."""
        with self._lock.read():
            return (self.keywords if keywords is None else keywords).holders(term)

    # --- ranking -------------------------------------------------------------------
    def rank(
        self,
        query: Doc | str,
        k: int = 10,
        *,
        allowed: Allowed = None,
        exclude_org: str | None = None,
        query_vector: np.ndarray | None = None,
        explain: int | None = None,
        keywords: KeywordIndex | None = None,
        docs: DocSource | None = None,
        screen: Screen | None = None,
        query_vector2: np.ndarray | None = None,
        second: SecondVectors | None = None,
    ) -> list[Match]:
        """Best ``k`` postings for ``query``, the first ``explain`` (default all) explained.

        ``allowed`` is a predicate on :class:`Doc` or a set of ids.  Postings of
        ``exclude_org`` (default: the query posting's own organisation) and the
        query posting itself are never returned. ``keywords`` reads the keyword evidence
        for this call (default: the matcher's own; the service's is bound to a session), and
        ``docs`` the documents (the same). ``screen`` is asked last about each id the other
        checks keep (a caller's filter it verifies afterwards, see :meth:`retrieve`).
        ``query_vector2`` is the query posting's second view (encoded here only when
        ``query_vector`` is too) and ``second`` reads the candidates' (default: the matcher's).
        """
        qvec = self.query_vector(query, query_vector)  # encode outside the lock
        if query_vector is None and query_vector2 is None:
            query_vector2 = self.query_vector2(query)
        with self._lock.read():
            found = self.retrieve(
                query,
                qvec,
                allowed=allowed,
                exclude_org=exclude_org,
                keywords=keywords,
                docs=docs,
                screen=screen,
            )
            ranked = self.score(found, docs=docs, second=second, qvec2=query_vector2)[:k]
            shown = len(ranked) if explain is None else explain
            qset = set(found.qtokens)
            return self._explain_all(qset, ranked[:shown], keywords, docs) + ranked[shown:]

    def retrieve(
        self,
        query: Doc | str,
        qvec: np.ndarray | None,
        *,
        allowed: Allowed,
        exclude_org: str | None,
        keywords: KeywordIndex | None = None,
        docs: DocSource | None = None,
        screen: Screen | None = None,
    ) -> Candidates:
        """Step 1: the candidate pool, ``pool`` from each of the three retrievers.

        Each retriever walks its candidates in an order that does not depend on the filter
        and keeps the first ``pool`` the filter keeps. So a ``screen`` that admits every id
        but known refusals, and proves afterwards to have admitted only ids the real filter
        allows, gives the very pool the real filter gives (the service checks a few hundred
        admitted ids instead of reading every allowed one)."""
        qdoc = query if isinstance(query, Doc) else None
        if qdoc is not None and exclude_org is None:
            exclude_org = qdoc.org
        source_docs = self.docs if docs is None else docs
        keep = self._filter(allowed, exclude_org, qdoc, source_docs, screen)
        qtokens = tuple(self.analyzer.tokens(qdoc.lexical_text() if qdoc else str(query)))
        cosines: dict[DocId, float] = {}
        if qvec is not None and len(source_docs):
            ids = None if allowed is None or callable(allowed) else allowed
            cosines = self.vectors.search(qvec, self.pool, keep, ids)
        source = self.keywords if keywords is None else keywords
        word, chars = source.search(qtokens, _char_query(query), keep, self.pool)
        pool = list(dict.fromkeys([*cosines, *word.top, *chars.top]))
        if qvec is not None and pool:
            # rounded later: the same pair scores the same whatever else is in the pool
            for i, c in zip(pool, self.vectors.vectors(pool) @ qvec, strict=True):
                cosines[i] = float(c)
        return Candidates(query, qdoc, qtokens, qvec, tuple(pool), cosines, word, chars)

    def score(
        self,
        found: Candidates,
        *,
        docs: DocSource | None = None,
        second: SecondVectors | None = None,
        qvec2: np.ndarray | None = None,
    ) -> list[Match]:
        """Step 2: features and calibrated score of every candidate, best first (unexplained).

        ``qvec2`` is the query posting's second view and ``second`` reads the candidates'
        (default: the matcher's store)."""
        pool, qdoc = found.pool, found.qdoc
        if not pool:
            return []
        source_docs = self.docs if docs is None else docs
        free_reqs = parse_text(str(found.query), require_comparator=True) if qdoc is None else []
        if qdoc is None and not free_reqs:
            # free text without a requirement: no indicator to check, no field to share, so
            # nothing of the candidates is read but whether they are still held
            held: dict[DocId, Doc | None] = dict.fromkeys(i for i in pool if i in source_docs)
        else:
            held = dict(source_docs.many(pool))
        pool = tuple(i for i in pool if i in held)  # (one removed since it was retrieved)
        if not pool:
            return []
        cos = np.array([found.cosines.get(i, 0.0) for i in pool], dtype=np.float64)
        word_raw = found.word.scores(pool)
        char_raw = found.chars.scores(pool)
        has_docs = len(source_docs) > 0
        dense = self._dense_z(cos, found.qvec, has_docs) if found.cosines else np.zeros_like(cos)
        word = zscores(word_raw, found.word.reference)
        char = zscores(char_raw, found.chars.reference)
        views = self._need_views(found, pool, self.second if second is None else second, qvec2)
        # Python floats of the arrays' values, taken in one step each (the same values as
        # float() of each element)
        dense_of, char_of, word_of = dense.tolist(), char.tolist(), word.tolist()
        cos_of, word_raw_of = cos.tolist(), np.asarray(word_raw).tolist()
        char_raw_of = np.asarray(char_raw).tolist()
        no_fit = IndicatorFit()  # frozen: one for every candidate without a document
        out: list[Match] = []
        for n, doc_id in enumerate(pool):
            doc = held[doc_id]
            ind = no_fit if doc is None else self._indicator_fit(qdoc, doc, free_reqs)
            same = bool(qdoc and doc and qdoc.field_code and qdoc.field_code == doc.field_code)
            # rounded: the same pair scores the same whatever else is in the pool (BLAS
            # rounding of the cosines depends on the batch)
            d, c = round(dense_of[n], 6), round(char_of[n], 6)
            features = {
                "dense": d,
                "char": c,
                "word": round(word_of[n], 6),
                "agree": agreement(d, c),
                "indicator": ind.score,
                "field": float(same),
            }
            for name, values in views.items():
                if doc_id in values:
                    features[name] = values[doc_id]
            score, parts = self.model.score(features)
            out.append(
                Match(
                    id=doc_id,
                    score=score,
                    parts=parts,
                    cosine=cos_of[n],
                    bm25=word_raw_of[n],
                    shared_terms=(),
                    indicators=ind,
                    same_field=same,
                    features=features,
                    band=band(score),
                    char_bm25=char_raw_of[n],
                )
            )
        out.sort(key=lambda m: (-m.score, -m.cosine, -m.bm25, str(m.id)))
        return out

    def explain(
        self,
        query: Doc | str,
        matches: Sequence[Match],
        *,
        keywords: KeywordIndex | None = None,
        docs: DocSource | None = None,
    ) -> list[Match]:
        """Step 3: shared terms and reason lines of ``matches`` (ranked for ``query``)."""
        text = query.lexical_text() if isinstance(query, Doc) else str(query)
        qset = set(self.analyzer.tokens(text))
        with self._lock.read():
            return self._explain_all(qset, matches, keywords, docs)

    def _explain_all(
        self,
        qset: set[str],
        matches: Sequence[Match],
        keywords: KeywordIndex | None,
        docs: DocSource | None = None,
    ) -> list[Match]:
        if not matches:
            return []
        source = self.keywords if keywords is None else keywords
        source_docs = self.docs if docs is None else docs
        present = [m.id for m in matches if m.id in source_docs]
        fields = source_docs.many([m.id for m in matches if m.same_field and m.id in present])
        held = source.terms(present)
        rarity = source.rarity(qset)
        kept = set(present)
        out: list[Match] = []
        for match in matches:
            if match.id not in kept:  # removed since it was ranked
                out.append(match)
                continue
            shared = self._shared_terms(qset, held.get(match.id, frozenset()), rarity)
            doc = fields.get(match.id)
            field_code = doc.field_code if match.same_field and doc is not None else None
            lines = reasons(shared, match.indicators, field_code, match.parts)
            out.append(replace(match, shared_terms=shared, reasons=lines))
        return out

    def _filter(
        self,
        allowed: Allowed,
        exclude_org: str | None,
        query: Doc | None,
        docs: DocSource,
        screen: Screen | None = None,
    ) -> Keep:
        def keep(doc_id: DocId) -> bool:
            entry = docs.entry(doc_id)
            if entry is None:
                return False
            org, kind = entry
            # Needs and capabilities have separate id sequences: "itself" means same kind too.
            if query is not None and doc_id == query.id and kind == query.kind:
                return False
            if exclude_org is not None and org == exclude_org:
                return False
            if allowed is None:
                pass
            elif callable(allowed):
                doc = docs.get(doc_id)
                if doc is None or not allowed(doc):
                    return False
            elif doc_id not in allowed:
                return False
            return screen is None or screen(doc_id)

        if allowed is not None and not callable(allowed) and len(allowed) <= AMONG:
            return Among(keep, allowed)  # a pair, a handful: the retrievers look at these only
        return keep

    def query_vector(self, query: Doc | str, given: np.ndarray | None = None) -> np.ndarray | None:
        """The query's vector: ``given``, else encoded (None for a lexical-only corpus)."""
        if self.vectors.dim == 0:
            return None  # a lexical-only corpus
        if given is not None:
            return np.asarray(given, dtype=np.float32).reshape(-1)
        if self.embedder is None:
            return None
        if isinstance(query, Doc):
            return encode_postings(self.embedder, [query])[0]
        return self.embedder.encode_queries([query])[0]

    def query_vector2(self, query: Doc | str) -> np.ndarray | None:
        """A need query's second view, encoded (None when no second view is used for it)."""
        if self.vectors.dim == 0 or self.embedder is None or not isinstance(query, Doc):
            return None
        if not _two_views(query):
            return None
        return encode_postings(self.embedder, [query], second=True)[0]

    def _need_views(
        self,
        found: Candidates,
        pool: Sequence[DocId],
        second: SecondVectors,
        qvec2: np.ndarray | None,
    ) -> dict[str, dict[DocId, float]]:
        """The features only a need query has, for the pooled capabilities, each a cosine
        z-scored against the same vector's cosines to a corpus sample:

        - ``dpass``: the need's second view (as a passage) against each capability's vector;
        - ``dqq``: the need's vector (as a query) against each capability's second view (as a
          query), for the capabilities that have one;
        - ``bridge``: the need's bridge vector (:mod:`matching.bridge`) against each
          capability's vector.

        Other queries get none (:data:`SECOND_VIEW_QUERIES`), so the model's fallback scores
        them."""
        qdoc, qvec = found.qdoc, found.qvec
        if not _two_views(qdoc) or qvec is None or not pool:
            return {}
        out: dict[str, dict[DocId, float]] = {}
        firsts = self.vectors.vectors(pool)
        sample = self.vectors.reference()
        if qvec2 is not None:
            out["dpass"] = _zmap(pool, firsts @ qvec2, sample @ qvec2)
        bank = bank_for(self.embedder) if self.bridge is True else self.bridge or None
        if bank is not None and bank.needs.shape[1] == len(qvec):
            toward = bank.toward(qvec)
            out["bridge"] = _zmap(pool, firsts @ toward, sample @ toward)
        reference = second.reference()  # first: without one, the pool's are not read
        held = second.many(pool) if reference.shape[0] >= 2 else {}
        if held and reference.shape[1] == len(qvec):
            ids = [i for i in pool if i in held]
            raw = np.stack([held[i] for i in ids]).astype(np.float32) @ qvec
            out["dqq"] = _zmap(ids, raw, reference @ qvec)
        return out

    def _dense_z(self, pool_cos: np.ndarray, qvec: np.ndarray | None, has_docs: bool) -> np.ndarray:
        """Pool cosines as z-scores against the query's cosines to a corpus sample."""
        if qvec is None or not has_docs:
            return zscores(pool_cos, pool_cos)
        return zscores(pool_cos, self.vectors.reference() @ qvec)

    def _indicator_fit(
        self, qdoc: Doc | None, doc: Doc, free_reqs: Sequence[Indicator]
    ) -> IndicatorFit:
        """Requirements always come from the need side of the pair."""
        canon = self._canonical_name
        if qdoc is None:
            if doc.kind == "need":
                return IndicatorFit()
            return fit(free_reqs, doc.parsed_indicators(), canon)
        if qdoc.kind == "need" and doc.kind != "need":
            return fit(qdoc.parsed_indicators(), doc.parsed_indicators(), canon)
        if qdoc.kind != "need" and doc.kind == "need":
            return fit(doc.parsed_indicators(), qdoc.parsed_indicators(), canon)
        return IndicatorFit()

    def _canonical_name(self, name: str) -> str:
        canonical = self._names.get(name)
        if canonical is None:
            canonical = self._names[name] = self.analyzer.canonical_text(name)
        return canonical

    def _shared_terms(
        self, qset: set[str], held: frozenset[str], rarity: Rarity, limit: int = 8
    ) -> tuple[str, ...]:
        """Shared tokens, rarest first (rarity = BM25 idf over this corpus).

        Pieces of a longer shared term (碳化 inside 碳化硅) are left out.
        """
        common = domain_terms(qset.intersection(held), rarity)
        common = {t for t in common if not any(t != o and t in o for o in common)}
        ranked = sorted(common, key=lambda t: (-rarity.idf(t), t))
        return tuple(self.analyzer.display(t) for t in ranked[:limit])


# Query kinds scored with the second dense view and the bridge. Capability → need is not:
# with the second view, every rank model measured lowered jiebang-dev's capability → need
# ranking held out (0.923 → 0.909–0.920) and eval/'s did not rise (matching/RESULTS.md,
# session 11), and the example pairs bridge from a need to a capability only; so a
# capability query's pairs are scored by the model's fallback, which has neither.
SECOND_VIEW_QUERIES = frozenset({"need"})


def _zmap(ids: Sequence[DocId], raw: np.ndarray, reference: np.ndarray) -> dict[DocId, float]:
    """Each id's cosine as a z-score against ``reference`` (rounded, as every feature)."""
    z = zscores(np.asarray(raw, dtype=np.float64), reference)
    return {i: round(float(v), 6) for i, v in zip(ids, z, strict=True)}


def _two_views(query: Doc | str | None) -> bool:
    return isinstance(query, Doc) and query.kind in SECOND_VIEW_QUERIES


def _char_query(query: Doc | str) -> list[str]:
    return char_ngrams(query.char_text() if isinstance(query, Doc) else query)
