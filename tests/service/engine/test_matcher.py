"""The service ranks with the library's one `Matcher`, its vectors held once in FAISS
(`IndexVectors`): the same results as the library's in-memory matrix on the eval set."""

import dataclasses
import json

import pytest

from matching.documents import Doc
from matching.embedders import HashEmbedder
from matching.index import FlatIndex
from matching.ranking import Matcher
from matching.retrieval import IndexVectors
from tests.service.engine_support import EVAL


def _docs(name: str, kind: str) -> list[Doc]:
    lines = (EVAL / name).read_text(encoding="utf-8").splitlines()
    rows = [Doc.from_mapping(json.loads(x), kind) for x in lines if x.strip()]  # type: ignore[arg-type]
    return [dataclasses.replace(d, id=n) for n, d in enumerate(rows, start=1)]  # database ids


@pytest.mark.parametrize("pool", [200, 5])
def test_faiss_backed_matcher_ranks_exactly_like_the_library(pool: int) -> None:
    caps, needs = _docs("capabilities.jsonl", "capability"), _docs("needs.jsonl", "need")
    embedder = HashEmbedder(64)
    index = FlatIndex(embedder.dim)
    library = Matcher(embedder, pool=pool)
    ours = Matcher(embedder, pool=pool, vectors=IndexVectors(index))
    library.add(caps)
    ours.add(caps)
    assert index.count == len(caps)

    def display(doc: Doc) -> bool:
        return doc.field_code == "display"

    for need in needs:
        for query, allowed in ((need, None), (need.title, display)):
            expected = library.rank(query, 10, allowed=allowed)
            got = ours.rank(query, 10, allowed=allowed)
            assert [(m.id, m.shared_terms) for m in got] == [
                (m.id, m.shared_terms) for m in expected
            ]
            # FAISS stores the vectors normalised once more: cosines agree to float precision
            assert [m.score for m in got] == pytest.approx([m.score for m in expected], abs=1e-3)
