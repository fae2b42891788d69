"""A worker that dies between writing a posting's vector and refreshing it (issue 11): the next
worker's start-up sweep refreshes what it left, so a need nobody views still gets its broker
candidates — on a database whose commits are real (SQLite, or PostgreSQL with
JIEBANG_TEST_DATABASE_URL). The crash is the worker's own embed step, committed, with the
refresh that follows it never run; the fresh worker is a new store and a new thread."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from matching.embedders import HashEmbedder
from service.engine import refresh
from service.engine.store import IndexStore
from service.engine.worker import EmbeddingWorker
from service.kit.db import make_engine
from service.models import Capability, Match, Need, Notification, RecommendationList, User
from service.models.enums import OrgKind, Role
from tests.factories import create_org, create_user
from tests.service.engine_support import committed_database_url, eval_capability, eval_need

CAPS = ("C189", "C044", "C144", "C209", "C071")


@dataclass
class Market:
    sm: sessionmaker[Session]
    owner: User
    lab: User
    broker: User
    caps: list[int]


@pytest.fixture
def market(tmp_path: Path) -> Iterator[Market]:
    for url in committed_database_url(tmp_path, "repair"):
        engine: Engine = make_engine(url)
        sm = sessionmaker(bind=engine, expire_on_commit=False)
        with sm() as s:
            owner = create_user(s, Role.enterprise)
            lab = create_user(s, Role.researcher, org=create_org(s, OrgKind.university))
            broker = create_user(s, Role.broker)
            caps = [eval_capability(s, lab, k).id for k in CAPS]
            s.commit()
        first = _worker(sm)
        first.sweep()  # the capabilities embedded and refreshed
        yield Market(sm, owner, lab, broker, caps)
        engine.dispose()


def _worker(sm: sessionmaker[Session]) -> EmbeddingWorker:
    """A worker as a new process has it: its own index store, nothing queued."""
    store = IndexStore(HashEmbedder(dim=128))
    return EmbeddingWorker(sm, lambda: store, sweep_seconds=3600)


def _embedded_then_died(sm: sessionmaker[Session], kind: str, posting_id: int) -> None:
    """The worker's embed step for the posting, committed; the refresh after it never runs
    (this worker and what it held in memory are gone)."""
    dying = _worker(sm)
    counts = dying.process([(kind, posting_id)], refresh=False)  # type: ignore[list-item]
    assert counts["embedded"] == 1


def _restarted(sm: sessionmaker[Session]) -> EmbeddingWorker:
    """A fresh worker's start-up: warm-up, then its first sweep (then stopped)."""
    worker = _worker(sm)
    worker.start()
    try:
        assert worker.swept.wait(60)
    finally:
        worker.stop()
    return worker


def _candidates(sm: sessionmaker[Session], need_id: int) -> set[int]:
    with sm() as s:
        return set(s.scalars(select(Match.capability_id).where(Match.need_id == need_id)))


def _digests(sm: sessionmaker[Session], broker: User) -> int:
    with sm() as s:
        notes = s.scalars(
            select(Notification).where(
                Notification.user_id == broker.id, Notification.kind == "engine_candidates"
            )
        )
        return len(list(notes))


def _need(m: Market, key: str, **kw: str) -> int:
    with m.sm() as s:
        owner = s.get(User, m.owner.id)
        assert owner is not None
        need_id = eval_need(s, owner, key, **kw).id
        s.commit()
    return need_id


def test_a_restarted_worker_refreshes_a_need_embedded_before_a_crash(
    market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(refresh, "REPAIR", 1, raising=False)  # one per sweep: bounded
    needs = [_need(market, "N001"), _need(market, "N002")]
    for need_id in needs:
        _embedded_then_died(market.sm, "need", need_id)
    assert all(not _candidates(market.sm, n) for n in needs)
    _restarted(market.sm)
    first, second = needs  # the longest waiting first
    assert _candidates(market.sm, first) == set(market.caps)  # the head of its list
    assert not _candidates(market.sm, second)  # the next sweep's
    assert _digests(market.sm, market.broker) == 1
    with market.sm() as s:
        heads = set(s.scalars(select(RecommendationList.subject_id)))
    assert first in heads  # a changed posting keeps its list, as after a live refresh
    worker = _restarted(market.sm)  # a second restart (or the next sweep) does the rest
    assert _candidates(market.sm, second) == set(market.caps)
    assert _candidates(market.sm, first) == set(market.caps)
    assert _digests(market.sm, market.broker) == 2
    done = refresh.repair(market.sm, store=worker.store_factory())
    assert done.lists == 0 and not done.proposed  # nothing due any more


def test_a_need_approved_before_the_worker_took_it_gets_candidates_after_a_restart(
    market: Market,
) -> None:
    need_id = _need(market, "N001", status="draft")
    _worker(market.sm).process([("need", need_id)])  # a draft: embedded, ranked, no candidates
    assert not _candidates(market.sm, need_id)
    with market.sm() as s:  # approved; the worker died before its job came
        need = s.get(Need, need_id)
        assert need is not None
        need.status = "published"
        s.commit()
    _restarted(market.sm)
    assert _candidates(market.sm, need_id) == set(market.caps)


def test_a_capability_embedded_before_a_crash_becomes_a_candidate_after_a_restart(
    market: Market,
) -> None:
    need_id = _need(market, "N001")
    _worker(market.sm).process([("need", need_id)])  # embedded and refreshed, no crash
    assert _candidates(market.sm, need_id) == set(market.caps)
    with market.sm() as s:
        lab = s.get(User, market.lab.id)
        assert lab is not None
        new_cap = eval_capability(s, lab, "C001").id
        s.commit()
    _embedded_then_died(market.sm, "capability", new_cap)
    assert new_cap not in _candidates(market.sm, need_id)
    _restarted(market.sm)
    assert new_cap in _candidates(market.sm, need_id)  # its fan-out reached the need
    with market.sm() as s:
        assert s.get(Capability, new_cap) is not None
