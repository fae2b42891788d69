"""Matcher logic with the hash embedder: fusion, reasons, filters, indicator awareness."""

import dataclasses
import threading

import numpy as np
import pytest

from matching.docsource import MemoryDocs
from matching.documents import Doc, normalise_field
from matching.embedders import HashEmbedder
from matching.index import FlatIndex
from matching.model import BAND_THRESHOLDS, RankModel, band, default_model
from matching.ranking import Matcher, encode_postings
from matching.retrieval import IndexVectors


def cap(doc_id: str, title: str, text: str, **kw: object) -> Doc:
    return Doc(id=doc_id, title=title, description=text, kind="capability", **kw)  # type: ignore[arg-type]


@pytest.fixture
def caps() -> list[Doc]:
    return [
        cap(
            "sic",
            "碳化硅功率器件",
            "SiC MOSFET 功率器件，导通电阻低",
            field="半导体与集成电路",
            org="院所甲",
        ),
        cap(
            "stage1",
            "纳米定位平台",
            "压电驱动精密运动平台，定位精度0.5 μm",
            field="高端装备",
            org="院所乙",
        ),
        cap(
            "stage2",
            "纳米定位平台",
            "压电驱动精密运动平台，定位精度10 μm",
            field="high_end_equipment",
            org="院所丙",
        ),
        cap("bat", "磷酸铁锂电池", "储能电池循环寿命8000次", field="动力电池与储能", org="院所甲"),
    ]


@pytest.fixture
def matcher(caps: list[Doc]) -> Matcher:
    m = Matcher(HashEmbedder())
    m.add(caps)
    return m


def stage_need(**kw: object) -> Doc:
    return Doc(
        id="n1",
        title="精密运动平台定位精度",
        problem="光刻对准需要精密运动平台",
        expected_goal="定位精度≤1μm",
        field="高端装备",
        indicators=[{"name": "定位精度", "comparator": "<=", "value": "1", "unit": "μm"}],
        **kw,  # type: ignore[arg-type]
    )


def test_need_kind_is_inferred_from_its_parts() -> None:
    assert stage_need().kind == "need"
    assert Doc(id=1, title="x", description="y").kind == "capability"


def test_indicator_fit_orders_otherwise_equal_capabilities(matcher: Matcher) -> None:
    ranked = matcher.rank(stage_need(), k=4)
    ids = [m.id for m in ranked]
    assert ids.index("stage1") < ids.index("stage2")
    first = next(m for m in ranked if m.id == "stage1")
    second = next(m for m in ranked if m.id == "stage2")
    assert first.indicators.met == 1 and second.indicators.missed == 1
    assert "定位精度 要求≤1 μm，成果 0.5 μm，满足" in first.reasons
    assert "定位精度 要求≤1 μm，成果 10 μm，未满足" in second.reasons


def dense_only() -> RankModel:
    return RankModel({"dense": 1.0}, 0.0, {"dense": "semantic"}, "2026-01-01", 0)


def test_parts_add_up_and_mean_one_thing_each(matcher: Matcher) -> None:
    for m in matcher.rank(stage_need(), k=4):
        assert 0.0 <= m.score <= 100.0
        assert sum(m.parts.values()) == pytest.approx(m.score, abs=1e-9)
        assert set(m.parts) == {"base", "semantic", "keyword", "indicator", "field"}
        assert m.features.keys() >= {"dense", "char", "word", "indicator", "field"}
        assert m.features["indicator"] == m.indicators.score
        assert m.features["field"] == float(m.same_field)
        assert (m.parts["field"] > 0) == m.same_field  # the shipped field weight is positive
        assert (m.parts["indicator"] < 0) == (m.indicators.score < 0)
        assert m.score == matcher.model.score(m.features)[0]
        assert m.band == band(m.score)
        assert -1.0 <= m.cosine <= 1.0


def test_a_pair_scores_the_same_whatever_the_pool(caps: list[Doc]) -> None:
    small, full = Matcher(HashEmbedder(), pool=1), Matcher(HashEmbedder(), pool=100)
    small.add(caps)
    full.add(caps)
    scores = {m.id: m.score for m in full.rank(stage_need(), k=4)}
    for m in small.rank(stage_need(), k=4):
        assert m.score == scores[m.id]


def test_bands_follow_the_documented_thresholds() -> None:
    assert band(BAND_THRESHOLDS["high"]) == "high"
    assert band(BAND_THRESHOLDS["high"] - 0.01) == "medium"
    assert band(BAND_THRESHOLDS["medium"]) == "medium"
    assert band(BAND_THRESHOLDS["medium"] - 0.01) == "low"


def test_equal_scores_are_ordered_by_similarity_then_id() -> None:
    twins = [cap(i, "碳化硅功率器件", "SiC MOSFET 功率器件") for i in ("b", "a")]
    m = Matcher(None)
    m.add(twins)
    assert [x.id for x in m.rank("碳化硅功率器件", k=2)] == ["a", "b"]


def test_field_codes_and_names_compare_equal(matcher: Matcher) -> None:
    assert normalise_field("高端装备") == normalise_field("high_end_equipment")
    ranked = {m.id: m for m in matcher.rank(stage_need(), k=4)}
    assert ranked["stage1"].same_field and ranked["stage2"].same_field
    assert any(r.startswith("同属领域：高端装备") for r in ranked["stage2"].reasons)
    assert not ranked["bat"].same_field


def test_shared_terms_use_canonical_names(matcher: Matcher) -> None:
    need = Doc(id="n2", title="碳化硅功率器件开发", problem="需要碳化硅器件")
    top = matcher.rank(need, k=1)[0]
    assert top.id == "sic"
    assert "碳化硅" in top.shared_terms
    assert any(r.startswith("共同关键词：") and "碳化硅" in r for r in top.reasons)


def test_own_organisation_is_excluded_by_default(matcher: Matcher) -> None:
    need = Doc(id="n3", title="SiC 功率器件", problem="碳化硅", org="院所甲")
    ids = {m.id for m in matcher.rank(need, k=10)}
    assert "sic" not in ids and "bat" not in ids
    ids = {m.id for m in matcher.rank(need, k=10, exclude_org="院所乙")}
    assert "sic" in ids and "stage1" not in ids


def test_the_query_posting_itself_is_never_returned() -> None:
    m = Matcher(HashEmbedder())
    docs = [cap("a", "碳化硅衬底", "碳化硅"), cap("b", "碳化硅外延", "碳化硅")]
    m.add(docs)
    assert [x.id for x in m.rank(docs[0], k=5)] == ["b"]


def test_a_need_with_the_same_id_as_a_capability_still_finds_it() -> None:
    # Needs and capabilities are numbered separately in the database: need 1 is not capability 1.
    m = Matcher(HashEmbedder())
    m.add([Doc(id=1, title="碳化硅外延", description="碳化硅外延片缺陷控制", kind="capability")])
    need = Doc(id=1, title="碳化硅外延缺陷", description="", problem="碳化硅外延片缺陷多")
    assert [x.id for x in m.rank(need, k=5)] == [1]


def test_filters_by_id_set_and_predicate(matcher: Matcher) -> None:
    need = stage_need()
    assert {m.id for m in matcher.rank(need, k=10, allowed={"stage2", "bat"})} == {"stage2", "bat"}
    only_equipment = matcher.rank(
        need, k=10, allowed=lambda d: d.field_code == "high_end_equipment"
    )
    assert {m.id for m in only_equipment} == {"stage1", "stage2"}


def test_free_text_query_parses_requirements(matcher: Matcher) -> None:
    ranked = matcher.rank("纳米定位平台 定位精度不超过1微米", k=2)
    assert ranked[0].id == "stage1"
    assert ranked[0].indicators.met == 1


def test_reverse_direction_checks_the_need_requirements() -> None:
    needs = Matcher(HashEmbedder())
    needs.add([stage_need(org="企业A")])
    good = needs.rank(cap("x", "纳米定位平台", "定位精度0.2微米"), k=1)[0]
    bad = needs.rank(cap("y", "纳米定位平台", "定位精度5微米"), k=1)[0]
    assert good.indicators.met == 1 and bad.indicators.missed == 1
    assert good.score > bad.score


def test_remove_and_replace(matcher: Matcher) -> None:
    matcher.remove(["stage1", "unknown"])
    assert "stage1" not in matcher and len(matcher) == 3
    assert "stage1" not in {m.id for m in matcher.rank(stage_need(), k=10)}
    matcher.add([cap("stage2", "无关", "锂电池回收")])
    assert len(matcher) == 3
    assert matcher.docs["stage2"].title == "无关"


def test_faiss_index_as_the_vector_store_ranks_like_the_array(caps: list[Doc]) -> None:
    """The service keeps each vector once, in FAISS: same ranking as the in-memory matrix."""
    docs = [dataclasses.replace(c, id=n) for n, c in enumerate(caps, start=1)]
    index = FlatIndex(HashEmbedder().dim)
    in_faiss, in_array = (
        Matcher(HashEmbedder(), vectors=IndexVectors(index)),
        Matcher(HashEmbedder()),
    )
    in_faiss.add(docs)
    in_array.add(docs)
    assert index.count == len(docs)
    for query in ("磷酸铁锂 储能", "完全不相关的文字", "激光 焊接"):
        ours, theirs = in_faiss.rank(query, k=5), in_array.rank(query, k=5)
        assert [m.id for m in ours] == [m.id for m in theirs]
        assert [m.score for m in ours] == pytest.approx([m.score for m in theirs], abs=1e-6)
    in_faiss.remove([1])
    assert 1 not in index and 1 not in {m.id for m in in_faiss.rank("磷酸铁锂 储能", k=10)}


def test_explanation_only_for_the_shown_matches(caps: list[Doc]) -> None:
    m = Matcher(HashEmbedder())
    m.add(caps)
    ranked = m.rank("磷酸铁锂 储能", k=3, explain=1)
    full = m.rank("磷酸铁锂 储能", k=3)
    assert ranked[0] == full[0] and ranked[0].reasons
    assert all(not x.reasons and not x.shared_terms for x in ranked[1:])
    assert m.explain("磷酸铁锂 储能", ranked[1:]) == full[1:]


def test_lexical_only_matcher_without_embedder(caps: list[Doc]) -> None:
    m = Matcher(None)
    m.add(caps)
    assert m.rank("磷酸铁锂 储能", k=1)[0].id == "bat"


def test_encode_postings_is_asymmetric() -> None:
    class Spy(HashEmbedder):
        def __init__(self) -> None:
            super().__init__(dim=8)
            self.sides: list[str] = []

        def encode_queries(self, texts):  # type: ignore[no-untyped-def]
            self.sides += ["q"] * len(texts)
            return super().encode_queries(texts)

        def encode_documents(self, texts):  # type: ignore[no-untyped-def]
            self.sides += ["d"] * len(texts)
            return super().encode_documents(texts)

    spy = Spy()
    out = encode_postings(spy, [stage_need(), cap("c", "t", "x")])
    assert out.shape == (2, 8) and spy.sides == ["q", "d"]  # the need as query
    spy.sides.clear()
    out = encode_postings(spy, [stage_need(), cap("c", "t", "x")], second=True)
    assert out.shape == (2, 8) and spy.sides == ["q", "d"]  # the capability as query


class Sided(HashEmbedder):
    """The hash embedder with e5's prefixes: a text's query and passage vectors differ."""

    def encode_queries(self, texts):  # type: ignore[no-untyped-def]
        return super().encode_queries([f"问：{t}" for t in texts])

    def encode_documents(self, texts):  # type: ignore[no-untyped-def]
        return super().encode_documents([f"文：{t}" for t in texts])


def test_a_need_query_scores_both_dense_views(caps: list[Doc]) -> None:
    emb = Sided(dim=64)
    m = Matcher(emb)
    m.add(caps)  # both views encoded
    need = stage_need()
    qvec = encode_postings(emb, [need])[0]
    qvec2 = encode_postings(emb, [need], second=True)[0]
    firsts = encode_postings(emb, caps)
    seconds = encode_postings(emb, caps, second=True)
    ranked = {x.id: x for x in m.rank(need, k=4)}
    for n, c in enumerate(caps):
        f = ranked[c.id].features
        dpass = (float(firsts[n] @ qvec2) - (firsts @ qvec2).mean()) / (firsts @ qvec2).std()
        dqq = (float(seconds[n] @ qvec) - (seconds @ qvec).mean()) / (seconds @ qvec).std()
        assert f["dpass"] == pytest.approx(dpass, abs=1e-5)
        assert f["dqq"] == pytest.approx(dqq, abs=1e-5)
        assert m.model.for_features(f) is m.model  # the shipped model uses both views
        assert ranked[c.id].score == m.model.score(f)[0]
    # the views are given, not encoded again: the same features
    again = m.rank(need, k=4, query_vector=qvec, query_vector2=qvec2)
    assert [(x.id, x.features) for x in again] == [(x.id, ranked[x.id].features) for x in again]


def test_without_a_second_view_the_fallback_scores(caps: list[Doc]) -> None:
    emb = Sided(dim=64)
    m = Matcher(emb)
    m.add(caps[:2])  # both views
    m.add(caps[2:], encode_postings(emb, caps[2:]))  # stored before the second view existed
    fallback = m.model.fallback
    assert fallback is not None and "dqq" not in fallback.weights
    ranked = {x.id: x for x in m.rank(stage_need(), k=4)}
    for c in caps[2:]:
        assert "dqq" not in ranked[c.id].features
        assert ranked[c.id].score == fallback.score(ranked[c.id].features)[0]
    for c in caps[:2]:
        assert ranked[c.id].features.keys() >= {"dpass", "dqq"}
    # a capability query and free text use one view (SECOND_VIEW_QUERIES)
    needs = Matcher(emb)
    needs.add([stage_need()])
    for query in (caps[1], "精密运动平台"):
        for x in needs.rank(query, k=1):
            assert "dpass" not in x.features and "dqq" not in x.features
            assert x.score == fallback.score(x.features)[0]


def test_wrong_vector_dimension_is_refused(matcher: Matcher) -> None:
    with pytest.raises(ValueError, match="dimension"):
        matcher.add([cap("z", "z", "z")], np.zeros((1, 3), dtype=np.float32))


def test_many_removals_compact_the_corpus() -> None:
    m = Matcher(HashEmbedder(dim=8))
    m.add([cap(str(i), f"文档{i}", "碳化硅 衬底") for i in range(1200)])
    m.remove([str(i) for i in range(1, 1200)])
    assert len(m) == 1 and m.keywords.rows() == 1 and len(m.vectors._ids) == 1  # type: ignore[attr-defined]
    m.add([cap("new", "光刻胶", "KrF 光刻胶")])
    assert [x.id for x in m.rank("光刻胶", k=5)][0] == "new"
    assert m.rank("碳化硅", k=5)[0].id == "0"


def test_indicator_names_meet_through_synonyms() -> None:
    m = Matcher(HashEmbedder())
    m.add(
        [
            Doc(
                id="c",
                title="KrF光刻胶",
                description="光刻胶配方",
                kind="capability",
                indicators=[{"name": "LWR", "comparator": "=", "value": "3.8", "unit": "nm"}],
            )
        ]
    )
    need = Doc(
        id="n",
        title="光刻胶",
        problem="线边粗糙",
        indicators=[{"name": "线宽粗糙度", "comparator": "<=", "value": "5", "unit": "nm"}],
    )
    top = m.rank(need, k=1)[0]
    assert top.indicators.met == 1
    assert "线宽粗糙度 要求≤5 nm，成果 3.8 nm，满足" in top.reasons


def test_shared_terms_leave_out_pieces_of_longer_terms(matcher: Matcher) -> None:
    top = matcher.rank(Doc(id="n", title="碳化硅器件", problem="碳化硅"), k=1)[0]
    assert "碳化硅" in top.shared_terms
    assert not any(t in ("碳化", "化硅") for t in top.shared_terms)


def held_model(
    shipped: RankModel, thread: str, entered: threading.Event, release: threading.Event
) -> RankModel:
    """`shipped`, except that a ranking in the thread named `thread` stops inside its scoring
    step (sets `entered`, waits for `release`)."""

    class HeldModel(RankModel):
        def score(self, features: dict[str, float]) -> tuple[float, dict[str, float]]:
            if threading.current_thread().name == thread:
                entered.set()
                release.wait(20)
            return shipped.score(features)

    return HeldModel.from_json(shipped.to_json())


def test_a_ranking_never_waits_for_another(caps: list[Doc]) -> None:
    """Rankings share the matcher: one held inside its scoring step does not stop another."""
    entered, release = threading.Event(), threading.Event()
    m = Matcher(HashEmbedder(), model=held_model(default_model(), "held", entered, release))
    m.add(caps)
    held = threading.Thread(target=lambda: m.rank("磷酸铁锂 储能", k=3), name="held")
    held.start()
    try:
        assert entered.wait(10)
        assert m.rank("碳化硅 功率器件", k=3)  # answered while the first is still ranking
        assert held.is_alive()
    finally:
        release.set()
        held.join(10)


class _CountingDocs(MemoryDocs):
    """Documents that count how often the filter asks about one (`entry`)."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    def entry(self, doc_id: object) -> tuple[str | None, str] | None:
        self.asked += 1
        return super().entry(doc_id)  # type: ignore[arg-type]


def test_a_pair_is_scored_without_walking_every_hit_through_the_filter() -> None:
    """Ranking restricted to one id (a changed posting's pair, `service.rank_pair`) scores
    it as the full ranking does, and the filter is asked about that id only: before, each
    retriever walked every posting of the query's terms through the filter to find it."""
    docs = _CountingDocs()
    corpus = [
        Doc(
            id=n,
            title=f"精密运动平台 {n}",
            description=f"压电驱动精密运动平台，定位精度{n} μm",
            kind="capability",
            org=f"院所{n % 7}",
        )
        for n in range(300)
    ]
    for vectors in (None, IndexVectors(FlatIndex(HashEmbedder().dim))):
        matcher = Matcher(HashEmbedder(), vectors=vectors, docs=docs, pool=400)
        matcher.add(corpus)
        need = stage_need()
        full = {m.id: m for m in matcher.rank(need, k=len(corpus))}
        for doc_id in (3, 150, 299):
            docs.asked = 0
            [pair] = matcher.rank(need, k=1, allowed={doc_id})
            assert docs.asked <= 3
            assert pair.id == doc_id
            # a cosine of a pool of one rounds differently from a batch's in float32
            assert pair.score == pytest.approx(full[doc_id].score, abs=1e-6)
            assert pair.features == pytest.approx(full[doc_id].features, abs=1e-5)
