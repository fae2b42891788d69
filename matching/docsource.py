"""Where a :class:`~matching.ranking.Matcher` finds its postings' documents.

Ranking needs two things of a posting: for the filter of every candidate a retriever looks
at, whether it is held, its kind and its organisation (:meth:`DocSource.entry`); for the
pool it scores and the page it explains, what scoring reads — the field and the parsed
indicators (:meth:`DocSource.many`). :class:`MemoryDocs` keeps whole :class:`Doc` objects
(the library, evaluation); a service can keep only the filter's part in memory and read the
rest per ranking (``service.engine.documents.PostingDocs``), so a process never holds every
posting's text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from matching.documents import Doc

DocId = int | str


class DocSource(Protocol):
    """One side's documents, as the matcher reads them."""

    def __len__(self) -> int: ...

    def __contains__(self, doc_id: object) -> bool: ...

    def entry(self, doc_id: DocId) -> tuple[str | None, str] | None:
        """(organisation, kind) of a held posting, None when it is not held."""
        ...

    def get(self, doc_id: DocId) -> Doc | None:
        """The whole document (a predicate filter reads it)."""
        ...

    def many(self, ids: Sequence[DocId]) -> dict[DocId, Doc]:
        """The documents of the held ones of `ids`, with what scoring reads."""
        ...

    def put(self, docs: Sequence[Doc]) -> None: ...

    def remove(self, ids: Iterable[DocId]) -> list[DocId]:
        """Drop the held ones of `ids`; returns them."""
        ...


class MemoryDocs:
    """Every document in a dict."""

    def __init__(self) -> None:
        self._docs: dict[DocId, Doc] = {}

    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._docs

    def __getitem__(self, doc_id: DocId) -> Doc:
        return self._docs[doc_id]

    def entry(self, doc_id: DocId) -> tuple[str | None, str] | None:
        doc = self._docs.get(doc_id)
        return None if doc is None else (doc.org, str(doc.kind))

    def get(self, doc_id: DocId) -> Doc | None:
        return self._docs.get(doc_id)

    def many(self, ids: Sequence[DocId]) -> dict[DocId, Doc]:
        docs = self._docs
        return {i: docs[i] for i in ids if i in docs}

    def put(self, docs: Sequence[Doc]) -> None:
        for doc in docs:
            self._docs[doc.id] = doc

    def remove(self, ids: Iterable[DocId]) -> list[DocId]:
        gone = [i for i in ids if i in self._docs]
        for doc_id in gone:
            del self._docs[doc_id]
        return gone
