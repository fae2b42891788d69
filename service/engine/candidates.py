"""Engine candidates stored as `Match` rows for brokers to review.

The engine takes two steps of the match lifecycle (`service/matches/lifecycle.py`): `create`
(a new candidate) and `repropose` (a rejected pair proposed again because a text changed).
Everything a broker does afterwards belongs to `service/matches/`; pairs beyond `candidate`
are never touched here.

Candidates are the head of the need's stored recommendation list (`recommendations.py`),
never a second ranking. The worker refreshes list by list, each in its own short
transaction (`service/engine/refresh.py`), and then tells the brokers once: one digest per
refresh, not one notification per need.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import get_settings
from service.engine import recommendations, repository
from service.engine.documents import pair_hash, to_doc
from service.engine.service import Recommendation
from service.engine.store import IndexStore, get_store
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

KIND = "engine_candidates"
DIGEST_TITLES = 3  # need titles named in a digest
QUEUE = "/matches?status=candidate"  # the broker's candidate queue (grouped by need)


def refresh_candidates(
    session: Session, need_id: int, *, k: int | None = None, store: IndexStore | None = None
) -> int:
    """Rank and store a published need's list, and propose its top `k` as candidates, in this
    session (the worker does the same in two short transactions, `service/engine/refresh.py`);
    returns how many pairs became candidates. The caller tells the brokers (`tell_brokers`)."""
    need = session.get(Need, need_id)
    if need is None or need.status != NeedStatus.published:
        return 0
    recs = recommendations.refresh(session, need, store or get_store())
    return propose(session, need, recs, k)


def propose(
    session: Session, need: Need, recs: Sequence[Recommendation], k: int | None = None
) -> int:
    """Store the first `k` of a published need's stored list as candidates; returns how many
    pairs became candidates (new, or a rejected pair re-proposed after a text change)."""
    if need.status != NeedStatus.published:
        return 0
    recs = recs[: k or get_settings().engine_candidates]
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
        if not isinstance(cap, Capability) or cap.status != CapabilityStatus.published:
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
    return proposed


def refresh_for_capability(
    session: Session, capability_id: int, *, k: int | None = None, store: IndexStore | None = None
) -> int:
    """A published capability changed: refresh the needs it now ranks highest for."""
    cap = session.get(Capability, capability_id)
    if cap is None or cap.status != CapabilityStatus.published:
        return 0
    store = store or get_store()
    limit = k or get_settings().engine_candidates
    needs = recommendations.refresh(session, cap, store)[:limit]
    return sum(refresh_candidates(session, r.posting_id, k=limit, store=store) for r in needs)


def _columns(rec: Recommendation, texts: str) -> dict[str, Any]:
    return {**recommendations.columns(rec), "texts_hash": texts}


def _fill(match: Match, rec: Recommendation, texts: str) -> None:
    for name, value in _columns(rec, texts).items():
        setattr(match, name, value)


def tell_brokers(session: Session, proposed: Mapping[Need, int]) -> None:
    """One notification per active broker for everything one refresh proposed."""
    if not proposed:
        return
    brokers = list(
        session.scalars(
            select(User.id).where(
                User.role == Role.broker,
                User.is_active.is_(True),
                User.status == AccountStatus.active,  # a pending broker hears nothing yet
            )
        )
    )
    total = sum(proposed.values())
    body = "匹配引擎根据语义、关键词和技术指标推荐了新的科技成果，请审核。"
    if len(proposed) == 1:
        [(need, count)] = proposed.items()
        title = f"需求「{need.title}」有 {count} 个新的引擎推荐候选待审核"
        queue = f"{QUEUE}&need_id={need.id}"  # the queue, filtered to that need
        notify(session, brokers, KIND, title, body, link=queue, obj=("need", need.id))
        return
    named = "、".join(f"「{n.title}」" for n in list(proposed)[:DIGEST_TITLES])
    more = f"等 {len(proposed)} 个需求" if len(proposed) > DIGEST_TITLES else ""
    title = f"{len(proposed)} 个需求有 {total} 个新的引擎推荐候选待审核"
    notify(session, brokers, KIND, title, f"{named}{more}。{body}", link=QUEUE)
