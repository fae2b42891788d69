"""邀请揭榜: a need's enterprise invites the organisation of a recommended capability to apply;
the organisation's staff hear with a link to the apply form; once per need × capability."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.kit.clock import today
from service.models import AuditEvent, Invitation, Notification, Organization
from service.models.enums import OrgKind, Role
from tests.factories import auth, create_capability, create_need, create_org, create_user
from tests.service.match_market import ROLES, Market, build_market


@pytest.fixture
def market(session: Session) -> Market:
    return build_market(session)


def _invite(client, market: Market, role: str, capability_id: int | None = None):
    body = {"capability_id": capability_id or market.cap.id}
    url = f"/api/v1/needs/{market.need.id}/invitations"
    return client.post(url, json=body, headers=market.headers(role))


def _invitations(session: Session, user_id: int) -> list[Notification]:
    statement = select(Notification).where(
        Notification.user_id == user_id, Notification.kind == "need_invitation"
    )
    return list(session.scalars(statement))


def test_owner_invites_once(client, session: Session, market: Market) -> None:
    lab_org = session.get(Organization, market.cap.org_id)
    colleague = create_user(session, Role.researcher, org=lab_org)
    lab_expert = create_user(session, Role.expert, org=lab_org)  # experts never hear
    r = _invite(client, market, "need_owner")
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["need_id"], body["capability_id"], body["org_name"]) == (
        market.need.id,
        market.cap.id,
        lab_org.name,
    )
    for user in (market.users["cap_owner"], colleague):
        [note] = _invitations(session, user.id)
        assert note.link == f"/needs/{market.need.id}/apply"
        assert market.need.title in note.title and "邀请" in note.title
        assert market.cap.title in note.body and "300" in note.body  # the bounty in 万元
    assert _invitations(session, lab_expert.id) == []
    assert _invitations(session, market.users["other_researcher"].id) == []
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "invitation", AuditEvent.object_id == body["id"]
        )
    ).one()
    assert (event.action, event.to_state, event.actor_id) == (
        "invite",
        "sent",
        market.users["need_owner"].id,
    )
    again = _invite(client, market, "need_owner")
    assert again.status_code == 409 and again.json()["error"] == "already_invited"
    assert "无需重复邀请" in again.json()["detail"]
    assert len(_invitations(session, market.users["cap_owner"].id)) == 1
    assert len(list(session.scalars(select(Invitation)))) == 1


def test_anonymous_need_does_not_name_the_enterprise(
    client, session: Session, market: Market
) -> None:
    market.need.visibility = "anonymous"
    session.flush()
    assert _invite(client, market, "need_owner").status_code == 201
    [note] = _invitations(session, market.users["cap_owner"].id)
    org_name = session.get(Organization, market.need.org_id).name
    assert org_name not in note.title + note.body and note.title.startswith("一家企业")


REFUSED = {
    "broker": 403,
    "admin": 403,
    "cap_owner": 403,
    "other_enterprise": 403,
    "other_researcher": 403,
    "expert": 403,
    "public": 401,
}


@pytest.mark.parametrize("role", [r for r in ROLES if r in REFUSED])
def test_only_the_owner_invites(client, session: Session, market: Market, role: str) -> None:
    r = _invite(client, market, role)
    assert r.status_code == REFUSED[role], r.text
    if r.status_code == 403:
        assert r.json()["error"] == "not_allowed"
        assert r.json()["detail"] == "只有需求的发布企业可以邀请揭榜"
    assert session.scalar(select(Invitation.id)) is None
    assert _invitations(session, market.users["cap_owner"].id) == []


@pytest.mark.parametrize(
    ("status", "days"),
    [
        ("draft", 30),
        ("submitted", 30),
        ("under_review", 30),
        ("awarded", 30),
        ("in_progress", 30),
        ("withdrawn", 30),
        ("published", -1),  # 张榜中 but past its 揭榜 deadline
    ],
)
def test_refused_when_the_need_takes_no_applications(
    client, session: Session, market: Market, status: str, days: int
) -> None:
    market.need.status = status
    market.need.deadline = today() + timedelta(days=days)
    session.flush()
    r = _invite(client, market, "need_owner")
    assert r.status_code == 403 and r.json()["error"] == "need_not_open", r.text
    assert "张榜中" in r.json()["detail"]
    assert session.scalar(select(Invitation.id)) is None


def test_refused_for_brokers_only_need(client, session: Session, market: Market) -> None:
    market.need.visibility = "brokers_only"
    session.flush()
    r = _invite(client, market, "need_owner")
    assert r.status_code == 403 and r.json()["error"] == "need_not_open", r.text


def test_refused_capabilities(client, session: Session, market: Market) -> None:
    owner = market.users["need_owner"]
    own = create_capability(session, owner, title="本企业自有成果")
    r = _invite(client, market, "need_owner", own.id)
    assert r.status_code == 400 and r.json()["error"] == "same_org", r.text
    lab = create_user(session, Role.researcher, org=create_org(session, OrgKind.university))
    draft = create_capability(session, lab, "draft")
    assert _invite(client, market, "need_owner", draft.id).status_code == 404
    assert _invite(client, market, "need_owner", 10**8).status_code == 404
    url = f"/api/v1/needs/{market.need.id}/invitations"
    for body in ({}, {"capability_id": "abc"}, {"capability_id": 0}):
        r = client.post(url, json=body, headers=auth(owner))
        assert r.status_code == 422 and r.json()["error"] == "validation_error", r.text
    other = create_need(session, market.users["other_enterprise"])
    r = client.post(
        f"/api/v1/needs/{other.id}/invitations",
        json={"capability_id": market.cap.id},
        headers=auth(owner),
    )
    assert r.status_code == 403 and r.json()["error"] == "not_allowed"
