"""A side's documents as a service process holds them (`PostingDocs`), and the *facts* of a
posting: what ranking reads of it besides its vector and tokens.

A process never holds every posting's text. What ranking reads of a candidate — its field
and its parsed indicators (parsing a posting's text costs ~0.1 ms, too much for a pool of
400 per query) — is written once as the posting's facts (`facts_of`: JSON in its row of the
shared keyword index, `keyword_docs.facts`, written beside its vector) and read per ranking,
for the pool it scores and the page it explains. In memory a side keeps only what the filter
reads for every candidate a retriever looks at: the organisation of each posting it holds,
one int64 per id (8 MB per side at a million postings), read at start-up in one query of two
columns.
"""

import json
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from matching.documents import Doc
from matching.indicators import Indicator
from service.engine import repository
from service.engine.documents import Kind, to_doc


def facts_of(doc: Doc) -> str:
    """What ranking reads of a posting besides its vector and tokens, as JSON: organisation,
    field code and parsed indicators (exact: floats round-trip through JSON)."""
    indicators = [
        [i.name, i.comparator, i.value, i.unit, i.dimension, i.base, i.base_high, i.text]
        for i in doc.parsed_indicators()
    ]
    payload = {"org": doc.org, "field": doc.field_code, "indicators": indicators}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def doc_of_facts(posting_id: int, kind: Kind, facts: str) -> Doc:
    """A `Doc` with what ranking reads (no text): the inverse of `facts_of`."""
    data = json.loads(facts)
    doc = Doc(id=posting_id, title="", field=data["field"], org=data["org"], kind=kind)
    doc.field_code = data["field"]
    doc._parsed = [Indicator(*row) for row in data["indicators"]]
    return doc


_ABSENT = -1  # not held by this side
_NO_ORG = -2  # held, without an organisation


class PostingDocs:
    """One side's `matching.docsource.DocSource` in a service process: the organisation of
    each held posting in memory; documents read in the caller's session (`bind`)."""

    def __init__(
        self, kind: Kind, session: Session | None = None, parent: "PostingDocs | None" = None
    ):
        self.kind = kind
        self._session = session
        self._parent = parent
        if parent is None:
            self._orgs = np.full(0, _ABSENT, dtype=np.int64)
            self._count = 0

    def bind(self, session: Session) -> "PostingDocs":
        """A view reading documents in `session` (the membership is shared)."""
        return PostingDocs(self.kind, session, self._root)

    @property
    def _root(self) -> "PostingDocs":
        return self if self._parent is None else self._parent

    def __len__(self) -> int:
        return self._root._count

    def __contains__(self, doc_id: object) -> bool:
        return self._org(doc_id) != _ABSENT

    def _org(self, doc_id: object) -> int:
        orgs = self._root._orgs
        if not isinstance(doc_id, (int, np.integer)) or not 0 <= doc_id < len(orgs):
            return _ABSENT
        return int(orgs[doc_id])

    def entry(self, doc_id: int | str) -> tuple[str | None, str] | None:
        org = self._org(doc_id)
        if org == _ABSENT:
            return None
        return (None if org == _NO_ORG else str(org)), self.kind

    def get(self, doc_id: int | str) -> Doc | None:
        return self.many([doc_id]).get(doc_id)

    def many(self, ids: Sequence[int | str]) -> dict[int | str, Doc]:
        """The held ones' documents: their facts, else (a row written before facts were
        kept) the posting read and parsed."""
        if self._session is None:
            raise RuntimeError("a side's documents are read through bind(session)")
        wanted = [int(i) for i in ids if i in self]
        facts = repository.keyword_facts(self._session, self.kind, wanted)
        out: dict[int | str, Doc] = {
            i: doc_of_facts(i, self.kind, f) for i, f in facts.items() if f is not None
        }
        rest = [i for i in wanted if i not in out]
        if rest:
            out.update(
                (p.id, to_doc(p)) for p in repository.postings(self._session, self.kind, rest)
            )
        return out

    def put(self, docs: Sequence[Doc]) -> None:
        self.set_orgs([int(d.id) for d in docs], [_org_id(d.org) for d in docs])

    def set_orgs(self, ids: Sequence[int], orgs: Sequence[int | None]) -> None:
        """Hold `ids`, of these organisations."""
        self.set_org_array(
            np.asarray(ids, dtype=np.int64),
            np.asarray([_NO_ORG if o is None else o for o in orgs], dtype=np.int64),
        )

    def set_org_array(self, ids: np.ndarray, orgs: np.ndarray) -> None:
        """Hold `ids` (int64), of organisations `orgs` (int64, negative: none): a start-up's
        whole side at once."""
        root = self._root
        if not len(ids):
            return
        idx = np.asarray(ids, dtype=np.int64)
        values = np.where(np.asarray(orgs, dtype=np.int64) < 0, _NO_ORG, orgs)
        top = int(idx.max()) + 1
        if top > len(root._orgs):
            grown = np.full(max(top, len(root._orgs) * 5 // 4), _ABSENT, dtype=np.int64)
            grown[: len(root._orgs)] = root._orgs
            root._orgs = grown  # (readers holding the old array see a consistent one)
        # one id given twice counts once
        idx, first = np.unique(idx, return_index=True)
        root._count += int((root._orgs[idx] == _ABSENT).sum())
        root._orgs[idx] = values[first]

    def remove(self, ids: Iterable[int | str]) -> list[int | str]:
        root = self._root
        gone: list[int | str] = [i for i in ids if i in self]
        if gone:
            root._orgs[np.asarray(gone, dtype=np.int64)] = _ABSENT
            root._count -= len(gone)
        return gone


def _org_id(org: Any) -> int | None:
    return None if org is None or org == "" else int(org)
