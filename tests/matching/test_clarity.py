"""需求明确度: every shipped rule fires on a text that lacks its thing and is silent on a
good one; the score stays in 0–100; a bad rules file is refused with the rule it names."""

import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from matching.clarity import (
    Draft,
    RuleError,
    TokenCounts,
    assess,
    default_signals,
    parse_rules,
)
from matching.lexical import default_analyzer

RULES_FILE = Path(__file__).resolve().parents[2] / "service" / "needs" / "clarity_rules.toml"
RULES = parse_rules(tomllib.loads(RULES_FILE.read_text(encoding="utf-8")))

GOOD = Draft(
    title="动力电池液冷板搅拌摩擦焊焊缝泄漏率偏高",
    problem=(
        "我司为新能源汽车配套的动力电池液冷板采用搅拌摩擦焊，目前批量生产中焊缝氦检泄漏"
        "不合格率约3%，返修成本高，整车厂要求限期整改。"
    ),
    key_difficulty=(
        "已尝试调整主轴转速和下压量，泄漏率只降到2.5%；板材为3003铝合金，厚度1.2mm，"
        "焊缝离流道只有2mm，热输入稍大就变形。"
    ),
    expected_goal=(
        "焊缝氦检漏率不大于1×10⁻⁶ Pa·m³/s，批量不合格率由3%降低到0.5%以下，"
        "液冷板平面度不大于0.3mm，单件节拍不超过90秒。"
    ),
    field="battery_storage",
    keywords=("液冷板", "搅拌摩擦焊", "泄漏"),
    indicators=({"name": "氦检漏率", "comparator": "<=", "value": "1e-6", "unit": "Pa·m³/s"},),
)

# What published capabilities might say (written for this test): the good need's words occur.
CAPABILITIES = [
    "铝合金搅拌摩擦焊工艺与装备，适用于动力电池液冷板、托盘的密封焊接，焊缝氦检合格。",
    "电池包液冷板真空钎焊技术，流道设计与平面度控制，单件节拍短。",
    "主轴转速与下压量在线闭环控制的焊接工艺数据库，减少焊接变形。",
    "激光焊接焊缝缺陷在线检测，泄漏率统计与返修追溯。",
    "高导热绝缘涂层材料，用于储能电池模组热管理。",
] * 4


@pytest.fixture(scope="module")
def corpus() -> TokenCounts:
    analyzer = default_analyzer()
    return TokenCounts.of(analyzer.tokens(text) for text in CAPABILITIES)


def _assess(draft: Draft, corpus: TokenCounts | None = None):
    return assess(draft, RULES, signals=default_signals(), corpus=corpus)


def _rules_fired(draft: Draft, corpus: TokenCounts | None = None) -> set[str]:
    return {h.rule for h in _assess(draft, corpus).hints}


def test_every_shipped_rule_has_a_case_below() -> None:
    assert {r.id for r in RULES} == set(LACKING)


def test_good_text_scores_100_with_no_hints(corpus: TokenCounts) -> None:
    result = _assess(GOOD, corpus)
    assert result.hints == ()
    assert result.score == 100
    assert result.band == "clear"
    assert result.skipped == ()  # every rule could judge it


LACKING: dict[str, tuple[Draft, str]] = {
    # no indicator row and no figure with a unit anywhere
    "no_indicators": (
        replace(
            GOOD,
            indicators=(),
            problem="我司动力电池液冷板采用搅拌摩擦焊，目前批量生产中焊缝氦检时常发现泄漏，返修多，"
            "整车厂要求限期整改。",
            key_difficulty="已尝试调整主轴转速和下压量，泄漏仍然时有发生；板材较薄，焊缝离流道很近，"
            "热输入稍大就变形。",
            expected_goal="焊缝氦检全部合格，批量生产不再出现泄漏返修，液冷板平面度满足整车厂的装配要求。",
        ),
        "indicators",
    ),
    "vague_goal": (
        replace(
            GOOD,
            expected_goal="焊缝氦检漏率不大于1×10⁻⁶ Pa·m³/s；"
            "同时优化焊接工艺，提高生产效率和产品一致性。",
        ),
        "expected_goal",
    ),
    "no_current_state": (
        replace(
            GOOD,
            problem="动力电池液冷板采用搅拌摩擦焊，焊缝氦检泄漏不合格率约3%，返修成本高，"
            "整车厂要求限期整改。",
            key_difficulty="板材为3003铝合金，厚度1.2mm，焊缝离流道只有2mm，热输入稍大就变形，"
            "工艺窗口很窄。",
        ),
        "problem",
    ),
    "part_too_short": (replace(GOOD, key_difficulty=""), "key_difficulty"),
    "too_short": (
        Draft(
            title="液冷板焊缝泄漏攻关",
            problem="目前液冷板搅拌摩擦焊焊缝泄漏率约3%，返修多，需要解决。",
            key_difficulty="焊缝离流道只有2mm，热输入大就变形。",
            expected_goal="泄漏不合格率降到0.5%以下。",
            field="battery_storage",
        ),
        "problem",
    ),
    # a cell-chemistry need filed under 生物医药
    "field_mismatch": (
        replace(
            GOOD,
            title="磷酸铁锂电池低温循环寿命不足",
            problem="我司储能用磷酸铁锂电池目前在-20℃下循环500次后容量保持率只有70%，负极析锂明显。",
            key_difficulty="已尝试更换电解液添加剂，低温循环寿命改善有限，且常温倍率性能下降。",
            expected_goal="-20℃、0.5C循环1000次后容量保持率不低于80%，常温循环寿命不低于6000次。",
            field="biomedicine",
            keywords=("磷酸铁锂", "低温"),
        ),
        "field",
    ),
    "rare_jargon": (
        replace(
            GOOD,
            key_difficulty=GOOD.key_difficulty
            + "厂内QXB线的HWZ工位按ZKP规范抽检，FMQ工装夹紧力偏小。",
        ),
        "key_difficulty",
    ),
}


@pytest.mark.parametrize("rule_id", sorted(LACKING))
def test_each_rule_fires_on_a_text_lacking_its_thing(rule_id: str, corpus: TokenCounts) -> None:
    draft, part = LACKING[rule_id]
    result = _assess(draft, corpus)
    hints = [h for h in result.hints if h.rule == rule_id]
    assert hints, f"{rule_id} did not fire: {result.hints}"
    assert part in {h.part for h in hints}
    assert all(h.message and "{" not in h.message for h in hints)
    assert result.score < 100
    # and it is silent on the good text (every other rule stays as it was there)
    assert rule_id not in _rules_fired(GOOD, corpus)


def test_hints_are_concrete() -> None:
    vague = _assess(LACKING["vague_goal"][0])
    (hint,) = [h for h in vague.hints if h.rule == "vague_goal"]
    assert "“同时优化焊接工艺”只说要优化" in hint.message
    wrong_field = _assess(LACKING["field_mismatch"][0])
    (hint,) = [h for h in wrong_field.hints if h.rule == "field_mismatch"]
    assert "动力电池与储能" in hint.message and "生物医药" in hint.message
    short = _assess(replace(GOOD, key_difficulty="太难"))
    assert any("「技术关键」只有 2 字" in h.message for h in short.hints)


def test_a_number_makes_a_goal_concrete() -> None:
    concrete = replace(
        GOOD, expected_goal="生产效率提高一倍，节拍由180秒缩短到90秒以内，良率提升到99%。"
    )
    assert "vague_goal" not in _rules_fired(concrete)


def test_field_rule_is_silent_when_the_text_fits_the_chosen_field() -> None:
    assert "field_mismatch" not in _rules_fired(replace(GOOD, field="battery_storage"))
    # a field the dictionary does not cover (added by the bureau) is not judged at all
    assert "field_mismatch" in _assess(replace(GOOD, field="marine_tech")).skipped


def test_jargon_rule_needs_a_capability_corpus() -> None:
    draft = LACKING["rare_jargon"][0]
    assert "rare_jargon" in _assess(draft).skipped  # no corpus: left out of the score
    small = TokenCounts.of([["液冷板"]] * 5)
    assert "rare_jargon" in _assess(draft, small).skipped  # too few capabilities to tell


def test_score_stays_in_range(corpus: TokenCounts) -> None:
    empty = _assess(Draft(), corpus)
    assert 0 <= empty.score <= 30
    assert empty.band == "vague"
    for draft, _ in LACKING.values():
        result = _assess(draft, corpus)
        assert 0 <= result.score < 100
    worst = Draft(title="提高", expected_goal="优化，提升，改善", field="biomedicine")
    assert 0 <= _assess(worst, corpus).score <= 100


def test_half_typed_indicators_do_not_break_the_check() -> None:
    draft = replace(
        GOOD,
        indicators=({"name": "漏率", "comparator": "", "value": None, "unit": ""},),
        expected_goal="焊缝不漏。",
        problem="液冷板焊缝会漏。",
        key_difficulty="",
    )
    assert "no_indicators" in _rules_fired(draft)


def _file(**rule: object) -> dict:
    base = {"id": "x1", "kind": "indicators", "weight": 5, "part": "title", "hint": "缺指标"}
    return {"rules": [{**base, **rule}]}


BAD_FILES = [
    ({}, "non-empty"),
    (_file(id="A"), "id"),
    (_file(kind="magic"), "kind"),
    (_file(weight=0), "weight"),
    (_file(part="body"), "part"),
    (_file(hint="no"), "Chinese"),
    (_file(hint="缺{x}"), "placeholders"),
    (_file(kind="total_length"), "min_chars"),
    ({"rules": _file()["rules"] * 2}, "duplicate"),
]


@pytest.mark.parametrize(("data", "says"), BAD_FILES)
def test_bad_rules_are_refused(data: dict, says: str) -> None:
    with pytest.raises(RuleError, match=says):
        parse_rules(data)
