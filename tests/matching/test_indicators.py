"""Indicator parsing, unit normalisation and requirement verdicts."""

import pytest

from matching.indicators import fit, from_structured, make_indicator, name_similarity, parse_text
from matching.units import parse_unit


def one(text: str, **kw: bool):
    found = parse_text(text, **kw)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "name", "comparator", "base", "dimension"),
    [
        ("定位精度≤1μm", "定位精度", "<=", 1e-6, "length"),
        ("良率不低于99.5%", "良率", ">=", 99.5, "ratio"),
        ("续航600 km以上", "续航", ">=", 600_000.0, "length"),
        ("能量密度达到300Wh/kg", "能量密度", ">=", 300.0, "specific_energy"),
        ("寿命超过10000小时", "寿命", ">=", 36_000_000.0, "time"),
        ("粗糙度小于0.5微米", "粗糙度", "<=", 5e-7, "length"),
        ("转移速度不低于每小时50万颗", "转移速度", ">=", 500_000.0, "throughput"),
        ("出水COD稳定在40毫克/升以下", "出水COD", "<=", 40.0, "concentration"),
        ("回差0.6弧分", "回差", "=", 0.6, "angle"),
        ("频率温度系数6 ppm/℃", "频率温度系数", "=", 6.0, "tempco"),
        ("弯折10万次", "弯折", "=", 100_000.0, "cycles"),
        ("循环寿命8000周", "循环寿命", "=", 8000.0, "cycles"),
    ],
)
def test_parse_text(text: str, name: str, comparator: str, base: float, dimension: str) -> None:
    ind = one(text)
    assert (ind.name, ind.comparator, ind.dimension) == (name, comparator, dimension)
    assert ind.base == pytest.approx(base)


def test_range_and_negative_values() -> None:
    ind = one("温度范围-40~85℃")
    assert ind.comparator == "range"
    assert (ind.base, ind.base_high) == (-40.0, 85.0)
    assert one("零下20摄氏度").base == -20.0


def test_level_words_are_bounds() -> None:
    ind = one("纳米级")
    assert ind.comparator == "<=" and ind.dimension == "length" and ind.base <= 1e-6


def test_need_text_keeps_only_explicit_bounds() -> None:
    found = parse_text("在85℃下存放1000小时后，漏检率不高于0.1%", require_comparator=True)
    assert [(i.name, i.comparator) for i in found] == [("漏检率", "<=")]


def test_plus_minus_is_a_bound_for_needs_and_a_value_for_claims() -> None:
    assert one("纠偏精度±0.3 mm", require_comparator=True).comparator == "<="
    assert one("纠偏精度±0.3 mm").comparator == "="


def test_baseline_figure_is_skipped() -> None:
    found = parse_text("房颤假报警率由21%降至3.6%")
    assert [i.value for i in found] == [3.6]


def test_better_than_follows_the_quantity() -> None:
    assert one("空间分辨率优于2微米", require_comparator=True).comparator == "<="
    assert one("抓取成功率优于99%", require_comparator=True).comparator == ">="


@pytest.mark.parametrize(
    ("spellings", "base"),
    [
        (["nm", "纳米"], 1e-9),
        (["μm", "um", "µm", "微米"], 1e-6),
        (["mm", "毫米"], 1e-3),
        (["km", "公里"], 1e3),
        (["h", "小时"], 3600.0),
        (["Wh/kg", "瓦时/千克"], 1.0),
        (["ppm/K", "ppm/℃"], 1.0),
        (["GS/s", "GSps"], 1e9),
        (["MPa", "兆帕"], 1e6),
        (["mg/L", "毫克/升"], 1.0),
        (["arcmin", "弧分", "角分"], 1.0),
    ],
)
def test_unit_spellings_share_a_base(spellings: list[str], base: float) -> None:
    units = [parse_unit(s) for s in spellings]
    assert len({u.dimension for u in units}) == 1
    assert all(u.factor == pytest.approx(base) for u in units)


def test_unknown_units_compare_with_themselves() -> None:
    assert parse_unit("元/吨").dimension == parse_unit("元/吨").dimension == "unit:元/吨"
    assert parse_unit("").dimension == "none"


def test_structured_indicators_accept_strings() -> None:
    [a, b] = from_structured(
        [
            {"name": "定位精度", "comparator": "<=", "value": "1", "unit": "μm"},
            {"name": "刚度", "comparator": ">=", "value": "3e-6", "unit": ""},
            {"name": "坏值", "comparator": ">=", "value": "n/a", "unit": ""},
        ]
    )
    assert a.base == pytest.approx(1e-6) and b.value == pytest.approx(3e-6)


def test_direction_of_an_upper_bound() -> None:
    need = [make_indicator("定位精度", "<=", 1, "μm")]
    good = fit(need, [make_indicator("定位精度", "=", 500, "nm")])
    bad = fit(need, [make_indicator("定位精度", "=", 10, "μm")])
    assert good.matches[0].status == "met" and good.score == 1.0
    assert bad.matches[0].status == "missed" and bad.score == -1.0
    assert good.matches[0].explain() == "定位精度 要求≤1 μm，成果 500 nm，满足"
    assert bad.matches[0].explain() == "定位精度 要求≤1 μm，成果 10 μm，未满足"


def test_direction_of_a_lower_bound_across_units() -> None:
    need = [make_indicator("续航里程", ">=", 600, "km")]
    assert fit(need, [make_indicator("续航里程", "=", 650, "公里")]).met == 1
    assert fit(need, [make_indicator("续航里程", "=", 500000, "m")]).missed == 1


def test_range_requirement_must_be_covered() -> None:
    need = [make_indicator("工作温度", "range", -40, "℃", high=85)]
    assert fit(need, [make_indicator("工作温度", "range", -45, "℃", high=105)]).met == 1
    assert fit(need, [make_indicator("工作温度", "range", -20, "℃", high=85)]).missed == 1


def test_error_band_claim_uses_its_magnitude() -> None:
    need = [make_indicator("纠偏精度", "<=", 0.3, "mm")]
    claims = parse_text("跟踪精度±0.5毫米")
    assert fit(need, claims).missed == 1


def test_pairing_needs_same_dimension_and_a_similar_name() -> None:
    need = [make_indicator("定位精度", "<=", 1, "μm")]
    assert fit(need, [make_indicator("定位精度", "=", 0.5, "s")]).matches[0].claim is None
    assert fit(need, [make_indicator("晶圆厚度", "=", 0.5, "μm")]).matches[0].claim is None
    unknown = fit(need, [])
    assert unknown.matches[0].status == "unknown" and unknown.score == 0.0
    assert "成果未给出" in unknown.matches[0].explain()


def test_specific_units_pair_without_a_matching_name() -> None:
    need = [make_indicator("能量密度", ">=", 350, "Wh/kg")]
    assert fit(need, [make_indicator("电芯指标", "=", 360, "瓦时/千克")]).met == 1


def test_fit_score_counts_met_minus_missed() -> None:
    need = [
        make_indicator("良率", ">=", 99, "%"),
        make_indicator("节拍", "<=", 20, "秒"),
        make_indicator("寿命", ">=", 5, "年"),
    ]
    claims = [make_indicator("良率", "=", 99.5, "%"), make_indicator("节拍", "=", 30, "s")]
    result = fit(need, claims)
    assert (result.met, result.missed) == (1, 1)
    assert result.score == 0.0


def test_name_similarity() -> None:
    assert name_similarity("良率", "转移良率") == 1.0
    assert name_similarity("纠偏精度", "跟踪精度") >= 0.6
    assert name_similarity("定位精度", "能量密度") < 0.5


def test_a_shared_vague_head_does_not_make_the_same_quantity() -> None:
    """The demo's "细胞株构建周期 要求≤4月，成果 3天，满足" for a stripping-liquid test method."""
    need = [make_indicator("细胞株构建周期", "<=", 4, "月")]
    stripping = [make_indicator("评价周期", "=", 3, "天")]
    result = fit(need, stripping)
    assert result.matches[0].claim is None and result.matches[0].status == "unknown"
    assert "3天" not in result.matches[0].explain()
    assert fit(need, [make_indicator("构建周期", "=", 3, "月")]).met == 1
    assert name_similarity("检测时间", "导入时间") < 0.5
    assert name_similarity("时间", "单件检测时间") < 0.5


def test_different_dimensions_never_pair_even_with_the_same_name() -> None:
    need = [make_indicator("周期", "<=", 4, "月")]
    assert fit(need, [make_indicator("周期", "=", 3, "次")]).matches[0].claim is None


def test_numbers_and_units_are_written_for_people() -> None:
    need = [make_indicator("水汽透过率", "<=", 1e-6, "g/(m²·day)")]
    claim = [make_indicator("水汽透过率", "=", 5e-7, "g/m2/day")]
    line = fit(need, claim).matches[0].explain()
    assert line == "水汽透过率 要求≤1×10⁻⁶ g/(m²·d)，成果 5×10⁻⁷ g/(m²·d)，满足"
    assert "e-0" not in line
    assert make_indicator("温度", "range", -40, "℃", 85).display() == "-40~85 ℃"
