"""A broker deal and the need's 揭榜 round (issue 12 item 5): 签约 waits until the round is
over — the enterprise never holds a signed broker deal and an open or undecided call for the
same need — and the need's page lists its deals (capability, organisation, 万元, date)."""

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from service.models import Organization
from service.models.enums import OrgKind, Role
from tests.factories import (
    auth,
    create_application,
    create_capability,
    create_match,
    create_org,
    create_user,
)
from tests.service.match_market import ROLES, Market, build_market


@pytest.fixture
def market(session: Session) -> Market:
    return build_market(session)


def _deal(client, market: Market, match_id: int, role: str = "broker"):
    return client.post(
        f"/api/v1/matches/{match_id}/deal",
        json={"contract_value_wan": "85"},
        headers=market.headers(role),
    )


@pytest.mark.parametrize("status", ["published", "under_review"])
def test_deal_refused_while_the_round_runs(
    client, session: Session, market: Market, status: str
) -> None:
    market.need.status = status
    match = market.match(session, status="negotiating")
    create_application(session, market.need, market.users["other_researcher"])
    seen = client.get(f"/api/v1/matches/{match.id}", headers=market.headers("broker")).json()
    assert seen["deal_waits"] is True and seen["actions"] == ["decline"]
    for role in ("broker", "admin"):
        r = _deal(client, market, match.id, role)
        assert r.status_code == 409 and r.json()["error"] == "jiebang_round_active", r.text
        assert "仍在揭榜中" in r.json()["detail"]
    stored = client.get(f"/api/v1/matches/{match.id}", headers=market.headers("admin")).json()
    assert stored["status"] == "negotiating" and stored["contract_value_wan"] is None


@pytest.mark.parametrize(
    "status", ["awarded", "in_progress", "completed", "terminated", "withdrawn", "expired"]
)
def test_deal_once_the_round_is_over(client, session: Session, market: Market, status: str) -> None:
    market.need.status = status
    match = market.match(session, status="negotiating")
    seen = client.get(f"/api/v1/matches/{match.id}", headers=market.headers("broker")).json()
    assert seen["deal_waits"] is False and "deal" in seen["actions"]
    r = _deal(client, market, match.id)
    assert r.status_code == 200 and r.json()["status"] == "deal", r.text
    session.expire_all()
    assert market.need.status == status  # the deal does not move the need


def test_other_roles_still_cannot_sign(client, session: Session, market: Market) -> None:
    market.need.status = "awarded"
    match = market.match(session, status="negotiating")
    for role in ("need_owner", "cap_owner"):
        assert _deal(client, market, match.id, role).status_code == 403
    for role in ("other_enterprise", "other_researcher", "expert"):
        assert _deal(client, market, match.id, role).status_code == 404
    assert _deal(client, market, match.id, "public").status_code == 401


DEALS_SEEN = {
    "broker": 1,
    "admin": 1,
    "need_owner": 1,
    "cap_owner": 1,
    "other_enterprise": 0,
    "other_researcher": 0,
    "expert": 0,
}


@pytest.mark.parametrize("role", ROLES)
def test_need_page_lists_its_deals(client, session: Session, market: Market, role: str) -> None:
    lab = session.get(Organization, market.cap.org_id)
    assert lab is not None
    market.need.status = "awarded"
    match = market.match(session, status="negotiating")
    assert _deal(client, market, match.id).status_code == 200
    # another organisation's capability still in talks is not a deal
    other_lab = create_user(session, Role.researcher, org=create_org(session, OrgKind.institute))
    other = create_capability(session, other_lab, title="另一项成果")
    create_match(session, market.need, other, status="negotiating")
    r = client.get(f"/api/v1/needs/{market.need.id}/deals", headers=market.headers(role))
    if role == "public":
        assert r.status_code == 401
        return
    assert r.status_code == 200, r.text
    assert len(r.json()) == DEALS_SEEN[role]
    if not DEALS_SEEN[role]:
        return
    [deal] = r.json()
    assert deal["match_id"] == match.id
    assert (deal["capability_id"], deal["capability_title"]) == (market.cap.id, market.cap.title)
    assert deal["org"]["name"] == lab.name
    assert deal["contract_value_wan"] == "85"
    signed = datetime.fromisoformat(deal["signed_at"])
    assert abs((datetime.now(UTC) - signed).total_seconds()) < 120


def test_withdrawn_need_shows_its_deal_to_its_readers(
    client, session: Session, market: Market
) -> None:
    """A need withdrawn for a broker deal is off the board: its enterprise and the admins
    read it with the deal; nobody else reads the need."""
    market.need.status = "withdrawn"
    match = market.match(session, status="negotiating")
    assert _deal(client, market, match.id).status_code == 200
    for role in ("need_owner", "admin"):
        r = client.get(f"/api/v1/needs/{market.need.id}/deals", headers=market.headers(role))
        assert [d["match_id"] for d in r.json()] == [match.id], r.text
    for role in ("other_enterprise", "other_researcher"):
        r = client.get(f"/api/v1/needs/{market.need.id}/deals", headers=market.headers(role))
        assert r.status_code == 404


def test_need_deals_seen_by_the_public_board_readers(
    client, session: Session, market: Market
) -> None:
    """On an awarded need (on the board) an outsider reads the need but sees no deal."""
    market.need.status = "awarded"
    match = market.match(session, status="negotiating")
    assert _deal(client, market, match.id).status_code == 200
    for role in ("other_enterprise", "other_researcher", "expert"):
        r = client.get(f"/api/v1/needs/{market.need.id}/deals", headers=market.headers(role))
        assert r.status_code == 200 and r.json() == [], r.text
    stranger = create_user(session, Role.enterprise)
    r = client.get(f"/api/v1/needs/{market.need.id}/deals", headers=auth(stranger))
    assert r.json() == []
    assert client.get("/api/v1/needs/999999/deals", headers=auth(stranger)).status_code == 404
