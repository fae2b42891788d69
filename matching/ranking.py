"""Hybrid ranking: dense + character and word BM25 + indicator fit + field, with reasons.

One :class:`Matcher` holds one side's corpus (needs or capabilities).  For a
query (a posting of the other side, or free text) it gathers candidates from
the dense search, from word BM25 and from character-bigram BM25, computes each
candidate's features (:mod:`matching.features`) and scores them with a
:class:`~matching.model.RankModel`: :attr:`Match.score` is the calibrated
匹配度 (0–100, the estimated chance ×100 that the pair is relevant),
:attr:`Match.parts` its parts (they add up to it) and :attr:`Match.band`
高 / 中 / 低.  Ties are broken by cosine, then BM25, then id.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from matching.documents import Doc, normalise_field
from matching.embedders import Embedder
from matching.features import agreement, reference_sample, zscores
from matching.indicators import Indicator, IndicatorFit, fit, parse_text
from matching.lexical import Analyzer, BM25Index, char_ngrams, default_analyzer
from matching.model import Band, RankModel, band, default_model
from matching.reasons import reasons
from matching.terms import domain_terms

__all__ = [
    "DenseSearch",
    "Doc",
    "Match",
    "Matcher",
    "encode_postings",
    "normalise_field",
]

DocId = int | str
# (query vector, k) → [(doc id, cosine)], best first; e.g. a FAISS index's search.
DenseSearch = Callable[[np.ndarray, int], Sequence[tuple[DocId, float]]]
Allowed = Callable[[Doc], bool] | Collection[DocId] | None


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


def encode_postings(embedder: Embedder, docs: Sequence[Doc]) -> np.ndarray:
    """One vector per posting: needs with the query encoder, capabilities as documents.

    The asymmetric scheme was chosen by measurement (see embedders.py).
    """
    out = np.zeros((len(docs), embedder.dim), dtype=np.float32)
    needs = [i for i, d in enumerate(docs) if d.kind == "need"]
    caps = [i for i, d in enumerate(docs) if d.kind != "need"]
    if needs:
        out[needs] = embedder.encode_queries([docs[i].dense_text() for i in needs])
    if caps:
        out[caps] = embedder.encode_documents([docs[i].dense_text() for i in caps])
    return out


class Matcher:
    """Ranks one side's postings for a query posting or free text."""

    def __init__(
        self,
        embedder: Embedder | None,
        *,
        analyzer: Analyzer | None = None,
        model: RankModel | None = None,
        dense_search: DenseSearch | None = None,
        pool: int = 200,
    ) -> None:
        self.embedder = embedder
        self.analyzer = analyzer or default_analyzer()
        self.model = model or default_model()
        self.dense_search = dense_search
        self.pool = pool
        self.docs: dict[DocId, Doc] = {}
        self._tokens: dict[DocId, list[str]] = {}
        self._bm25 = BM25Index()
        self._char_tokens: dict[DocId, list[str]] = {}
        self._chars = BM25Index()  # character bigrams: no segmentation, no dictionary
        self._sample: np.ndarray | None = None  # rows the dense reference is taken from
        # last scores per index: the candidate step and the features reuse them
        self._memo: dict[int, tuple[tuple[str, ...], np.ndarray]] = {}
        self._row: dict[DocId, int] = {}
        self._ids: list[DocId | None] = []
        self._buffer = np.zeros((0, 0), dtype=np.float32)  # grows by doubling
        self._names: dict[str, str] = {}  # indicator name → canonical form
        self._lock = threading.RLock()  # API threads rank while a worker adds

    @property
    def _vectors(self) -> np.ndarray:
        return self._buffer[: len(self._ids)]

    def __len__(self) -> int:
        return len(self.docs)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self.docs

    # --- corpus --------------------------------------------------------------------
    def add(self, docs: Sequence[Doc], vectors: np.ndarray | None = None) -> None:
        """Add or replace postings; ``vectors`` (one row each) skips re-encoding."""
        if not docs:
            return
        if vectors is None:
            vectors = (
                encode_postings(self.embedder, docs)
                if self.embedder
                else np.zeros((len(docs), 0), dtype=np.float32)
            )
        with self._lock:
            self._add(docs, vectors)

    def _add(self, docs: Sequence[Doc], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(docs), -1)
        if self._ids and vectors.shape[1] != self._buffer.shape[1]:
            raise ValueError(f"vector dimension {vectors.shape[1]} != {self._buffer.shape[1]}")
        self._remove([doc.id for doc in docs])
        start = len(self._ids)
        self._reserve(start + len(docs), vectors.shape[1])
        self._buffer[start : start + len(docs)] = vectors
        for offset, doc in enumerate(docs):
            self.docs[doc.id] = doc
            self._row[doc.id] = start + offset
            self._ids.append(doc.id)
            tokens = self.analyzer.tokens(doc.lexical_text())
            self._tokens[doc.id] = tokens
            self._bm25.add(doc.id, tokens)
            chars = char_ngrams(doc.char_text())
            self._char_tokens[doc.id] = chars
            self._chars.add(doc.id, chars)
        self._sample = None
        self._memo.clear()

    def _reserve(self, rows: int, dim: int) -> None:
        if self._buffer.shape[1] != dim:
            self._buffer = np.zeros((0, dim), dtype=np.float32)
        if rows > self._buffer.shape[0]:
            grown = np.zeros((max(rows, 2 * self._buffer.shape[0], 64), dim), dtype=np.float32)
            grown[: len(self._ids)] = self._vectors
            self._buffer = grown

    def remove(self, ids: Iterable[DocId]) -> None:
        """Drop postings (unknown ids are ignored)."""
        with self._lock:
            self._remove(ids)

    def _remove(self, ids: Iterable[DocId]) -> None:
        for doc_id in ids:
            if doc_id not in self.docs:
                continue
            del self.docs[doc_id]
            del self._tokens[doc_id]
            del self._char_tokens[doc_id]
            self._ids[self._row.pop(doc_id)] = None
            self._bm25.remove(doc_id)
            self._chars.remove(doc_id)
            self._sample = None
        self._memo.clear()
        if len(self._ids) > 2 * len(self.docs) + 1024:
            self._compact()

    def _compact(self) -> None:
        """Drop the rows of removed postings (vectors and BM25 postings)."""
        live = [r for r, i in enumerate(self._ids) if i is not None]
        ids = [self._ids[r] for r in live]
        self._buffer = self._vectors[live].copy()
        self._ids = list(ids)
        self._row = {i: n for n, i in enumerate(ids) if i is not None}
        self._bm25 = BM25Index(self._bm25.k1, self._bm25.b)
        self._chars = BM25Index(self._chars.k1, self._chars.b)
        for doc_id in self._row:
            self._bm25.add(doc_id, self._tokens[doc_id])
            self._chars.add(doc_id, self._char_tokens[doc_id])
        self._sample = None
        self._memo.clear()

    # --- ranking -------------------------------------------------------------------
    def rank(
        self,
        query: Doc | str,
        k: int = 10,
        *,
        allowed: Allowed = None,
        exclude_org: str | None = None,
        query_vector: np.ndarray | None = None,
    ) -> list[Match]:
        """Best ``k`` postings for ``query``.

        ``allowed`` is a predicate on :class:`Doc` or a set of ids.  Postings of
        ``exclude_org`` (default: the query posting's own organisation) and the
        query posting itself are never returned.
        """
        qdoc = query if isinstance(query, Doc) else None
        qvec = self._query_vector(query, query_vector)  # encode outside the lock
        with self._lock:
            if qdoc is not None and exclude_org is None:
                exclude_org = qdoc.org
            keep = self._filter(allowed, exclude_org, qdoc)
            qtokens = self.analyzer.tokens(qdoc.lexical_text() if qdoc else str(query))
            cosines = self._dense_candidates(qvec, keep)
            bm25 = {
                cast(DocId, i): s
                for i, s in self._bm25.score_map(qtokens).items()
                if keep(cast(DocId, i))
            }
            top_kw = sorted(bm25, key=bm25.__getitem__, reverse=True)[: self.pool]
            pool = list(dict.fromkeys([*cosines, *top_kw, *self._char_pool(query, keep)]))
            if not pool:
                return []
            if qvec is not None:
                rows = [self._row[i] for i in pool]
                for i, c in zip(pool, self._vectors[rows] @ qvec, strict=True):
                    cosines[i] = float(c)
            matches = self._score(query, qdoc, qtokens, pool, cosines, bm25, qvec=qvec)
            matches.sort(key=lambda m: (-m.score, -m.cosine, -m.bm25, str(m.id)))
            return matches[:k]

    def _char_pool(self, query: Doc | str, keep: Callable[[DocId], bool]) -> list[DocId]:
        """The ``pool`` best kept postings by character-bigram BM25 (score > 0), best first."""
        scores = self._scores(self._chars, _char_query(query))
        hits = np.flatnonzero(scores > 0)
        take = min(len(hits), 4 * self.pool)
        while True:
            if take < len(hits):
                hits_top = hits[np.argpartition(-scores[hits], take - 1)[:take]]
            else:
                hits_top = hits
            order = hits_top[np.lexsort((hits_top, -scores[hits_top]))]
            out = [cast(DocId, self._chars.ids[r]) for r in order]
            out = [i for i in out if keep(i)][: self.pool]
            if len(out) >= self.pool or take >= len(hits):
                return out
            take = min(len(hits), 4 * take)  # the filter dropped too many: look deeper

    def _filter(
        self, allowed: Allowed, exclude_org: str | None, query: Doc | None
    ) -> Callable[[DocId], bool]:
        def keep(doc_id: DocId) -> bool:
            doc = self.docs.get(doc_id)
            if doc is None:
                return False
            # Needs and capabilities have separate id sequences: "itself" means same kind too.
            if query is not None and doc_id == query.id and doc.kind == query.kind:
                return False
            if exclude_org is not None and doc.org == exclude_org:
                return False
            if allowed is None:
                return True
            if callable(allowed):
                return bool(allowed(doc))
            return doc_id in allowed

        return keep

    def _query_vector(self, query: Doc | str, given: np.ndarray | None) -> np.ndarray | None:
        if self._buffer.shape[1] == 0:
            return None  # a lexical-only corpus
        if given is not None:
            return np.asarray(given, dtype=np.float32).reshape(-1)
        if self.embedder is None:
            return None
        if isinstance(query, Doc):
            return encode_postings(self.embedder, [query])[0]
        return self.embedder.encode_queries([query])[0]

    def _dense_candidates(
        self, qvec: np.ndarray | None, keep: Callable[[DocId], bool]
    ) -> dict[DocId, float]:
        if qvec is None:
            return {}
        if self.dense_search is not None:
            hits = self.dense_search(qvec, self.pool)
            return {i: float(s) for i, s in hits if i in self.docs and keep(i)}
        if not self._ids:
            return {}
        sims = self._vectors @ qvec
        out: dict[DocId, float] = {}
        for row in np.argsort(-sims):  # best first; stop once the pool is full
            doc_id = self._ids[row]
            if doc_id is not None and keep(doc_id):
                out[doc_id] = float(sims[row])
                if len(out) >= self.pool:
                    break
        return out

    def _score(
        self,
        query: Doc | str,
        qdoc: Doc | None,
        qtokens: Sequence[str],
        pool: Sequence[DocId],
        cosines: dict[DocId, float],
        bm25: dict[DocId, float],
        *,
        qvec: np.ndarray | None = None,
    ) -> list[Match]:
        """Features and calibrated score of every pooled posting (``qvec``: the query vector,
        for the dense reference; without it the pool's cosines are the reference)."""
        cos = np.array([cosines.get(i, 0.0) for i in pool], dtype=np.float64)
        kw = np.array([bm25.get(i, 0.0) for i in pool], dtype=np.float64)
        dense = self._dense_z(cos, qvec) if cosines else np.zeros_like(cos)
        char_raw, char = self._lexical_z(self._chars, _char_query(query), pool)
        _, word = self._lexical_z(self._bm25, qtokens, pool)
        free_reqs = parse_text(str(query), require_comparator=True) if qdoc is None else []
        qset = set(qtokens)
        out: list[Match] = []
        for n, doc_id in enumerate(pool):
            doc = self.docs[doc_id]
            ind = self._indicator_fit(qdoc, doc, free_reqs)
            same = bool(qdoc and qdoc.field_code and qdoc.field_code == doc.field_code)
            # rounded: the same pair scores the same whatever else is in the pool (BLAS
            # rounding of the cosines depends on the batch)
            d, c = round(float(dense[n]), 6), round(float(char[n]), 6)
            features = {
                "dense": d,
                "char": c,
                "word": round(float(word[n]), 6),
                "agree": agreement(d, c),
                "indicator": ind.score,
                "field": float(same),
            }
            score, parts = self.model.score(features)
            shared = self._shared_terms(qset, doc_id)
            out.append(
                Match(
                    id=doc_id,
                    score=score,
                    parts=parts,
                    cosine=float(cos[n]),
                    bm25=float(kw[n]),
                    shared_terms=shared,
                    indicators=ind,
                    same_field=same,
                    reasons=reasons(shared, ind, doc.field_code if same else None, parts),
                    features=features,
                    band=band(score),
                    char_bm25=float(char_raw[n]),
                )
            )
        return out

    def _scores(self, index: BM25Index, tokens: Sequence[str]) -> np.ndarray:
        """``index.scores(tokens)``, remembered until the next query or corpus change."""
        key = tuple(tokens)
        hit = self._memo.get(id(index))
        if hit is None or hit[0] != key:
            hit = (key, index.scores(tokens))
            self._memo[id(index)] = hit
        return hit[1]

    def _dense_z(self, pool_cos: np.ndarray, qvec: np.ndarray | None) -> np.ndarray:
        """Pool cosines as z-scores against the query's cosines to a corpus sample."""
        if qvec is None or not self.docs:
            return zscores(pool_cos, pool_cos)
        if self._sample is None:
            live = np.array([r for r, i in enumerate(self._ids) if i is not None], dtype=int)
            self._sample = reference_sample(live)
        return zscores(pool_cos, self._vectors[self._sample] @ qvec)

    def _lexical_z(
        self, index: BM25Index, tokens: Sequence[str], pool: Sequence[DocId]
    ) -> tuple[np.ndarray, np.ndarray]:
        """BM25 of the pool, raw and as z-scores against the query's scores over the corpus."""
        scores = self._scores(index, tokens)
        raw = scores[index.rows(pool)]
        return raw, zscores(raw, scores[index.alive()])

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
        if name not in self._names:
            self._names[name] = self.analyzer.canonical_text(name)
        return self._names[name]

    def _shared_terms(self, qset: set[str], doc_id: DocId, limit: int = 8) -> tuple[str, ...]:
        """Shared tokens, rarest first (rarity = BM25 idf over this corpus).

        Pieces of a longer shared term (碳化 inside 碳化硅) are left out.
        """
        common = domain_terms(qset.intersection(self._tokens[doc_id]), self._bm25)
        common = {t for t in common if not any(t != o and t in o for o in common)}
        ranked = sorted(common, key=lambda t: (-self._bm25.idf(t), t))
        return tuple(self.analyzer.display(t) for t in ranked[:limit])


def _char_query(query: Doc | str) -> list[str]:
    return char_ngrams(query.char_text() if isinstance(query, Doc) else query)
