"""Duplicate scoring on crafted pairs, the judged set's shape, and `eval-duplicates`."""

from pathlib import Path

import pytest

from matching import cli
from matching.documents import Doc
from matching.duplicates import (
    THRESHOLD,
    char_overlap,
    choose_threshold,
    load_pairs,
    number_agreement,
    number_gate,
    score_pair,
    score_pairs,
    split_halves,
)
from matching.embedders import HashEmbedder
from matching.ranking import encode_postings

PAIRS = Path(__file__).resolve().parents[2] / "eval" / "duplicates" / "pairs.jsonl"


def need(title: str, problem: str, goal: str) -> Doc:
    return Doc(id=title, title=title, problem=problem, expected_goal=goal, kind="need")


SPINDLE = need(
    "数控机床主轴热变形导致加工尺寸漂移",
    "立式加工中心连续加工2小时后，Z向尺寸漂移约25μm，零件批量超差。车间没有恒温。",
    "建立热误差补偿模型，连续加工8小时内Z向漂移控制在5μm以内。",
)
SPINDLE_REWORDED = need(
    "加工中心热误差补偿",
    "我公司立加开机后连续干2个小时，Z轴方向尺寸会漂0.025mm，导致零件成批超差。厂房不是恒温车间。",
    "希望通过热误差建模与补偿，使8h连续加工过程中Z向漂移不超过0.005mm。",
)
SPINDLE_GANTRY = need(
    "数控机床主轴热变形导致加工尺寸漂移",
    "龙门加工中心连续加工4小时后，Z向尺寸漂移约60μm，零件批量超差。车间没有恒温。",
    "建立热误差补偿模型，连续加工16小时内Z向漂移控制在15μm以内。",
)
SPINDLE_VIBRATION = need(
    "加工中心主轴高速振动大",
    "主轴转速超过12000rpm时振动明显，加工铝件表面出现振纹，粗糙度达不到要求。",
    "振动速度有效值低于1mm/s，表面粗糙度Ra≤0.8μm。",
)


def test_a_paraphrase_with_units_written_otherwise_is_a_duplicate() -> None:
    numbers, differing = number_agreement(SPINDLE, SPINDLE_REWORDED)
    assert numbers == 1.0  # 25 μm = 0.025 mm, 5 μm = 0.005 mm, 2 小时 = 2个小时, 8 小时 = 8h
    assert differing == ()
    score = score_pair(SPINDLE, SPINDLE_REWORDED, cosine=0.978)
    assert score.likely_duplicate
    assert 0.1 < score.char < 0.6  # reworded: few bigrams in common, yet flagged


def test_the_same_problem_with_other_figures_is_not_a_duplicate() -> None:
    score = score_pair(SPINDLE, SPINDLE_GANTRY, cosine=0.995)
    assert score.char > 0.9  # nearly the same words …
    assert score.numbers == 0.0  # … but none of the figures
    assert not score.likely_duplicate
    assert score.similarity == 0.0
    assert any("25μm" in d and "60μm" in d for d in score.differing)


def test_the_same_topic_with_another_problem_is_not_a_duplicate() -> None:
    score = score_pair(SPINDLE, SPINDLE_VIBRATION, cosine=0.93)
    assert score.char < 0.2
    assert not score.likely_duplicate


def test_without_figures_words_and_meaning_decide() -> None:
    a = need(
        "仓库AGV经常互相等待",
        "多台AGV在窄通道互相等待甚至死锁，搬运效率下降明显。",
        "希望优化调度算法避免死锁。",
    )
    b = need(
        "AGV调度死锁问题",
        "仓库里多台AGV在狭窄通道互相等待，甚至出现死锁，搬运效率明显下降。",
        "寻求避免死锁的调度算法。",
    )
    assert number_agreement(a, b) == (None, ())
    assert number_gate(None) == 1.0
    assert score_pair(a, b, cosine=0.975).likely_duplicate
    assert not score_pair(a, b, cosine=0.86).likely_duplicate  # same words, meaning far apart


def test_powers_of_ten_are_read_as_one_figure() -> None:
    a = Doc(id=1, title="CHO细胞密度", description="活细胞密度1.2×10^7个/mL，滴度2g/L。")
    b = Doc(id=2, title="CHO细胞密度", description="活细胞密度1.2e7个/mL，滴度2g/L。")
    c = Doc(id=3, title="CHO细胞密度", description="活细胞密度3.5×10^7个/mL，滴度2g/L。")
    assert number_agreement(a, b)[0] == 1.0
    assert number_agreement(a, c)[0] == 0.5


def test_char_overlap_is_symmetric_and_bounded() -> None:
    assert char_overlap(SPINDLE, SPINDLE) == 1.0
    assert char_overlap(SPINDLE, SPINDLE_REWORDED) == char_overlap(SPINDLE_REWORDED, SPINDLE)
    empty = Doc(id=0, title="")
    assert char_overlap(SPINDLE, empty) == 0.0


def test_the_judged_set_has_three_kinds_of_pairs_in_two_stratified_halves() -> None:
    pairs = load_pairs(PAIRS)
    assert len(pairs) >= 60
    by_cat = {c: [p for p in pairs if p.category == c] for c in {p.category for p in pairs}}
    assert set(by_cat) == {"paraphrase", "different_problem", "different_numbers"}
    assert all(len(v) >= 20 for v in by_cat.values())
    assert all(p.duplicate == (p.category == "paraphrase") for p in pairs)
    assert {p.a.kind for p in pairs} == {"need", "capability"}
    tune, report = split_halves(pairs)
    assert not set(tune) & set(report)
    assert set(tune) | set(report) == {p.id for p in pairs}
    for members in by_cat.values():
        ids = {p.id for p in members}
        assert abs(len(ids & set(tune)) - len(ids & set(report))) <= 1


def test_the_threshold_rule_prefers_the_stricter_of_equal_thresholds() -> None:
    pairs = load_pairs(PAIRS)[:4]
    scores = score_pairs(pairs, lambda docs: encode_postings(HashEmbedder(), docs))
    chosen = choose_threshold(pairs, scores, [p.id for p in pairs])
    assert 0.2 <= chosen <= 0.8
    assert 0.0 < THRESHOLD < 1.0


def test_eval_duplicates_prints_precision_recall_and_a_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["eval-duplicates", "--pairs", str(PAIRS), "--embedder", "hash", "--cache-dir", ""]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert f"shipped threshold {THRESHOLD:.2f}" in out
    assert "report half (held out)" in out and "precision" in out and "recall" in out
    assert "← shipped" in out
    assert "different_numbers" in out and "paraphrase" in out
