"""请经纪人对接: a side asks a broker to take a recommended pair up. The match lands in the
brokers' queue with who asked, the brokers hear once, and nothing is duplicated."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import AuditEvent, Match, Notification, Organization
from service.models.enums import AccountStatus, Role
from tests.factories import auth, create_user
from tests.service.match_market import ROLES, Market, build_market

URL = "/api/v1/matches/requests"


@pytest.fixture
def market(session: Session) -> Market:
    return build_market(session)


def _org(session: Session, org_id: int) -> Organization:
    org = session.get(Organization, org_id)
    assert org is not None
    return org


def _ask(client, market: Market, role: str):
    body = {"need_id": market.need.id, "capability_id": market.cap.id}
    return client.post(URL, json=body, headers=market.headers(role))


def _notes(session: Session, user_id: int, kind: str = "match_requested") -> list[Notification]:
    statement = select(Notification).where(
        Notification.user_id == user_id, Notification.kind == kind
    )
    return list(session.scalars(statement))


def _events(session: Session, match_id: int) -> list[tuple[str, str | None, str, int | None]]:
    rows = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "match", AuditEvent.object_id == match_id)
        .order_by(AuditEvent.id)
    )
    return [(e.action, e.from_state, e.to_state, e.actor_id) for e in rows]


def test_enterprise_request_lands_in_the_queue_with_the_requester(
    client, session: Session, market: Market
) -> None:
    pending = create_user(session, Role.broker, status=AccountStatus.pending)
    conflicted = create_user(
        session, Role.broker, org=_org(session, market.need.org_id)
    )  # the need's own broker
    r = _ask(client, market, "need_owner")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "candidate" and body["status_label"] == "待审核"
    assert "经纪人" in body["message"]
    match = session.get(Match, body["match_id"])
    assert match is not None
    assert (match.origin, match.requested_side, match.requested_by_id) == (
        "request",
        "need",
        market.users["need_owner"].id,
    )
    assert match.need_interest and not match.capability_interest
    assert _events(session, match.id) == [
        ("request", None, "candidate", market.users["need_owner"].id)
    ]
    # the brokers' queue shows it, with who asked
    queue = client.get(
        "/api/v1/matches", params={"requested": "true"}, headers=market.headers("broker")
    ).json()
    assert [m["id"] for m in queue["items"]] == [match.id]
    item = queue["items"][0]
    assert item["origin_label"] == "对接申请"
    assert item["requested_by"] == {
        "id": market.users["need_owner"].id,
        "name": "需求方",
        "side": "need",
        "side_label": "需求方",
        "org_name": _org(session, market.need.org_id).name,
    }
    assert item["actions"] == ["approve", "reject"]
    # one notification per broker free to take it up, linked to the match
    notes = _notes(session, market.users["broker"].id)
    assert [(n.link, n.object_type, n.object_id) for n in notes] == [
        (f"/matches/{match.id}", "match", match.id)
    ]
    assert "请经纪人对接" in notes[0].title and market.need.title in notes[0].title
    assert len(_notes(session, market.users["admin"].id)) == 0
    assert _notes(session, pending.id) == [] and _notes(session, conflicted.id) == []
    # asking again changes nothing and says why
    again = _ask(client, market, "need_owner")
    assert again.status_code == 409 and again.json()["error"] == "already_requested"
    assert "请等待" in again.json()["detail"]
    assert len(_notes(session, market.users["broker"].id)) == 1
    assert session.scalar(select(Match.id).where(Match.need_id == market.need.id)) == match.id


def test_researcher_request_is_the_capability_side(
    client, session: Session, market: Market
) -> None:
    r = _ask(client, market, "cap_owner")
    assert r.status_code == 201, r.text
    match = session.get(Match, r.json()["match_id"])
    assert match is not None and match.requested_side == "capability"
    assert match.capability_interest and not match.need_interest
    # the other side cannot ask for the same pair a second time either
    r = _ask(client, market, "need_owner")
    assert r.status_code == 409 and r.json()["error"] == "already_requested"
    seen = client.get(f"/api/v1/matches/{match.id}", headers=market.headers("admin")).json()
    assert seen["requested_by"]["side_label"] == "成果方"
    assert seen["requested_by"]["org_name"] == _org(session, market.cap.org_id).name


def test_request_joins_an_engine_candidate(client, session: Session, market: Market) -> None:
    candidate = market.match(session)
    r = _ask(client, market, "need_owner")
    assert r.status_code == 201, r.text
    assert r.json()["match_id"] == candidate.id
    session.expire_all()
    match = session.get(Match, candidate.id)
    assert match is not None and match.origin == "engine" and match.score == 80.0
    assert match.requested_by_id == market.users["need_owner"].id
    actions = [a for a, *_ in _events(session, candidate.id)]
    assert actions == ["create", "request"]
    assert len(_notes(session, market.users["broker"].id)) == 1


def test_request_reopens_a_rejected_pair(client, session: Session, market: Market) -> None:
    rejected = market.match(session, status="rejected", reject_reason="领域不符")
    r = _ask(client, market, "cap_owner")
    assert r.status_code == 201, r.text
    session.expire_all()
    match = session.get(Match, rejected.id)
    assert match is not None and match.status == "candidate" and match.reject_reason is None
    assert _events(session, rejected.id)[-1] == (
        "request",
        "rejected",
        "candidate",
        market.users["cap_owner"].id,
    )


@pytest.mark.parametrize("status", ["approved", "recommended", "negotiating", "deal", "declined"])
def test_request_refused_when_a_broker_has_the_pair(
    client, session: Session, market: Market, status: str
) -> None:
    market.match(session, status=status)
    r = _ask(client, market, "need_owner")
    assert r.status_code == 409 and r.json()["error"] == "already_with_broker", r.text
    assert "已由经纪人跟进" in r.json()["detail"]
    assert _notes(session, market.users["broker"].id) == []


EXPECTED = {
    "broker": (403, "wrong_role"),
    "admin": (403, "wrong_role"),
    "expert": (403, "wrong_role"),
    "other_enterprise": (403, "not_allowed"),
    "other_researcher": (403, "not_allowed"),
    "public": (401, "not_authenticated"),
}


@pytest.mark.parametrize("role", [r for r in ROLES if r in EXPECTED])
def test_request_refused_for_other_callers(
    client, session: Session, market: Market, role: str
) -> None:
    r = _ask(client, market, role)
    status, code = EXPECTED[role]
    assert r.status_code == status and r.json()["error"] == code, r.text
    if status == 403:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["detail"])
    assert session.scalar(select(Match.id).where(Match.need_id == market.need.id)) is None


@pytest.mark.parametrize(
    ("need_status", "cap_status"), [("under_review", "published"), ("awarded", "published")]
)
def test_request_refused_when_a_posting_is_not_open(
    client, session: Session, market: Market, need_status: str, cap_status: str
) -> None:
    market.need.status = need_status
    market.cap.status = cap_status
    session.flush()
    r = _ask(client, market, "cap_owner")
    assert r.status_code == 409 and r.json()["error"] == "posting_not_open", r.text


def test_request_bad_input(client, session: Session, market: Market) -> None:
    headers = market.headers("need_owner")
    for body in ({}, {"need_id": market.need.id}, {"need_id": "x", "capability_id": 1}):
        r = client.post(URL, json=body, headers=headers)
        assert r.status_code == 422 and r.json()["error"] == "validation_error", r.text
    r = client.post(URL, json={"need_id": market.need.id, "capability_id": 10**8}, headers=headers)
    assert r.status_code == 404, r.text


def test_request_within_one_organisation_is_refused(
    client, session: Session, market: Market
) -> None:
    colleague = create_user(session, Role.researcher, org=_org(session, market.need.org_id))
    market.cap.org_id = market.need.org_id
    session.flush()
    r = client.post(
        URL,
        json={"need_id": market.need.id, "capability_id": market.cap.id},
        headers=auth(colleague),
    )
    assert r.status_code == 400 and r.json()["error"] == "same_org", r.text
