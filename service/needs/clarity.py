"""需求明确度: the clarity of a need while it is written and when it is submitted.

The rules are data (`clarity_rules.toml`), read and validated when this module is imported,
so a bad file stops the start with the rule it names. The text checks are pure
(`matching.clarity`); this module feeds them what only the service knows: the active 所属领域
names, the words the published capabilities use (from the keyword index in the database,
once the engine has loaded), and the preview 「目前平台上有 N 项成果与之高度匹配」 ranked by
the matching engine.
"""

import logging
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path

from sqlalchemy.orm import Session

from matching.clarity import (
    BANDS,
    PARTS,
    Clarity,
    Draft,
    Rule,
    RuleError,
    assess,
    band,
    default_signals,
    parse_rules,
)
from matching.documents import Doc
from matching.model import BAND_THRESHOLDS
from service.engine import repository as engine_repository
from service.engine import service as engine
from service.engine.keywords import DatabaseKeywords
from service.engine.store import IndexStore, loaded_store
from service.fields import repository as fields
from service.kit.errors import Forbidden
from service.models import Capability, Need, User
from service.models.enums import CapabilityStatus, Role
from service.needs.schemas import ClarityCheck, ClarityHint, ClarityRead, MatchPreview, NeedDraft
from service.postings.schemas import NUMBER

log = logging.getLogger("jiebang.clarity")

RULES_FILE = Path(__file__).with_name("clarity_rules.toml")
PREVIEW_LIMIT = 200  # ranked capabilities the preview counts among (the 高 band is a prefix)


def load_rules(path: Path = RULES_FILE) -> list[Rule]:
    """The rules of `path`, validated (RuleError names the faulty rule)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RuleError(f"{path.name}: {exc}") from exc
    return parse_rules(data)


RULES = load_rules()  # at import, i.e. at start: a bad rules file stops the service


# The rules ask of the corpus size only whether it reaches a rule's `min_docs`.
_ENOUGH_DOCS = max((int(r.params.get("min_docs", 0)) for r in RULES), default=0)
_PUBLISHED = Capability.status == CapabilityStatus.published


class _PublishedVocabulary:
    """Document counts over the published capabilities, read per term from the keyword index
    in the database: a text's few candidate terms cost a few bounded reads, whatever the
    number of capabilities (reading every published id and each term's whole holder set took
    15–60 s per submit at 1M, `matching/BENCHMARKS.md` §13–§14).

    `df`: the published among a term's head (`keyword_heads`, kept by every write), which
    holds every holder of a term in at most HEAD postings, so the count is exact there. A
    longer list counts the published among its HEAD best, a lower bound that is 0 only when
    none of those is published: then the whole list is checked, so `df == 0` (what the rule
    asks) is always exact. `len`: the published capabilities counted up to the largest
    `min_docs` of the rules (the only question asked of it)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.keywords = DatabaseKeywords("capability", session)
        self._size: int | None = None
        self._df: dict[str, int] = {}

    def __len__(self) -> int:
        if self._size is None:
            self._size = engine_repository.count_where(
                self.session, "capability", _PUBLISHED, at_most=_ENOUGH_DOCS
            )
        return self._size

    def df(self, term: str) -> int:
        if term not in self._df:
            df, head = self.keywords.head_holders(term)
            count = len(self._published(head))
            if not count and len(head) < df:  # a long list whose best holders are unpublished
                count = len(self._published(self.keywords.holders(term)))
            self._df[term] = count
        return self._df[term]

    def _published(self, ids: set[int]) -> set[int]:
        return engine_repository.allowed_among(self.session, "capability", ids, [_PUBLISHED])


class _ActiveFieldNames(Mapping[str, str]):
    """Active 所属领域 code → name, read on first use (only a field suggestion needs them)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._names: dict[str, str] | None = None

    def _load(self) -> dict[str, str]:
        if self._names is None:
            self._names = {f.code: f.name for f in fields.listed(self.session)}
        return self._names

    def __getitem__(self, code: str) -> str:
        return self._load()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


def _vocabulary(session: Session, store: IndexStore | None) -> _PublishedVocabulary | None:
    if store is None or not store.loaded.is_set():
        return None  # the jargon rule is then not applicable (left out of the score)
    return _PublishedVocabulary(session)


def _complete(indicator: object) -> bool:
    """An indicator row filled far enough to rank with (name, comparator, numeric value)."""
    if not isinstance(indicator, dict):
        return False
    value = str(indicator.get("value") or "")
    return (
        bool(indicator.get("name"))
        and bool(indicator.get("comparator"))
        and bool(NUMBER.match(value))
    )


def _draft(data: NeedDraft | Need) -> Draft:
    field = data.field if isinstance(data, NeedDraft) else data.field_code
    return Draft(
        title=data.title or "",
        problem=data.problem or "",
        key_difficulty=data.key_difficulty or "",
        expected_goal=data.expected_goal or "",
        field=field or "",
        keywords=tuple(data.keywords or ()),
        indicators=tuple(
            i.model_dump() if hasattr(i, "model_dump") else dict(i) for i in data.indicators or ()
        ),
    )


def _assess(session: Session, draft: Draft, store: IndexStore | None) -> Clarity:
    return assess(
        draft,
        RULES,
        signals=default_signals(),
        corpus=_vocabulary(session, store),
        field_names=_ActiveFieldNames(session),
    )


def present(clarity: Clarity) -> ClarityRead:
    return ClarityRead(
        score=clarity.score,
        band=clarity.band,
        band_label=BANDS[clarity.band][1],
        hints=[
            ClarityHint(rule=h.rule, message=h.message, part=h.part, part_label=PARTS[h.part])
            for h in clarity.hints
        ],
    )


def stored(need: Need) -> ClarityRead | None:
    """The clarity stored on the need's last submit (None before any)."""
    if need.clarity_score is None:
        return None
    name = band(need.clarity_score)
    return ClarityRead(
        score=need.clarity_score,
        band=name,
        band_label=BANDS[name][1],
        hints=[
            ClarityHint(
                rule=h.get("rule", ""),
                message=h.get("message", ""),
                part=h.get("part", ""),
                part_label=PARTS.get(h.get("part", ""), ""),
            )
            for h in need.clarity_hints or []
        ],
    )


def match_preview(
    session: Session, store: IndexStore, draft: Draft, org_id: int | None
) -> MatchPreview:
    """How many published capabilities (not the caller's organisation's) the engine puts in
    the 高 band for the draft; says so plainly when the engine cannot tell yet."""
    if not store.loaded.is_set():
        return MatchPreview(
            ready=False, count=None, message="匹配引擎正在启动，暂时无法预估高度匹配的成果数量"
        )
    if not (draft.title.strip() or draft.text().strip()):
        return MatchPreview(ready=True, count=0, message="填写需求名称和内容后显示匹配成果数量")
    conditions = [Capability.status == CapabilityStatus.published]
    if org_id is not None:
        conditions.append(Capability.org_id != org_id)
    doc = Doc(
        id="draft",
        title=draft.title,
        problem=draft.problem,
        key_difficulty=draft.key_difficulty,
        expected_goal=draft.expected_goal,
        field=draft.field,
        keywords=list(draft.keywords),
        indicators=[i for i in draft.indicators if _complete(i)],
        org=str(org_id) if org_id is not None else None,
        kind="need",
    )
    try:
        store.ensure_current(session)
        matches = engine.rank_draft(session, store, doc, conditions, k=PREVIEW_LIMIT)
    except Exception:  # an advisory figure: a failing model must not fail the form
        log.exception("clarity preview failed")
        return MatchPreview(
            ready=False, count=None, message="匹配引擎暂时不可用，无法预估高度匹配的成果数量"
        )
    count = sum(1 for m in matches if m.score >= BAND_THRESHOLDS["high"])
    return MatchPreview(ready=True, count=count, message=f"目前平台上有 {count} 项成果与之高度匹配")


def require_writer(user: User) -> None:
    if user.role not in (Role.enterprise, Role.admin):
        raise Forbidden(
            "仅企业用户和管理员可以使用需求明确度评估",
            "Enterprise users and admins only",
            code="wrong_role",
        )


def check(
    session: Session, user: User, data: NeedDraft, store: IndexStore, *, preview: bool = True
) -> ClarityCheck:
    """The live panel: score, hints and (unless `preview` is off: the panel asks for the
    score first, so typing never waits for the engine) the match preview."""
    require_writer(user)
    draft = _draft(data)
    result = present(_assess(session, draft, store))
    if not preview:
        return ClarityCheck(**result.model_dump(), preview=None)
    org_id = user.org_id if user.role == Role.enterprise else None
    return ClarityCheck(**result.model_dump(), preview=match_preview(session, store, draft, org_id))


def stamp(session: Session, need: Need) -> None:
    """On submit: assess the need as submitted and keep the score and hints on it."""
    clarity = _assess(session, _draft(need), loaded_store())
    need.clarity_score = clarity.score
    need.clarity_hints = [
        {"rule": h.rule, "message": h.message, "part": h.part} for h in clarity.hints
    ]
