"""Demo matches in every state (service/demo/matches.json), walked through the real services.

Each row names a demo need and capability whose texts really match and the state it should
reach; brokers approve, recommend, connect and close them as they would in the app, so every
match has a true history and the broker records and statistics add up. A candidate the
engine already proposed for the pair is reused; otherwise the candidate is made here with
lexical, indicator and field scores from the matching library (no embedding model at seed
time: encoding the demo takes minutes on a small machine), so its semantic evidence is 0 until
the engine re-scores the pairs still awaiting review after `jiebang reindex`. Reasons are the
engine's own lines (`matching.reasons`), with nothing demo-specific shown to users.
"""

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.ranking import Matcher
from service.engine.documents import to_doc
from service.engine.service import Recommendation, recommendation
from service.kit.actions import TransitionIn
from service.matches import repository
from service.matches import service as matches
from service.matches.lifecycle import MATCH_MACHINE
from service.matches.schemas import DealIn, MatchCreate, MatchNoteIn
from service.models import Capability, Match, Need, User
from service.models.enums import CapabilityStatus, MatchOrigin, MatchStatus, NeedStatus, Role
from service.needs import service as needs
from service.users import service as users
from service.users.schemas import UserCreate

DEMO_FILE = Path(__file__).resolve().parent / "matches.json"
SECOND_BROKER = {"username": "broker2", "display_name": "钱雨婷", "phone": "13912345678"}


def load(session: Session, password: str) -> int:
    """Create the demo matches; returns how many."""
    rows: list[dict[str, Any]] = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    brokers = _brokers(session, password)
    needs = {n.title: n for n in session.scalars(select(Need))}
    caps = {c.title: c for c in session.scalars(select(Capability))}
    scorer = _Scorer(session)
    deals = []
    for row in rows:
        need, cap = needs[row["need"]], caps[row["capability"]]
        broker = brokers.get(row.get("broker", "broker"))
        match_id = _walk(session, row, need, cap, broker, scorer)
        if match_id is not None and broker is not None:
            deals.append((row, need, match_id, broker))
    for row, need, match_id, broker in deals:  # once every other row has used the needs
        _sign(session, row, need, match_id, broker)
    return len(rows)


# The enterprise withdraws a need it found its partner for through a broker: a deal is
# signed only once the need's 揭榜 round is over (service/matches: jiebang_round_active).
WITHDRAW_REASON = "已通过技术经纪人对接到合作单位并进入签约，撤回榜单"


def _sign(session: Session, row: dict[str, Any], need: Need, match_id: int, broker: User) -> None:
    if need.status == NeedStatus.published:
        owner = _side_user(session, need.org_id, Role.enterprise)
        needs.transition(session, owner, need.id, "withdraw", TransitionIn(reason=WITHDRAW_REASON))
    value = Decimal(row["contract_value_wan"])
    matches.transition(session, broker, match_id, "deal", DealIn(contract_value_wan=value))


def _brokers(session: Session, password: str) -> dict[str, User]:
    """The demo's broker plus a colleague at the same agency, so the leaderboard has two."""
    broker = session.scalar(select(User).where(User.username == "broker"))
    if broker is None:
        raise ValueError("demo users.json needs the user 'broker'")
    colleague = users.create(
        session,
        UserCreate(
            username=SECOND_BROKER["username"],
            password=password,
            display_name=SECOND_BROKER["display_name"],
            role=Role.broker,
            org_id=broker.org_id,
            phone=SECOND_BROKER["phone"],
        ),
    )
    return {"broker": broker, "broker2": colleague}


def _side_user(session: Session, org_id: int, role: Role) -> User:
    user = session.scalar(
        select(User).where(User.org_id == org_id, User.role == role).order_by(User.id)
    )
    if user is None:
        raise ValueError(f"demo organisation {org_id} has no {role} user")
    return user


def _walk(
    session: Session,
    row: dict[str, Any],
    need: Need,
    cap: Capability,
    broker: User | None,
    scorer: "_Scorer",
) -> int | None:
    """Walk the row's match to its state; a deal stops at 洽谈 and its id is returned (the
    caller signs it once every row has been walked)."""
    target = MatchStatus(row["status"])
    if target == MatchStatus.candidate and not row.get("manual"):
        _candidate(session, need, cap, scorer)
        return None
    if broker is None:
        raise ValueError(f"demo match {need.title} × {cap.title} needs a broker")
    if row.get("manual"):
        note = row.get("note", "")
        made = MatchCreate(need_id=need.id, capability_id=cap.id, note=note)
        match_id = matches.add_manual(session, broker, made).id
    else:
        match_id = _candidate(session, need, cap, scorer)
        if target == MatchStatus.rejected:
            matches.transition(
                session, broker, match_id, "reject", TransitionIn(reason=row["reason"])
            )
            return None
        match = matches.transition(session, broker, match_id, "approve", TransitionIn())
        if row.get("note"):
            note_in = MatchNoteIn(version=match.version, note=row["note"])
            matches.update_note(session, broker, match_id, note_in)
    if target == MatchStatus.approved:
        return None
    matches.transition(session, broker, match_id, "recommend", TransitionIn())
    interest = row.get("interest", ["need", "capability"])
    if "need" in interest:
        enterprise = _side_user(session, need.org_id, Role.enterprise)
        matches.mark_interest(session, enterprise, match_id, None)
    if "capability" in interest:
        researcher = _side_user(session, cap.org_id, Role.researcher)
        matches.mark_interest(session, researcher, match_id, None)
    steps = {
        MatchStatus.recommended: [],
        MatchStatus.connected: ["connect"],
        MatchStatus.negotiating: ["connect", "negotiate"],
        MatchStatus.deal: ["connect", "negotiate"],
        MatchStatus.declined: ["connect", "negotiate"],
    }[target]
    for action in steps:
        matches.transition(session, broker, match_id, action, TransitionIn())
    if target == MatchStatus.declined:
        matches.transition(session, broker, match_id, "decline", TransitionIn(reason=row["reason"]))
    return match_id if target == MatchStatus.deal else None


def _candidate(session: Session, need: Need, cap: Capability, scorer: "_Scorer") -> int:
    existing = repository.by_pair(session, need.id, cap.id)
    if existing is not None:
        return existing.id
    rec = scorer.score(need, cap)
    match = Match(
        need_id=need.id,
        capability_id=cap.id,
        origin=MatchOrigin.engine,
        score=rec.score,
        parts=dict(rec.parts),
        reasons=list(rec.reasons),
        explanation=dict(rec.explanation),
        texts_hash="",
        note="",
        need_interest=False,
        capability_interest=False,
    )
    session.add(match)
    MATCH_MACHINE.start(session, match, None)
    return match.id


class _Scorer:
    """Lexical + indicator + field scoring over every published capability (BM25 needs the
    whole corpus to weigh terms), without vectors: the semantic feature counts as 0."""

    def __init__(self, session: Session) -> None:
        self.matcher = Matcher(None)
        published = session.scalars(
            select(Capability).where(Capability.status == CapabilityStatus.published)
        )
        self.matcher.add([to_doc(c) for c in published])

    def score(self, need: Need, cap: Capability) -> Recommendation:
        ranked = self.matcher.rank(to_doc(need), k=len(self.matcher))
        found = next((m for m in ranked if m.id == cap.id), None)
        if found is None:
            raise ValueError(f"demo match {need.title} × {cap.title}: no shared evidence")
        return recommendation(found)
