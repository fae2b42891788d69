"""Every match transition, allowed and refused, for every kind of caller."""

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.kit.errors import BadRequest, InvalidTransition
from service.matches.lifecycle import MATCH_MACHINE, SIDE_STATES
from service.models import AuditEvent, Match
from service.models.enums import MatchStatus
from tests.service.lifecycles import moves, moves_of
from tests.service.match_market import ROLES, Market, build_market


@pytest.fixture
def market(session: Session) -> Market:
    return build_market(session)


# The match lifecycle of docs/PRODUCT.md, written out apart from the machine ("create" and "add"
# give birth to a match and have no source state).
LIFECYCLE = {
    "create": (set(), "candidate"),
    "add": (set(), "approved"),
    "request": ({"candidate", "rejected"}, "candidate"),
    "approve": ({"candidate"}, "approved"),
    "reject": ({"candidate"}, "rejected"),
    "repropose": ({"rejected"}, "candidate"),
    "recommend": ({"approved"}, "recommended"),
    "need_interest": ({"recommended"}, "recommended"),
    "capability_interest": ({"recommended"}, "recommended"),
    "connect": ({"recommended"}, "connected"),
    "negotiate": ({"connected"}, "negotiating"),
    "deal": ({"negotiating"}, "deal"),
    "decline": ({"recommended", "connected", "negotiating"}, "declined"),
}
MACHINE_CASES = [(a, s) for a in LIFECYCLE for s in MatchStatus]


@pytest.mark.parametrize(
    ("action", "state"), MACHINE_CASES, ids=[f"{a}-from-{s}" for a, s in MACHINE_CASES]
)
def test_machine_table(session: Session, market: Market, action: str, state: str) -> None:
    match = market.match(session, status=state)
    sources, target = LIFECYCLE[action]
    actor = market.users["broker"].id
    if state in sources:
        MATCH_MACHINE.apply(session, match, action, actor, reason="理由")
        assert match.status == target
        event = session.scalars(
            select(AuditEvent).where(
                AuditEvent.object_type == "match",
                AuditEvent.object_id == match.id,
                AuditEvent.action == action,
            )
        ).one()
        assert (event.from_state, event.to_state, event.actor_id) == (
            state,
            target,
            actor,
        )
    else:
        with pytest.raises(InvalidTransition):
            MATCH_MACHINE.apply(session, match, action, actor, reason="理由")
        assert match.status == state


@pytest.mark.parametrize("action", ["reject", "decline"])
def test_machine_requires_reason(session: Session, market: Market, action: str) -> None:
    source = next(iter(MATCH_MACHINE.transitions[action].sources))
    match = market.match(session, status=source)
    for reason in (None, "", "   "):
        with pytest.raises(BadRequest):
            MATCH_MACHINE.apply(session, match, action, None, reason=reason)
    assert match.status == source


# action → (the state it starts from, extra columns, request body)
SETUPS: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "approve": ("candidate", {}, {}),
    "reject": ("candidate", {}, {"reason": "技术路线不符"}),
    "recommend": ("approved", {}, {}),
    "connect": ("recommended", {"need_interest": True, "capability_interest": True}, {}),
    "negotiate": ("connected", {"need_interest": True, "capability_interest": True}, {}),
    "deal": ("negotiating", {}, {"contract_value_wan": "123.45"}),
    "decline": ("recommended", {}, {"reason": "价格未谈拢"}),
}
ROLE_CASES = [(a, r) for a in SETUPS for r in ROLES]


def _expected(role: str, state: str) -> int:
    if role == "public":
        return 401
    if role in ("broker", "admin"):
        return 200
    if role in ("need_owner", "cap_owner"):
        return 403 if state in SIDE_STATES else 404  # they never see candidates
    return 404  # other enterprises, researchers and experts never see the match


@pytest.mark.parametrize(("action", "role"), ROLE_CASES, ids=[f"{a}-by-{r}" for a, r in ROLE_CASES])
def test_review_action_by_role(
    client, session: Session, market: Market, action: str, role: str
) -> None:
    state, columns, body = SETUPS[action]
    if action == "deal":
        market.need.status = "awarded"  # a deal waits for the end of the 揭榜 round
    match = market.match(session, status=state, **columns)
    r = client.post(f"/api/v1/matches/{match.id}/{action}", json=body, headers=market.headers(role))
    expected = _expected(role, state)
    assert r.status_code == expected, r.text
    session.expire_all()
    stored = session.get(Match, match.id)
    assert stored is not None
    target = MATCH_MACHINE.transitions[action].target
    if expected == 200:
        assert r.json()["status"] == stored.status == target
        event = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "match", AuditEvent.object_id == match.id)
            .order_by(AuditEvent.id.desc())
        ).first()
        assert event is not None
        assert (event.action, event.actor_id) == (action, market.users[role].id)
    else:
        assert stored.status == state
        if expected == 403:
            assert r.json()["error"] == "not_allowed"


INTEREST_EXPECTED = {
    "broker": 403,
    "admin": 403,
    "need_owner": 200,
    "cap_owner": 200,
    "other_enterprise": 404,
    "other_researcher": 404,
    "expert": 404,
    "public": 401,
}


@pytest.mark.parametrize("role", ROLES)
def test_interest_by_role(client, session: Session, market: Market, role: str) -> None:
    match = market.match(session, status="recommended")
    r = client.post(f"/api/v1/matches/{match.id}/interest", headers=market.headers(role))
    assert r.status_code == INTEREST_EXPECTED[role], r.text
    session.expire_all()
    stored = session.get(Match, match.id)
    assert stored is not None and stored.status == "recommended"
    if role == "need_owner":
        assert (stored.need_interest, stored.capability_interest) == (True, False)
    elif role == "cap_owner":
        assert (stored.need_interest, stored.capability_interest) == (False, True)
    else:
        assert not (stored.need_interest or stored.capability_interest)


@pytest.mark.parametrize(
    ("action", "state"),
    [(a, s) for a in SETUPS for s in MatchStatus if s not in MATCH_MACHINE.transitions[a].sources],
)
def test_review_action_wrong_state(
    client, session: Session, market: Market, action: str, state: str
) -> None:
    _, columns, body = SETUPS[action]
    match = market.match(session, status=state, **columns)
    r = client.post(
        f"/api/v1/matches/{match.id}/{action}", json=body, headers=market.headers("broker")
    )
    assert r.status_code == 409 and r.json()["error"] == "invalid_transition", r.text
    session.expire_all()
    assert session.get(Match, match.id).status == state  # type: ignore[union-attr]


def test_interest_wrong_state_and_twice(client, session: Session, market: Market) -> None:
    for state in ("connected", "negotiating", "deal", "declined"):
        match = market.match(session, status=state)
        r = client.post(
            f"/api/v1/matches/{match.id}/interest", headers=market.headers("need_owner")
        )
        assert r.status_code == 409 and r.json()["error"] == "invalid_transition", state
        session.delete(match)
        session.flush()
    match = market.match(session, status="recommended")
    url = f"/api/v1/matches/{match.id}/interest"
    assert client.post(url, headers=market.headers("cap_owner")).status_code == 200
    r = client.post(url, headers=market.headers("cap_owner"))
    assert r.status_code == 409 and r.json()["error"] == "already_interested"
    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "match", AuditEvent.object_id == match.id
        )
    ).all()
    assert [(e.action, e.from_state, e.to_state) for e in events] == [
        ("capability_interest", "recommended", "recommended")
    ]


def test_the_machine_is_the_lifecycle() -> None:
    """No action, source or target beyond the written lifecycle (births excepted)."""
    assert moves_of(MATCH_MACHINE) == moves(LIFECYCLE)
