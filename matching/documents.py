"""The posting as the matcher sees it: :class:`Doc`, plus the 13-field taxonomy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, Literal

from matching.indicators import Indicator, from_structured, parse_text

__all__ = ["FIELDS", "Doc", "normalise_field"]

# code → Chinese display name (the fixed taxonomy of 所属领域)
FIELDS: dict[str, str] = {
    "display": "新型显示",
    "semiconductor": "半导体与集成电路",
    "intelligent_manufacturing": "智能制造与机器人",
    "high_end_equipment": "高端装备",
    "nev": "新能源汽车",
    "battery_storage": "动力电池与储能",
    "biomedicine": "生物医药",
    "medical_devices": "医疗器械",
    "new_materials": "新材料",
    "electronics_communication": "电子信息与通信",
    "ai_software": "人工智能与软件",
    "energy_environment": "节能环保",
    "advanced_computing": "先进计算",
}
_BY_NAME = {name: code for code, name in FIELDS.items()}


def normalise_field(value: str | None) -> str:
    """Field code for a code or a Chinese name; unknown values pass through stripped."""
    text = (value or "").strip()
    if text in FIELDS:
        return text
    return _BY_NAME.get(text, text.lower())


DocKind = Literal["need", "capability"]


@dataclass
class Doc:
    """A need or a capability, reduced to what matching uses.

    ``indicators`` takes ``{name, comparator, value, unit}`` records or parsed
    :class:`Indicator` objects; for a need they are requirements, for a
    capability achieved figures.  ``kind`` defaults to "need" when any of the
    three need parts is given.
    """

    id: int | str
    title: str
    description: str = ""
    field: str = ""
    problem: str = ""
    key_difficulty: str = ""
    expected_goal: str = ""
    keywords: list[str] = dc_field(default_factory=list)
    indicators: list[Any] = dc_field(default_factory=list)
    org: str | None = None
    kind: DocKind | None = None

    def __post_init__(self) -> None:
        if self.kind is None:
            has_parts = self.problem or self.key_difficulty or self.expected_goal
            self.kind = "need" if has_parts else "capability"
        self.field_code = normalise_field(self.field)
        self._parsed: list[Indicator] | None = None

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any], kind: DocKind | None = None) -> Doc:
        """Build from a JSON-like record (unknown keys are ignored)."""
        return cls(
            id=row["id"],
            title=str(row.get("title") or ""),
            description=str(row.get("description") or ""),
            field=str(row.get("field") or ""),
            problem=str(row.get("problem") or ""),
            key_difficulty=str(row.get("key_difficulty") or ""),
            expected_goal=str(row.get("expected_goal") or ""),
            keywords=[str(k) for k in row.get("keywords") or []],
            indicators=list(row.get("indicators") or []),
            org=row.get("org"),
            kind=kind,
        )

    @property
    def body(self) -> str:
        """The description, or the need's three parts joined when it is empty."""
        if self.description:
            return self.description
        return "".join(p for p in (self.problem, self.key_difficulty, self.expected_goal) if p)

    def dense_text(self) -> str:
        """Text for the embedding model: title then body."""
        return f"{self.title}。{self.body}" if self.body else self.title

    def lexical_text(self) -> str:
        """Text for BM25: the title twice (a BM25F-style title boost), keywords, body."""
        return " ".join([self.title, self.title, " ".join(self.keywords), self.body])

    def char_text(self) -> str:
        """Text for character-bigram BM25: title and body (measured: a doubled title and the
        keywords do not help there)."""
        return f"{self.title} {self.body}"

    def parsed_indicators(self) -> list[Indicator]:
        """Structured indicators, else those found in the text.

        A need without structured indicators keeps only explicit bounds; a
        capability also keeps bare figures found in its text.
        """
        if self._parsed is None:
            structured = [i for i in self.indicators if isinstance(i, Indicator)]
            structured += from_structured(i for i in self.indicators if isinstance(i, Mapping))
            if self.kind == "need":
                self._parsed = structured or parse_text(
                    f"{self.title}。{self.body}", require_comparator=True
                )
            else:
                self._parsed = _merge(structured, parse_text(f"{self.title}。{self.body}"))
        return self._parsed


def _merge(first: Sequence[Indicator], extra: Sequence[Indicator]) -> list[Indicator]:
    """``first`` plus those of ``extra`` not already there (same dimension and value)."""
    out = list(first)
    for ind in extra:
        if not any(
            o.dimension == ind.dimension and abs(o.base - ind.base) <= 1e-9 + 1e-3 * abs(o.base)
            for o in out
        ):
            out.append(ind)
    return out
