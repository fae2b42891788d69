"""Two brokers acting on the same match at once: exactly one wins, the other gets a 409.

Real concurrent transactions on committed data (one thread each). On PostgreSQL the match
row lock (and its version column) serialises them; on SQLite BEGIN IMMEDIATE does.
"""

import threading
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from service.kit.actions import TransitionIn
from service.kit.errors import JiebangError
from service.matches import service as matches
from service.matches.schemas import MatchCreate
from service.models import AuditEvent, Capability, Match, Need, Organization, User
from service.models.enums import Role
from tests.factories import create_capability, create_match, create_need, create_user


@pytest.fixture
def committed(engine: Engine) -> Iterator[dict[str, int]]:
    with Session(engine) as session:
        owner = create_user(session, Role.enterprise)
        lab = create_user(session, Role.researcher)
        need = create_need(session, owner)
        cap, spare = create_capability(session, lab), create_capability(session, lab)
        match = create_match(session, need, cap)
        ids = {
            "a": create_user(session, Role.broker).id,
            "b": create_user(session, Role.broker).id,
            "need": need.id,
            "cap": cap.id,
            "spare": spare.id,
            "match": match.id,
            "owner": owner.id,
            "lab": lab.id,
        }
        session.commit()
    yield ids
    with Session(engine) as session:  # core deletes: the audit table refuses ORM deletes
        match_ids = select(Match.id).where(Match.need_id == ids["need"])
        session.execute(
            delete(AuditEvent).where(
                AuditEvent.object_type == "match", AuditEvent.object_id.in_(match_ids)
            )
        )
        session.execute(delete(Match).where(Match.need_id == ids["need"]))
        people = [ids["a"], ids["b"], ids["owner"], ids["lab"]]
        orgs = list(session.scalars(select(User.org_id).where(User.id.in_(people))))
        session.execute(delete(Capability).where(Capability.id.in_([ids["cap"], ids["spare"]])))
        session.execute(delete(Need).where(Need.id == ids["need"]))
        session.execute(delete(User).where(User.org_id.in_(orgs)))
        session.execute(delete(Organization).where(Organization.id.in_(orgs)))
        session.commit()


def _race(engine: Engine, work: dict[str, Callable[[Session, User], object]], ids: dict[str, int]):
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def run(key: str) -> None:
        barrier.wait(timeout=30)
        with Session(engine, expire_on_commit=False) as session:
            try:
                broker = session.get(User, ids[key])
                assert broker is not None
                work[key](session, broker)
                session.commit()
                outcomes[key] = "ok"
            except JiebangError as exc:
                session.rollback()
                outcomes[key] = exc.code

    threads = [threading.Thread(target=run, args=(k,)) for k in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def test_approve_and_reject_at_once(engine: Engine, committed: dict[str, int]) -> None:
    mid = committed["match"]
    outcomes = _race(
        engine,
        {
            "a": lambda s, u: matches.transition(s, u, mid, "approve", TransitionIn(version=1)),
            "b": lambda s, u: matches.transition(
                s, u, mid, "reject", TransitionIn(reason="不相关", version=1)
            ),
        },
        committed,
    )
    assert sorted(outcomes.values()) in (["invalid_transition", "ok"], ["ok", "stale_version"])
    winner = next(k for k, v in outcomes.items() if v == "ok")
    with Session(engine) as session:
        match = session.get(Match, mid)
        assert match is not None and match.version == 2
        assert match.status == ("approved" if winner == "a" else "rejected")
        actions = session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.object_type == "match", AuditEvent.object_id == mid
            )
        ).all()
        assert sorted(actions) == sorted(["create", "approve" if winner == "a" else "reject"])


def test_same_manual_match_twice_at_once(engine: Engine, committed: dict[str, int]) -> None:
    pair = MatchCreate(need_id=committed["need"], capability_id=committed["spare"])
    outcomes = _race(
        engine,
        {
            "a": lambda s, u: matches.add_manual(s, u, pair),
            "b": lambda s, u: matches.add_manual(s, u, pair),
        },
        committed,
    )
    assert sorted(outcomes.values()) == ["duplicate_match", "ok"]
    with Session(engine) as session:
        made = session.scalars(
            select(Match).where(
                Match.need_id == committed["need"], Match.capability_id == committed["spare"]
            )
        ).all()
        assert len(made) == 1 and made[0].status == "approved"
