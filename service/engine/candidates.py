"""Engine candidates stored as `Match` rows for brokers to review.

The engine takes two steps of the match lifecycle (`service/matches/lifecycle.py`): `create`
(a new candidate) and `repropose` (a rejected pair proposed again because a text changed).
Everything a broker does afterwards belongs to `service/matches/`; pairs beyond `candidate`
are never touched here.
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import get_settings
from service.engine import repository
from service.engine.documents import pair_hash, to_doc
from service.engine.service import Recommendation, recommend_capabilities, recommend_needs
from service.engine.store import IndexStore
from service.matches.lifecycle import MATCH_MACHINE
from service.models import Capability, Match, Need, User
from service.models.enums import (
    AccountStatus,
    CapabilityStatus,
    MatchOrigin,
    MatchStatus,
    NeedStatus,
    Role,
)
from service.notifications.service import notify


def refresh_candidates(
    session: Session, need_id: int, *, k: int | None = None, store: IndexStore | None = None
) -> int:
    """Store the top `k` capabilities of a published need as candidates; returns how many
    pairs became candidates (new, or a rejected pair re-proposed after a text change)."""
    need = session.get(Need, need_id)
    if need is None or need.status != NeedStatus.published:
        return 0
    recs = recommend_capabilities(
        session, need, limit=k or get_settings().engine_candidates, store=store
    )
    if not recs:
        return 0
    caps = {
        c.id: c for c in repository.postings(session, "capability", [r.posting_id for r in recs])
    }
    existing = {
        m.capability_id: m
        for m in session.scalars(
            select(Match).where(
                Match.need_id == need.id, Match.capability_id.in_([r.posting_id for r in recs])
            )
        )
    }
    need_doc = to_doc(need)
    proposed = 0
    for rec in recs:
        cap = caps.get(rec.posting_id)
        if not isinstance(cap, Capability):
            continue
        texts = pair_hash(need_doc, to_doc(cap))
        match = existing.get(cap.id)
        if match is None:
            match = Match(
                need_id=need.id,
                capability_id=cap.id,
                origin=MatchOrigin.engine,
                status=MatchStatus.candidate,
            )
            _fill(match, rec, texts)
            session.add(match)
            MATCH_MACHINE.start(session, match, None)
            proposed += 1
        elif match.status == MatchStatus.candidate:
            _fill(match, rec, texts)  # still awaiting review: keep the explanation current
        elif match.status == MatchStatus.rejected and match.texts_hash != texts:
            MATCH_MACHINE.apply(
                session,
                match,
                "repropose",
                None,
                "需求或成果内容已修改，引擎重新推荐",
                changes={**_columns(rec, texts), "reject_reason": None},
            )
            proposed += 1
    session.flush()
    if proposed:
        _tell_brokers(session, need, proposed)
    return proposed


def refresh_for_capability(
    session: Session, capability_id: int, *, k: int | None = None, store: IndexStore | None = None
) -> int:
    """A published capability changed: refresh the needs it now ranks highest for."""
    cap = session.get(Capability, capability_id)
    if cap is None or cap.status != CapabilityStatus.published:
        return 0
    limit = k or get_settings().engine_candidates
    needs = recommend_needs(session, cap, limit=limit, store=store)
    return sum(refresh_candidates(session, r.posting_id, k=limit, store=store) for r in needs)


def _columns(rec: Recommendation, texts: str) -> dict[str, Any]:
    return {
        "score": rec.score,
        "parts": dict(rec.parts),
        "features": dict(rec.features),
        "reasons": list(rec.reasons),
        "explanation": dict(rec.explanation),
        "texts_hash": texts,
    }


def _fill(match: Match, rec: Recommendation, texts: str) -> None:
    for name, value in _columns(rec, texts).items():
        setattr(match, name, value)


def _tell_brokers(session: Session, need: Need, count: int) -> None:
    brokers = session.scalars(
        select(User.id).where(
            User.role == Role.broker,
            User.is_active.is_(True),
            User.status == AccountStatus.active,  # a pending broker hears nothing yet
        )
    )
    notify(
        session,
        list(brokers),
        "engine_candidates",
        f"需求「{need.title}」有 {count} 个新的引擎推荐候选待审核",
        "匹配引擎根据语义、关键词和技术指标推荐了新的科技成果，请审核。",
        link=f"/matches?status=candidate&need_id={need.id}",  # the queue, filtered to it
        obj=("need", need.id),
    )
