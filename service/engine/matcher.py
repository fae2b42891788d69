"""The library's `Matcher` with a keyword step that scales to 10^5 postings per side.

`Matcher.rank` turns every BM25 hit into a Python dict entry and filters and sorts them all,
which is O(corpus) Python work per query once common terms occur in most postings. Here
the keyword pool comes from the BM25 score array with `argpartition`, and only the best
rows are run through the filter; and the explanation (shared terms, reasons), which the
score does not use, is computed for the returned matches only instead of the whole pool.
Reason lines are `matching.reasons` (Chinese, no raw similarities).
Scores, fusion and shared terms are the library's own (same pool, same numbers), so the
measured quality is unchanged (tests/service/engine/test_matcher.py).
"""

import dataclasses
from collections.abc import Callable
from typing import cast

import numpy as np

from matching.documents import Doc
from matching.ranking import Allowed, DocId, Match, Matcher
from matching.reasons import reasons


class PoolMatcher(Matcher):
    def rank(
        self,
        query: Doc | str,
        k: int = 10,
        *,
        allowed: Allowed = None,
        exclude_org: str | None = None,
        query_vector: np.ndarray | None = None,
    ) -> list[Match]:
        qdoc = query if isinstance(query, Doc) else None
        qvec = self._query_vector(query, query_vector)  # encode outside the lock
        with self._lock:
            if qdoc is not None and exclude_org is None:
                exclude_org = qdoc.org
            keep = self._filter(allowed, exclude_org, qdoc)
            qtokens = self.analyzer.tokens(qdoc.lexical_text() if qdoc else str(query))
            cosines = self._dense_candidates(qvec, keep)
            scores = self._bm25.scores(qtokens)
            top_kw = self._keyword_pool(scores, keep)
            pool = list(dict.fromkeys([*cosines, *top_kw, *self._char_pool(query, keep)]))
            if not pool:
                return []
            rows = self._bm25._row
            bm25 = {i: float(scores[rows[i]]) for i in pool if i in rows}
            if qvec is not None:
                vec_rows = [self._row[i] for i in pool]
                for i, c in zip(pool, self._vectors[vec_rows] @ qvec, strict=True):
                    cosines[i] = float(c)
            self._explaining = False  # the pool's scores do not depend on the explanation
            try:
                matches = self._score(query, qdoc, qtokens, pool, cosines, bm25, qvec=qvec)
            finally:
                self._explaining = True
            matches.sort(key=lambda m: (-m.score, str(m.id)))
            return [self._explained(m, set(qtokens)) for m in matches[:k]]

    _explaining = True

    def _shared_terms(self, qset: set[str], doc_id: DocId, limit: int = 8) -> tuple[str, ...]:
        return super()._shared_terms(qset, doc_id, limit) if self._explaining else ()

    def _explained(self, match: Match, qset: set[str]) -> Match:
        """Shared terms and reasons, computed for the returned matches only."""
        shared = self._shared_terms(qset, match.id)
        field = self.docs[match.id].field_code if match.same_field else None
        lines = reasons(shared, match.indicators, field, match.parts)
        return dataclasses.replace(match, shared_terms=shared, reasons=lines)

    def _keyword_pool(self, scores: np.ndarray, keep: Callable[[DocId], bool]) -> list[DocId]:
        """The `pool` best-scoring kept rows (score > 0), best first."""
        hits = np.flatnonzero(scores > 0)
        if not len(hits):
            return []
        ids = self._bm25.ids
        out: list[DocId] = []
        take = min(len(hits), 4 * self.pool)
        while True:
            if take < len(hits):
                part = np.sort(hits[np.argpartition(-scores[hits], take - 1)[:take]])
            else:
                part = hits
            order = part[np.argsort(-scores[part], kind="stable")]
            out = []
            for row in order:
                doc_id = cast(DocId, ids[row])
                if keep(doc_id):
                    out.append(doc_id)
                    if len(out) >= self.pool:
                        return out
            if take >= len(hits):
                return out
            take = min(len(hits), 4 * take)  # the filter dropped too many: look deeper
