"""Engine candidates stored as matches: new pairs, no duplicates, brokers' decisions kept,
a rejected pair proposed again only when a text changed, every step in the audit table."""

from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.embedders import HashEmbedder
from service.engine.candidates import refresh_candidates, refresh_for_capability, tell_brokers
from service.engine.store import IndexStore
from service.models import AuditEvent, Capability, Match, Need, Notification, User
from service.models.enums import OrgKind, Role
from tests.factories import create_org, create_user
from tests.service.engine_support import embed_all, eval_capability, eval_need


@dataclass
class Pairs:
    need: Need
    caps: list[Capability]
    own: Capability
    broker: User


@pytest.fixture
def store() -> IndexStore:
    return IndexStore(HashEmbedder(dim=128))


@pytest.fixture
def pairs(session: Session, store: IndexStore) -> Pairs:
    enterprise = create_user(session, Role.enterprise)
    lab = create_user(session, Role.researcher, org=create_org(session, OrgKind.university))
    need = eval_need(session, enterprise, "N001")
    caps = [eval_capability(session, lab, k) for k in ("C189", "C044", "C144", "C209", "C071")]
    own = eval_capability(session, enterprise, "C189")
    broker = create_user(session, Role.broker)
    embed_all(session, store.embedder)
    return Pairs(need, caps, own, broker)


def _matches(session: Session, need: Need) -> dict[int, Match]:
    rows = session.scalars(select(Match).where(Match.need_id == need.id))
    return {m.capability_id: m for m in rows}


def _audit(session: Session, match: Match) -> list[str]:
    return list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "match", AuditEvent.object_id == match.id)
            .order_by(AuditEvent.id)
        )
    )


def test_top_capabilities_become_candidates_once(
    session: Session, pairs: Pairs, store: IndexStore
) -> None:
    assert refresh_candidates(session, pairs.need.id, k=3, store=store) == 3
    matches = _matches(session, pairs.need)
    assert len(matches) == 3 and pairs.own.id not in matches
    for m in matches.values():
        assert (m.origin, m.status) == ("engine", "candidate")
        assert set(m.parts) == {"base", "semantic", "keyword", "indicator", "field"}
        assert m.reasons and m.texts_hash and m.explanation["shared_terms"] is not None
        assert _audit(session, m) == ["create"]
    assert refresh_candidates(session, pairs.need.id, k=3, store=store) == 0
    assert len(_matches(session, pairs.need)) == 3


def test_brokers_get_one_digest_per_refresh(
    session: Session, pairs: Pairs, store: IndexStore
) -> None:
    def notes() -> list[Notification]:
        rows = session.scalars(
            select(Notification)
            .where(Notification.user_id == pairs.broker.id)
            .order_by(Notification.id)
        )
        return list(rows)

    tell_brokers(session, {pairs.need: 3})
    [one] = notes()
    assert one.kind == "engine_candidates"
    assert one.link == f"/matches?status=candidate&need_id={pairs.need.id}"  # the filtered queue
    assert f"「{pairs.need.title}」有 3 个" in one.title
    enterprise = session.get(User, pairs.need.created_by_id)
    assert enterprise is not None
    others = [eval_need(session, enterprise, key) for key in ("N002", "N003", "N004")]
    tell_brokers(session, {pairs.need: 2, **dict.fromkeys(others, 1)})
    [_, digest] = notes()  # four needs, one notification
    assert digest.title == "4 个需求有 5 个新的引擎推荐候选待审核"
    assert digest.link == "/matches?status=candidate" and f"「{pairs.need.title}」" in digest.body


def test_broker_decisions_are_kept_and_rejected_pairs_return_only_on_new_text(
    session: Session, pairs: Pairs, store: IndexStore
) -> None:
    refresh_candidates(session, pairs.need.id, k=3, store=store)
    rejected, approved, _ = sorted(_matches(session, pairs.need).values(), key=lambda m: -m.score)
    rejected.status, rejected.reject_reason = "rejected", "方向不符"
    approved.status = "approved"
    session.flush()
    assert refresh_candidates(session, pairs.need.id, k=3, store=store) == 0
    assert (rejected.status, approved.status) == ("rejected", "approved")

    for cap_id in (rejected.capability_id, approved.capability_id):
        cap = session.get(Capability, cap_id)
        assert cap is not None
        cap.keywords = [*cap.keywords[:4], "薄膜封装"]
    session.flush()
    embed_all(session, store.embedder)
    version = rejected.version
    assert refresh_candidates(session, pairs.need.id, k=3, store=store) == 1
    session.refresh(rejected)
    assert rejected.version == version + 1  # one action, one version
    session.refresh(approved)
    assert rejected.status == "candidate" and rejected.reject_reason is None
    assert _audit(session, rejected) == ["create", "repropose"]
    assert approved.status == "approved"  # beyond candidate: never touched by the engine


def test_only_published_needs_get_candidates(
    session: Session, pairs: Pairs, store: IndexStore
) -> None:
    pairs.need.status = "submitted"
    session.flush()
    assert refresh_candidates(session, pairs.need.id, store=store) == 0
    assert refresh_candidates(session, 999999, store=store) == 0
    assert _matches(session, pairs.need) == {}


def test_a_new_capability_refreshes_the_needs_it_fits(
    session: Session, pairs: Pairs, store: IndexStore
) -> None:
    assert refresh_for_capability(session, pairs.caps[0].id, k=5, store=store) == 5
    assert pairs.caps[0].id in _matches(session, pairs.need)
