"""Shared terms shown to people are domain terms: no units, numbers or generic words."""

from matching.documents import Doc
from matching.lexical import BM25Index, default_analyzer
from matching.ranking import Matcher
from matching.terms import MAX_SHARE, MIN_DOCS, domain_terms, is_domain_term


def test_units_numbers_and_generic_words_are_not_domain_terms() -> None:
    for token in ["完成", "工艺", "建立", "系统", "支持", "day", "m2", "rh", "RH", "万元", "3天"]:
        assert not is_domain_term(token), token
    for token in ["12", "1e-06", "85%", "x"]:
        assert not is_domain_term(token), token
    for token in ["薄膜封装", "水汽阻隔", "原子层沉积", "碳化硅", "ald", "oled"]:
        assert is_domain_term(token), token


def test_corpus_statistics_drop_terms_most_postings_share() -> None:
    index = BM25Index()
    n = 40
    for i in range(n):
        tokens = ["封装"] if i < int(n * MAX_SHARE) + 4 else []
        index.add(i, [*tokens, "水汽阻隔" if i == 0 else f"term{i}"])
    assert domain_terms({"封装", "水汽阻隔"}, index) == {"水汽阻隔"}
    small = BM25Index()
    for i in range(MIN_DOCS - 1):
        small.add(i, ["封装"])
    assert domain_terms({"封装"}, small) == {"封装"}  # too few postings to judge


def test_the_matcher_shows_only_domain_terms() -> None:
    matcher = Matcher(None, analyzer=default_analyzer())
    filler = "完成工艺建立系统支持，测试条件85℃/85%RH，1000 day，10 m2，费用50万元。"
    matcher.add(
        [
            Doc(id="ald", title="原子层沉积薄膜封装", description="水汽阻隔。" + filler),
            Doc(id="gw", title="设备数据采集边缘网关", description="OEE分析。" + filler),
        ]
    )
    need = Doc(id="n", kind="need", title="OLED薄膜封装水汽阻隔", problem=filler)
    top = matcher.rank(need, k=1)[0]
    assert top.id == "ald"
    assert {"薄膜封装", "水汽", "阻隔"} <= set(top.shared_terms)
    bad = {"完成", "工艺", "系统", "支持", "day", "m2", "RH", "rh", "万元", "费用", "85", "1000"}
    assert not bad & set(top.shared_terms)
