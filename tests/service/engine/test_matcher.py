"""PoolMatcher is a faster keyword step, not a different ranking: same results as Matcher."""

import json

import pytest

from matching.documents import Doc
from matching.embedders import HashEmbedder
from matching.ranking import Matcher
from service.engine.matcher import PoolMatcher
from tests.service.engine_support import EVAL


def _docs(name: str, kind: str) -> list[Doc]:
    lines = (EVAL / name).read_text(encoding="utf-8").splitlines()
    return [Doc.from_mapping(json.loads(x), kind) for x in lines if x.strip()]  # type: ignore[arg-type]


@pytest.mark.parametrize("pool", [200, 5])
def test_pool_matcher_ranks_exactly_like_the_library(pool: int) -> None:
    caps, needs = _docs("capabilities.jsonl", "capability"), _docs("needs.jsonl", "need")
    embedder = HashEmbedder(64)
    library, ours = Matcher(embedder, pool=pool), PoolMatcher(embedder, pool=pool)
    library.add(caps)
    ours.add(caps)

    def display(doc: Doc) -> bool:
        return doc.field_code == "display"

    for need in needs:
        for query, allowed in ((need, None), (need.title, display)):
            expected = [
                (m.id, m.score, m.shared_terms) for m in library.rank(query, 10, allowed=allowed)
            ]
            got = [(m.id, m.score, m.shared_terms) for m in ours.rank(query, 10, allowed=allowed)]
            assert got == expected
