"""Segmentation, synonyms, stop words and BM25."""

from pathlib import Path

import pytest

from matching.lexical import Analyzer, BM25Index, default_analyzer, load_lexicon


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return default_analyzer()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("SiC", "碳化硅"),
        ("sic", "碳化硅"),
        ("AOI", "自动光学检测"),
        ("光阻", "光刻胶"),
        ("photoresist", "光刻胶"),
        ("OLED", "有机发光二极管"),
        ("CMP", "化学机械抛光"),
        ("BMS", "电池管理系统"),
        ("PI膜", "聚酰亚胺"),
        ("Mini LED", "MiniLED"),
    ],
)
def test_synonyms_share_one_canonical_token(analyzer: Analyzer, a: str, b: str) -> None:
    assert analyzer.tokens(a)[0] == analyzer.tokens(b)[0]


def test_case_only_differences_stay_apart_when_ambiguous(analyzer: Analyzer) -> None:
    # GaN (氮化镓) and GAN (生成对抗网络) differ only in case
    assert analyzer.tokens("GaN")[0] == analyzer.tokens("氮化镓")[0]
    assert analyzer.tokens("GAN")[0] == analyzer.tokens("生成对抗网络")[0]
    assert analyzer.tokens("GaN")[0] != analyzer.tokens("GAN")[0]


def test_compound_terms_stay_whole_with_their_parts(analyzer: Analyzer) -> None:
    tokens = analyzer.tokens("碳化硅衬底化学机械抛光与亚表面损伤控制")
    assert "化学机械抛光" in tokens
    assert "抛光" in tokens  # sub-word of the compound, for partial overlap
    assert "碳化硅" in tokens


def test_mixed_script_compound_yields_the_acronym(analyzer: Analyzer) -> None:
    tokens = analyzer.tokens("车载柔性OLED模组")
    assert analyzer.canonical("OLED") in tokens


def test_stopwords_numbers_and_punctuation_are_dropped(analyzer: Analyzer) -> None:
    tokens = analyzer.tokens("我们希望良率不低于99.5%，并且需要实现自动化。")
    assert "我们" not in tokens and "希望" not in tokens and "不低于" not in tokens
    assert not any(t[0].isdigit() for t in tokens)
    assert "，" not in tokens and "良率" in tokens


def test_display_restores_the_canonical_spelling(analyzer: Analyzer) -> None:
    token = analyzer.tokens("SiC")[0]
    assert analyzer.display(token) == "碳化硅"


def test_extra_dictionary_files_extend_the_bundled_ones(tmp_path: Path) -> None:
    syn = tmp_path / "syn.tsv"
    syn.write_text("# 局方补充\n磁流变抛光\tMRF\n", encoding="utf-8")
    terms = tmp_path / "terms.txt"
    terms.write_text("磁流变抛光\n", encoding="utf-8")
    an = Analyzer(load_lexicon(terms=[terms], synonyms=[syn]))
    assert an.tokens("MRF")[0] == an.tokens("磁流变抛光")[0] == "磁流变抛光"
    assert an.tokens("SiC")[0] == "碳化硅"  # bundled groups still there


def test_bundled_data_files_are_substantial() -> None:
    lex = load_lexicon()
    assert len(lex.groups) >= 150
    assert len(lex.terms) >= 300
    assert {"的", "我们"} <= lex.stopwords


def test_bm25_ranks_by_shared_rare_terms() -> None:
    idx = BM25Index()
    idx.add("a", ["碳化硅", "衬底", "检测"])
    idx.add("b", ["锂电池", "检测"])
    idx.add("c", ["碳化硅", "功率器件"])
    scores = idx.score_map(["碳化硅", "衬底"])
    assert max(scores, key=scores.__getitem__) == "a"
    assert "b" not in scores
    assert idx.idf("检测") < idx.idf("衬底")


def test_bm25_add_replace_and_remove() -> None:
    idx = BM25Index()
    idx.add(1, ["光刻胶"])
    idx.add(2, ["光刻胶", "显影"])
    idx.add(1, ["电解液"])  # replaces doc 1
    assert set(idx.score_map(["光刻胶"])) == {2}
    idx.remove(2)
    assert idx.score_map(["光刻胶"]) == {}
    assert len(idx) == 1
    assert set(idx.score_map(["电解液"])) == {1}


def test_canonical_text_rewrites_synonyms(analyzer: Analyzer) -> None:
    assert analyzer.canonical_text("LWR") == "线宽粗糙度"
    assert analyzer.canonical_text("SiC衬底厚度") == "碳化硅衬底厚度"
