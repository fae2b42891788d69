"""Reason lines: Chinese, evidence a reader can check, no raw similarity."""

from matching.indicators import fit, make_indicator
from matching.reasons import reasons


def test_reasons_name_the_evidence_in_chinese() -> None:
    ind = fit(
        [make_indicator("水汽透过率", "<=", 1e-6, "g/(m²·day)")],
        [make_indicator("水汽透过率", "=", 5e-7, "g/(m²·day)")],
    )
    lines = reasons(("薄膜封装", "水汽"), ind, "display", {"semantic": 40.0, "keyword": 12.5})
    assert lines == (
        "描述的问题与技术内容相近",
        "共同关键词：薄膜封装、水汽",
        "水汽透过率 要求≤1×10⁻⁶ g/(m²·d)，成果 5×10⁻⁷ g/(m²·d)，满足",
        "同属领域：新型显示",
    )


def test_unpaired_requirements_and_other_fields_are_not_reasons() -> None:
    ind = fit(
        [make_indicator("细胞株构建周期", "<=", 4, "月")],
        [make_indicator("评价周期", "=", 3, "天")],
    )
    assert reasons((), ind, None, {"keyword": 0.0}) == ()
