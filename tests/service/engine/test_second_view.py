"""The second dense view in the service: written beside each vector, read for the candidates
a need's ranking scores (not kept in the index), the fallback model for rows without it, and
`jiebang reindex` filling it for rows written before it existed, once."""

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from matching.embedders import HashEmbedder
from matching.model import default_model
from matching.ranking import encode_postings
from service.engine import recommendations, repository
from service.engine.documents import to_doc
from service.engine.reindex import reindex
from service.engine.service import recommend_capabilities, recommend_needs, search
from service.engine.store import IndexStore
from service.kit.db import make_engine
from service.models import Capability, Need, PostingVector
from service.models.enums import OrgKind, Role
from tests.factories import create_org, create_user
from tests.service.engine_support import (
    committed_database_url,
    embed_all,
    eval_capability,
    eval_need,
)
from tests.service.statements import statements

CAPS = ("C189", "C044", "C144", "C001", "C002", "C071")


class Sided(HashEmbedder):
    """The hash embedder with e5's two sides: a text's query and passage vectors differ."""

    def __init__(self) -> None:
        super().__init__(dim=64)
        self.texts = 0  # texts encoded

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += len(texts)
        return super().encode_queries([f"查询：{t}" for t in texts])

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += len(texts)
        return super().encode_documents([f"段落：{t}" for t in texts])


def _postings(session: Session) -> tuple[Need, list[Capability]]:
    owner = create_user(session, Role.enterprise)
    lab = create_user(session, Role.researcher, org=create_org(session, OrgKind.university))
    need = eval_need(session, owner, "N001")
    return need, [eval_capability(session, lab, key) for key in CAPS]


def _forget_second(session: Session, kind: str, ids: list[int]) -> None:
    """What a row written before the second view existed looks like."""
    session.execute(
        update(PostingVector)
        .where(PostingVector.kind == kind, PostingVector.posting_id.in_(ids))
        .values(vector2=None)
    )


def test_both_views_are_stored_and_a_need_is_ranked_with_them(session: Session) -> None:
    embedder = Sided()
    need, caps = _postings(session)
    embed_all(session, embedder)
    stored = repository.second_vectors(session, "capability", embedder.model_id, [caps[0].id])
    expected = encode_postings(embedder, [to_doc(caps[0])], second=True)[0]
    assert np.frombuffer(stored[caps[0].id], dtype=np.float32) == pytest.approx(expected)

    store = IndexStore(embedder)
    recs = recommend_capabilities(session, need, store=store)
    assert {r.posting_id for r in recs} == {c.id for c in caps}
    model = default_model()
    for rec in recs:
        assert rec.features.keys() >= {"dpass", "dqq"}
        assert model.for_features(rec.features) is model  # scored with both views
        assert rec.score == pytest.approx(model.score(rec.features)[0], abs=1e-3)
    # the second views live in the table only: the index holds one vector per posting
    assert store.count("capability") == len(caps)
    side = store._sides["capability"].index
    assert side.vectors([caps[0].id]).shape == (1, embedder.dim)

    # a capability query and free text use one view: the fallback scores them
    fallback = model.fallback
    assert fallback is not None
    for rec in [
        *recommend_needs(session, caps[0], store=store),
        *search(session, "capability", "电池", [], offset=0, limit=10, store=store)[0],
    ]:
        assert not rec.features.keys() & {"dpass", "dqq"}
        assert rec.score == pytest.approx(fallback.score(rec.features)[0], abs=1e-3)


def test_a_row_without_its_second_view_is_scored_by_the_fallback(session: Session) -> None:
    embedder = Sided()
    need, caps = _postings(session)
    embed_all(session, embedder)
    old = [c.id for c in caps[:3]]
    _forget_second(session, "capability", old)
    recs = {
        r.posting_id: r for r in recommend_capabilities(session, need, store=IndexStore(embedder))
    }
    fallback = default_model().fallback
    assert fallback is not None
    for cap_id in old:
        assert "dqq" not in recs[cap_id].features and "dpass" in recs[cap_id].features
        assert recs[cap_id].score == pytest.approx(
            fallback.score(recs[cap_id].features)[0], abs=1e-3
        )
    for cap in caps[3:]:
        assert recs[cap.id].features.keys() >= {"dpass", "dqq"}
    # the need's own row without it: every pair by the fallback, none fails
    _forget_second(session, "need", [need.id])
    for rec in recommend_capabilities(session, need, store=IndexStore(embedder)):
        assert "dpass" not in rec.features
        assert rec.score == pytest.approx(fallback.score(rec.features)[0], abs=1e-3)


@pytest.fixture
def committed_engine(tmp_path: Path) -> Iterator[Engine]:
    for url in committed_database_url(tmp_path, "second"):
        engine = make_engine(url)
        yield engine
        engine.dispose()


def test_reindex_adds_the_missing_second_views_once(
    committed_engine: Engine, tmp_path: Path
) -> None:
    sm = sessionmaker(bind=committed_engine, expire_on_commit=False)
    embedder = Sided()
    with sm() as s:
        need, caps = _postings(s)
        embed_all(s, embedder)
        old = [c.id for c in caps[:4]]
        _forget_second(s, "capability", old)
        recommendations.refresh(s, need, IndexStore(embedder))  # scored by the fallback
        s.commit()
        assert not repository.stale_list_ids(s, "need", embedder.model_id, limit=None)
        before = {
            v.posting_id: (v.vector, v.indexed_at, v.text_hash)
            for v in s.scalars(select(PostingVector).where(PostingVector.kind == "capability"))
        }
    embedder.texts = 0
    lines: list[str] = []
    counts = reindex(sm, embedder, IndexStore(embedder, tmp_path / "index"), lines.append)
    assert (counts["embedded"], counts["second"], counts["failed"]) == (0, 4, 0)
    assert embedder.texts == 4  # only the missing view of each, nothing else
    assert counts["stale_lists"] == 1  # the need's list: its pairs score otherwise now
    with sm() as s:
        assert repository.stale_list_ids(s, "need", embedder.model_id, limit=None) == [need.id]
        recommendations.refresh(s, need, IndexStore(embedder))  # what the worker's backfill does
        s.commit()
        rows = s.scalars(select(PostingVector).where(PostingVector.kind == "capability")).all()
        for row in rows:  # the first vector and its stamp untouched: no index reloads it
            assert (row.vector, row.indexed_at, row.text_hash) == before[row.posting_id]
        filled = repository.second_vectors(s, "capability", embedder.model_id, old)
        assert filled.keys() == set(old)
        docs = [to_doc(c) for c in s.scalars(select(Capability).where(Capability.id.in_(old)))]
        expected = encode_postings(embedder, docs, second=True)
        for doc, vec in zip(docs, expected, strict=True):
            assert np.frombuffer(filled[int(doc.id)], dtype=np.float32) == pytest.approx(vec)
    embedder.texts = 0
    again = reindex(sm, embedder, IndexStore(embedder, tmp_path / "index"), lines.append)
    assert (again["embedded"], again["second"], embedder.texts) == (0, 0, 0)
    assert "stale_lists" not in again  # nothing filled: the stored lists stay current
    with sm() as s:
        assert not repository.stale_list_ids(s, "need", embedder.model_id, limit=None)
    assert again["current"] == len(CAPS) + 1


def test_a_database_without_second_views_reads_none_per_ranking(session: Session) -> None:
    """Rows that all predate the second view (the 1M benchmark database): a need's ranking
    tries a few reference rows once, then reads no second view for its pool."""
    embedder = Sided()
    need, caps = _postings(session)
    embed_all(session, embedder)
    _forget_second(session, "capability", [c.id for c in caps])
    store = IndexStore(embedder)
    recommend_capabilities(session, need, store=store)  # loads, tries the reference once
    with statements(session) as seen:
        recs = recommend_capabilities(session, need, store=store)
    assert recs and all("dqq" not in r.features for r in recs)
    # the need's own (one row by key), none for the pool
    assert len([s for s in seen if "vector2" in s]) == 1
    # filled meanwhile (a plan finds the rows without one): tried again once the side changes
    embed_all(session, embedder)
    lab = create_user(session, Role.researcher, org=create_org(session, OrgKind.institute))
    eval_capability(session, lab, "C005")
    embed_all(session, embedder)
    recs = recommend_capabilities(session, need, store=store)
    assert all(r.features.keys() >= {"dpass", "dqq"} for r in recs)
