"""Quantified indicators: parse them, normalise units, and check claims against requirements.

A need's indicator is a *requirement* ("定位精度 ≤ 1 μm"); a capability's is a
*claim* ("定位精度 0.5 μm").  Each requirement is paired with the claim of the
same dimension whose name is most alike, and scored met / missed / unknown.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from matching.units import UNIT_PATTERN, display_unit, format_number, parse_unit

__all__ = [
    "Indicator",
    "IndicatorFit",
    "IndicatorMatch",
    "fit",
    "from_structured",
    "make_indicator",
    "name_similarity",
    "parse_text",
]

Comparator = Literal[">=", "<=", ">", "<", "=", "range"]
Status = Literal["met", "missed", "unknown"]

_COMPARATORS = {">=", "<=", ">", "<", "=", "range"}
_SYMBOL = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "", "range": ""}
# Dimensions so specific that the unit alone identifies the quantity.
_SPECIFIC = {
    "specific_energy",
    "energy_density_vol",
    "specific_capacity",
    "sample_rate",
    "data_rate",
    "tempco",
    "concentration",
    "air_concentration",
    "angle",
    "throughput",
    "thermal_conductivity",
    "viscosity",
    "per_case",
    "sound_level",
    "bits",
    "ops",
    "flow_daily",
    "transmission_rate",
}
_REL_TOL = 1e-6


@dataclass(frozen=True)
class Indicator:
    """One quantity with a comparator; ``base``/``base_high`` are in the dimension's base unit."""

    name: str
    comparator: Comparator
    value: float
    unit: str
    dimension: str
    base: float
    base_high: float | None = None  # upper end of a range
    text: str = ""

    def display(self) -> str:
        """Human form, e.g. "≤1 μm" or "-40~85 ℃"."""
        unit = f" {display_unit(self.unit)}" if self.unit else ""
        if self.comparator == "range" and self.base_high is not None:
            scale = self.value / self.base if self.base else 1.0
            return f"{_fmt(self.value)}~{_fmt(self.base_high * scale)}{unit}"
        return f"{_SYMBOL[self.comparator]}{_fmt(self.value)}{unit}"


@dataclass(frozen=True)
class IndicatorMatch:
    """One requirement, the claim paired with it (if any) and the verdict."""

    requirement: Indicator
    claim: Indicator | None
    status: Status

    def explain(self) -> str:
        """Chinese one-liner: "定位精度 要求≤1 μm，成果 0.5 μm，满足"."""
        req = f"{self.requirement.name} 要求{self.requirement.display()}"
        if self.claim is None:
            return f"{req}，成果未给出"
        verdict = {"met": "满足", "missed": "未满足", "unknown": "无法判断"}[self.status]
        return f"{req}，成果 {self.claim.display()}，{verdict}"


@dataclass(frozen=True)
class IndicatorFit:
    """All requirement verdicts for one need × capability pair."""

    matches: tuple[IndicatorMatch, ...] = field(default_factory=tuple)

    @property
    def met(self) -> int:
        """Requirements met."""
        return sum(m.status == "met" for m in self.matches)

    @property
    def missed(self) -> int:
        """Requirements missed."""
        return sum(m.status == "missed" for m in self.matches)

    @property
    def score(self) -> float:
        """(met − missed) / requirements, in [-1, 1]; 0 when nothing is checked."""
        if not self.matches:
            return 0.0
        return (self.met - self.missed) / len(self.matches)


def _fmt(x: float) -> str:
    return format_number(x)


def make_indicator(
    name: str, comparator: str, value: float, unit: str, high: float | None = None, text: str = ""
) -> Indicator:
    """Build an indicator, normalising the unit to its dimension's base."""
    u = parse_unit(unit)
    comp = comparator if comparator in _COMPARATORS else "="
    return Indicator(
        name=name.strip(),
        comparator=comp,  # type: ignore[arg-type]
        value=value,
        unit=u.symbol,
        dimension=u.dimension,
        base=value * u.factor,
        base_high=None if high is None else high * u.factor,
        text=text,
    )


_NUM = r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_RANGE_NUM = re.compile(rf"^\s*({_NUM})\s*[~～至到]\s*({_NUM})\s*$")


def from_structured(items: Iterable[Mapping[str, Any]]) -> list[Indicator]:
    """Indicators from ``{name, comparator, value, unit}`` records (value may be a string)."""
    out: list[Indicator] = []
    for item in items:
        raw = str(item.get("value", "")).strip()
        comp = str(item.get("comparator", "=")).replace("≥", ">=").replace("≤", "<=")
        rng = _RANGE_NUM.match(raw)
        try:
            if rng:
                out.append(
                    make_indicator(
                        str(item.get("name", "")),
                        "range",
                        float(rng.group(1)),
                        str(item.get("unit") or ""),
                        float(rng.group(2)),
                    )
                )
                continue
            value = float(raw)
        except ValueError:
            continue
        if math.isfinite(value):
            out.append(
                make_indicator(str(item.get("name", "")), comp, value, str(item.get("unit") or ""))
            )
    return out


# --- free text -------------------------------------------------------------------------
_BEFORE_GE = r"不低于|不少于|不小于|不短于|至少|高于|大于|超过|多于|长于|达到|达|≥|>=|>|＞|⩾"
_BEFORE_LE = r"不高于|不超过|不大于|不多于|不长于|低于|小于|少于|短于|控制在|≤|<=|<|＜|⩽"
_AFTER_GE = r"以上|及以上|或以上|以上的"
_AFTER_LE = r"以下|以内|及以下|之内|或以下"
_COUNTERS = r"颗|件|片|个|台|张|种|份|例"
_PER = {"每小时": "/小时", "每分钟": "/分钟", "每秒": "/秒", "每天": "/天"}
# "优于" means ≤ for these quantities and ≥ for the rest.
_LOWER_IS_BETTER = re.compile(
    r"误差|偏差|精度|分辨率|粗糙|损耗|漂移|功耗|能耗|噪声|噪音|时间|节拍|周期|时延|延迟|含量|杂质|"
    r"漏检|误报|误检|过检|泄漏|衰减|波动|成本|电阻|缺陷|回差|间隙|排放|浓度|半径"
)
_TEXT_RE = re.compile(
    rf"(?P<before>{_BEFORE_GE}|{_BEFORE_LE}|±|约|零下|优于|好于)?\s*"
    rf"(?P<per>每小时|每分钟|每秒|每天)?\s*"
    rf"(?P<num>{_NUM})\s*(?:(?P<sep>[~～至到-])\s*(?P<num2>{_NUM}))?\s*"
    rf"(?P<mult>万|亿|千(?![克米瓦伏帕]))?\s*"
    rf"(?P<unit>{UNIT_PATTERN}|{_COUNTERS})?"
    rf"(?P<after>{_AFTER_GE}|{_AFTER_LE})?"
)
_MULT = {"万": 1e4, "亿": 1e8, "千": 1e3}
_LEVEL_WORDS = {
    "纳米级": ("<=", 1.0, "μm"),
    "亚微米级": ("<=", 1.0, "μm"),
    "微米级": ("<=", 10.0, "μm"),
    "亚毫米级": ("<=", 1.0, "mm"),
    "毫米级": ("<=", 10.0, "mm"),
}
_NAME_STOP = re.compile(
    r"(要求|需要|需|希望|期望|达到|实现|提高到|提升至|降至|降到|控制在|稳定在|保持在|可达|达|为|在|"
    rf"的|是|且|并|由|从|{_BEFORE_GE}|{_BEFORE_LE})$"
)
# "由21%降至3.6%": the first figure is the old baseline, not a claim or requirement.
_BASELINE_AFTER = re.compile(
    r"\s*(降至|降到|降低到|降低至|提升至|提升到|提高到|提高至|升至|缩短至|缩短到|"
    r"减少到|减少至|增加到|增加至|减小到|减小至|下降到|下降至)"
)
_BASELINE_NAME = re.compile(
    r"^(进水|原水|进口|入口|原始|处理前|改造前|传统|现有|常规|人工|行业平均|进料)"
)
_NAME_LEAD = re.compile(r"^(要求|希望|期望|需要|能够|并且|使得)+")
_CLAUSE_BREAK = re.compile(r"[，。；;,、：:！？!?（）()\[\]【】\n]|和|及|与|并且")


def _name_before(text: str, start: int) -> str:
    """The quantity's name: the tail of the clause in front of the number."""
    clause = _CLAUSE_BREAK.split(text[max(0, start - 24) : start])[-1]
    pieces = re.sub(rf"{_NUM}\s*({UNIT_PATTERN})?", " ", clause).split()
    for piece in reversed(pieces):  # "假报警率由21%降至3.6%": skip the empty "降至"
        for _ in range(3):
            piece = _NAME_STOP.sub("", piece.strip())
        piece = _NAME_LEAD.sub("", piece)
        if piece:
            return piece[-8:]
    return ""


def parse_text(text: str, require_comparator: bool = False) -> list[Indicator]:
    """Quantities written in Chinese text ("良率不低于99.5%", "温度范围-40~85℃").

    ``require_comparator`` keeps only explicit bounds (for needs, whose bare
    numbers are usually test conditions, not requirements).
    """
    text = unicodedata.normalize("NFKC", text).replace("µ", "μ")
    out: list[Indicator] = []
    for word, (comp, value, unit) in _LEVEL_WORDS.items():
        for m in re.finditer(word, text):
            out.append(
                make_indicator(_name_before(text, m.start()) or word, comp, value, unit, text=word)
            )
    for m in _TEXT_RE.finditer(text):
        unit, before, after = m.group("unit") or "", m.group("before"), m.group("after")
        if not unit and not m.group("mult"):
            continue  # a bare number is too ambiguous to be an indicator
        if _BASELINE_AFTER.match(text, m.end()):
            continue
        name = _name_before(text, m.start())
        if _BASELINE_NAME.match(name):
            continue
        if unit in {"m", "s", "d", "t", "A", "V", "W", "g", "h"} and _latin_follows(text, m):
            continue  # "5 GPa" was caught already; "3 dB" not "3 d"
        value = float(m.group("num")) * _MULT.get(m.group("mult") or "", 1.0)
        high = None
        comp = "="
        if m.group("num2") and m.group("sep"):
            high = float(m.group("num2")) * _MULT.get(m.group("mult") or "", 1.0)
            comp = "range"
        if before == "零下":
            value = -abs(value)
        elif before in ("优于", "好于"):
            comp = "<=" if _LOWER_IS_BETTER.search(name) else ">="
        elif before and re.fullmatch(_BEFORE_GE, before):
            comp = ">="
        elif before and re.fullmatch(_BEFORE_LE, before):
            comp = "<="
        elif before == "±" and require_comparator:
            comp = "<="  # a required "±0.3 mm" bounds the error
        if after and re.fullmatch(_AFTER_GE, after):
            comp = ">="
        elif after and re.fullmatch(_AFTER_LE, after):
            comp = "<="
        if unit == "周" and (value >= 200 or "循环" in text[max(0, m.start() - 12) : m.start()]):
            unit = "周次"  # battery cycles ("8000周"), not weeks
        if m.group("per"):
            unit = unit + _PER[m.group("per")]
        if require_comparator and comp == "=":
            continue
        out.append(make_indicator(name, comp, value, unit, high, text=m.group(0).strip()))
    return out


def _latin_follows(text: str, m: re.Match[str]) -> bool:
    end = m.end()
    return end < len(text) and text[end].isascii() and text[end].isalpha()


# --- pairing and verdicts --------------------------------------------------------------
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")
# Heads too general to identify a quantity by themselves ("导入时间" vs "检测时间").
# They pair only when the words in front of them share something as well ("构建周期" and
# "评价周期" are different quantities even though both are times).
_VAGUE_HEADS = {
    "时间",
    "周期",
    "时长",
    "温度",
    "次数",
    "数量",
    "比例",
    "速度",
    "指标",
    "能力",
    "性能",
    "寿命",
    "效率",
    "厚度",
    "尺寸",
}


@lru_cache(maxsize=1 << 14)
def _grams(name: str) -> frozenset[str]:
    """Character bigrams of a name, cached: a ranking compares the same few hundred names for
    every requirement × claim × candidate (rebuilding them was ~40 % of ranking time)."""
    s = re.sub(r"\s+", "", name.lower())
    grams = frozenset(s[i : i + 2] for i in range(len(s) - 1))
    return grams or (frozenset({s}) if s else frozenset())


def _identity(name: str) -> str:
    return name


@lru_cache(maxsize=1 << 16)
def name_similarity(a: str, b: str) -> float:
    """Overlap coefficient of character bigrams (short names inside long ones score 1).

    Chinese indicator names end in their head word (精度, 距离, 成本), so two
    names ending alike score at least 0.6 ("纠偏精度" ~ "跟踪精度").
    """
    ga, gb = _grams(a), _grams(b)
    if not ga or not gb:
        return 0.0
    overlap = len(ga & gb) / min(len(ga), len(gb))
    a2, b2 = a.strip().lower()[-2:], b.strip().lower()[-2:]
    if len(a2) == 2 and a2 == b2 and _CJK_RE.search(a2):
        if a2 in _VAGUE_HEADS:
            return _qualifier_similarity(a.strip().lower()[:-2], b.strip().lower()[:-2])
        return max(overlap, 0.6)
    return overlap


def _qualifier_similarity(a: str, b: str) -> float:
    """Names with the same vague head: how alike the words in front of it are.

    A bare head ("周期") says nothing about which quantity it is, so it scores below any
    pairing threshold against a qualified one; two bare heads are the same name.
    """
    if not a or not b:
        return 1.0 if a == b else 0.4
    ga, gb = _grams(a), _grams(b)
    return len(ga & gb) / min(len(ga), len(gb))


def _verdict(req: Indicator, claim: Indicator) -> Status:
    lo = claim.base
    hi = claim.base_high if claim.base_high is not None else claim.base
    tol = _REL_TOL * max(abs(req.base), 1e-12)
    if req.comparator == "range":
        if req.base_high is None or claim.base_high is None:
            return "unknown"
        return "met" if lo <= req.base + tol and hi >= req.base_high - tol else "missed"
    if req.comparator in (">=", ">"):
        if claim.comparator in ("<=", "<") and claim.base_high is None:
            return "unknown" if lo >= req.base else "missed"
        value = lo  # a claimed range must meet the bound everywhere
        ok = value >= req.base - tol if req.comparator == ">=" else value > req.base
        return "met" if ok else "missed"
    if req.comparator in ("<=", "<"):
        if claim.comparator in (">=", ">") and claim.base_high is None:
            return "unknown" if hi <= req.base else "missed"
        if req.dimension == "temperature" or req.base < 0 or hi < 0:
            value = hi
        else:
            value = max(abs(lo), abs(hi))  # "±0.15 mm" is an error of 0.15 mm
        ok = value <= req.base + tol if req.comparator == "<=" else value < req.base
        return "met" if ok else "missed"
    return "met" if abs(lo - req.base) <= 0.05 * max(abs(req.base), 1e-12) else "unknown"


def _pair_score(req: Indicator, claim: Indicator, canon: Callable[[str], str]) -> float:
    """How surely ``claim`` measures what ``req`` asks for (0 = not the same quantity)."""
    if req.dimension != claim.dimension:
        return 0.0
    sim = name_similarity(canon(req.name), canon(claim.name))
    if req.dimension in _SPECIFIC or (req.comparator == claim.comparator == "range"):
        return 0.5 + 0.5 * sim
    threshold = 0.75 if req.dimension == "none" else 0.5
    return sim if sim >= threshold else 0.0


def fit(
    requirements: Sequence[Indicator],
    claims: Sequence[Indicator],
    canonical_name: Callable[[str], str] | None = None,
) -> IndicatorFit:
    """Pair each requirement with its best claim and judge it.

    ``canonical_name`` maps synonyms in names to one form before comparing
    them (the matcher passes its analyzer's, so "LWR" meets "线宽粗糙度").
    """
    canon = canonical_name or _identity
    matches: list[IndicatorMatch] = []
    for req in requirements:
        best: Indicator | None = None
        best_score = 0.0
        for claim in claims:
            score = _pair_score(req, claim, canon)
            if score > best_score:
                best, best_score = claim, score
        if best is None:
            matches.append(IndicatorMatch(req, None, "unknown"))
        else:
            matches.append(IndicatorMatch(req, best, _verdict(req, best)))
    return IndicatorFit(tuple(matches))
