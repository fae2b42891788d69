"""No self-made brokers: a self-registered broker waits for an admin and, until approved, sees
what the public sees and can act on nothing."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import AuditEvent, Notification, User
from service.models.enums import Role
from tests.factories import (
    auth,
    create_capability,
    create_match,
    create_need,
    create_user,
)

BROKER_SIGNUP = {
    "username": "newbroker",
    "password": "Broker123",
    "display_name": "新经纪人",
    "org": {"name": "新技术转移中心", "kind": "broker_agency"},
}


def _signup(client) -> tuple[int, dict[str, str]]:
    r = client.post("/api/v1/auth/register", json=BROKER_SIGNUP)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["user"]["role"] == "broker" and body["user"]["status"] == "pending"
    assert body["user"]["status_label"] == "待审核"
    return body["user"]["id"], {"Authorization": f"Bearer {body['access_token']}"}


def _market(session: Session) -> dict[str, int]:
    owner = create_user(session, Role.enterprise)
    researcher = create_user(session, Role.researcher)
    need = create_need(session, owner)
    hidden = create_need(session, owner, visibility="brokers_only")
    match = create_match(session, need, create_capability(session, researcher))
    return {"need": need.id, "hidden": hidden.id, "match": match.id}


def test_pending_broker_sees_what_the_public_sees(client, session: Session) -> None:
    ids = _market(session)
    user_id, headers = _signup(client)
    me = client.get("/api/v1/me", headers=headers).json()
    assert me["status"] == "pending" and me["role"] == "broker"

    need = client.get(f"/api/v1/needs/{ids['need']}", headers=headers).json()
    public = client.get(f"/api/v1/needs/{ids['need']}").json()
    assert need["contact"] is None and need == public
    listed = client.get("/api/v1/needs", params={"page_size": 100}, headers=headers).json()
    assert all(n["contact"] is None for n in listed["items"])
    assert ids["hidden"] not in [n["id"] for n in listed["items"]]
    assert client.get(f"/api/v1/needs/{ids['hidden']}", headers=headers).status_code == 404

    for path in ("/api/v1/matches", f"/api/v1/matches/{ids['match']}", "/api/v1/matches/board"):
        r = client.get(path, headers=headers)
        assert r.status_code == 403 and r.json()["error"] == "account_pending", path
    r = client.post(
        f"/api/v1/matches/{ids['match']}/reject", json={"reason": "不相关"}, headers=headers
    )
    assert r.status_code == 403 and r.json()["error"] == "account_pending"
    r = client.post(f"/api/v1/matches/{ids['match']}/approve", json={}, headers=headers)
    assert r.status_code == 403

    # The admin approves: the same token now works as a broker's.
    admin = create_user(session, Role.admin)
    r = client.post(f"/api/v1/users/{user_id}/approve", headers=auth(admin))
    assert r.status_code == 200 and r.json()["status"] == "active"
    assert client.get(f"/api/v1/needs/{ids['need']}", headers=headers).json()["contact"]
    assert client.get(f"/api/v1/needs/{ids['hidden']}", headers=headers).status_code == 200
    assert client.get("/api/v1/matches", headers=headers).status_code == 200
    kinds = session.scalars(select(Notification.kind).where(Notification.user_id == user_id))
    assert list(kinds) == ["account_approved"]
    history = session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.object_type == "user", AuditEvent.object_id == user_id
        )
    )
    assert list(history) == ["register", "approve"]


def test_admins_hear_of_and_list_pending_accounts(client, session: Session) -> None:
    admin = create_user(session, Role.admin)
    user_id, _ = _signup(client)
    note = session.scalars(select(Notification).where(Notification.user_id == admin.id)).one()
    assert note.kind == "account_pending" and note.link == "/admin/users?status=pending"
    listed = client.get("/api/v1/users", params={"status": "pending"}, headers=auth(admin))
    assert [u["id"] for u in listed.json()["items"]] == [user_id]


@pytest.mark.parametrize("kind", ["enterprise", "university", "institute"])
def test_staff_roles_are_active_at_once(client, kind: str) -> None:
    body = {**BROKER_SIGNUP, "org": {"name": f"{kind}机构", "kind": kind}}
    r = client.post("/api/v1/auth/register", json=body)
    assert r.status_code == 201 and r.json()["user"]["status"] == "active"


def test_approval_refusals_for_every_role(client, session: Session) -> None:
    user_id, pending_headers = _signup(client)
    callers: dict[str, dict[str, str]] = {"public": {}, "pending": pending_headers}
    for role in (Role.enterprise, Role.researcher, Role.broker, Role.expert):
        callers[role.value] = auth(create_user(session, role))
    for name, headers in callers.items():
        for action, body in (("approve", None), ("refuse", {"reason": "资料不全"})):
            r = client.post(f"/api/v1/users/{user_id}/{action}", json=body, headers=headers)
            expected = 401 if name == "public" else 403
            assert r.status_code == expected, (name, action, r.text)
        r = client.get("/api/v1/users", params={"status": "pending"}, headers=headers)
        assert r.status_code in (401, 403), name
    admin = auth(create_user(session, Role.admin))
    r = client.post(f"/api/v1/users/{user_id}/refuse", json={"reason": " "}, headers=admin)
    assert r.status_code == 422
    assert client.post("/api/v1/users/99999/approve", headers=admin).status_code == 404
    active = create_user(session, Role.enterprise)
    r = client.post(f"/api/v1/users/{active.id}/approve", headers=admin)
    assert r.status_code == 409 and r.json()["error"] == "invalid_transition"
    assert session.get(User, user_id).status == "pending"


def test_refused_account_is_told_and_locked_out(client, session: Session) -> None:
    user_id, headers = _signup(client)
    admin = auth(create_user(session, Role.admin))
    r = client.post(
        f"/api/v1/users/{user_id}/refuse", json={"reason": "机构资质不符"}, headers=admin
    )
    assert r.status_code == 200 and r.json()["status"] == "refused"
    assert client.post(f"/api/v1/users/{user_id}/approve", headers=admin).status_code == 409
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    login = {"username": "newbroker", "password": BROKER_SIGNUP["password"]}
    r = client.post("/api/v1/auth/token", data=login)
    assert r.status_code == 401 and r.json()["error"] == "account_refused"
    note = session.scalars(select(Notification).where(Notification.user_id == user_id)).one()
    assert note.kind == "account_refused" and "机构资质不符" in note.body


def test_pending_broker_hears_no_engine_candidates(session: Session) -> None:
    from service.engine.candidates import tell_brokers

    approved = create_user(session, Role.broker)
    pending = create_user(session, Role.broker, status="pending")
    need = create_need(session, create_user(session, Role.enterprise))
    tell_brokers(session, {need: 3})
    told = set(
        session.scalars(
            select(Notification.user_id).where(Notification.kind == "engine_candidates")
        )
    )
    assert approved.id in told and pending.id not in told
