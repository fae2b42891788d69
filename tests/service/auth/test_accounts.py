"""Registration, login, /me, admin-created accounts, organisations and the field taxonomy."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import Organization, User
from service.models.enums import Role
from tests.factories import PASSWORD, auth, create_need, create_user, need_payload


def _register(client, username: str = "zhangsan", kind: str = "enterprise", **kw):
    body = {
        "username": username,
        "password": "Abcdef12",
        "display_name": "张三",
        "email": "zs@example.com",
        "phone": "13800001111",
        "org": {"name": kw.pop("org_name", f"{username}的机构"), "kind": kind},
    }
    body.update(kw)
    return client.post("/api/v1/auth/register", json=body)


@pytest.mark.parametrize(
    ("kind", "role"),
    [
        ("enterprise", "enterprise"),
        ("university", "researcher"),
        ("institute", "researcher"),
        ("broker_agency", "broker"),
    ],
)
def test_register_gives_the_role_of_the_org_kind(client, kind: str, role: str) -> None:
    r = _register(client, kind=kind)
    assert r.status_code == 201, r.text
    assert r.json()["user"]["role"] == role and r.json()["user"]["org"]["kind"] == kind
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert me.json()["username"] == "zhangsan" and me.json()["role_label"]


def test_register_refusals(client, session: Session) -> None:
    assert _register(client).status_code == 201
    r = _register(client)
    assert r.status_code == 409 and r.json()["error"] == "username_taken"
    r = _register(client, username="lisi", org_name="zhangsan的机构")
    assert r.status_code == 409 and r.json()["error"] == "org_exists"
    r = _register(client, username="wangwu", kind="government")
    assert r.status_code == 400 and r.json()["error"] == "kind_not_allowed"
    r = _register(client, username="weak", password="abcdefgh")
    assert r.status_code == 422 and "字母和数字" in r.json()["detail"]
    r = _register(client, username="bad name!")
    assert r.status_code == 422
    r = _register(client, username="mail", email="not-an-email")
    assert r.status_code == 422
    assert session.scalar(select(func.count()).select_from(User)) == 1
    assert session.scalar(select(func.count()).select_from(Organization)) == 1


def test_login(client, session: Session) -> None:
    user = create_user(session, Role.broker, username="broker1")
    r = client.post("/api/v1/auth/token", data={"username": "broker1", "password": PASSWORD})
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    assert r.json()["user"]["id"] == user.id
    r = client.post("/api/v1/auth/token", data={"username": "broker1", "password": "wrong"})
    assert r.status_code == 401 and r.json()["error"] == "invalid_credentials"
    r = client.post("/api/v1/auth/token", data={"username": "nobody", "password": PASSWORD})
    assert r.status_code == 401 and r.json()["error"] == "invalid_credentials"
    user.is_active = False
    session.flush()
    r = client.post("/api/v1/auth/token", data={"username": "broker1", "password": PASSWORD})
    assert r.status_code == 401 and r.json()["error"] == "account_disabled"
    assert client.get("/api/v1/me", headers=auth(user)).status_code == 401


def test_admin_manages_users(client, session: Session) -> None:
    admin = create_user(session, Role.admin)
    uni = create_user(session, Role.researcher).org_id
    body = {
        "username": "expert1",
        "password": "Expert123",
        "display_name": "评审专家甲",
        "role": "expert",
        "org_id": uni,
    }
    for role in (Role.enterprise, Role.broker, Role.expert):
        r = client.post("/api/v1/users", json=body, headers=auth(create_user(session, role)))
        assert r.status_code == 403
    r = client.post("/api/v1/users", json=body, headers=auth(admin))
    assert r.status_code == 201 and r.json()["role"] == "expert"
    r = client.post(
        "/api/v1/users",
        json={**body, "username": "broker2", "role": "broker", "org_id": None},
        headers=auth(admin),
    )
    assert r.status_code == 400 and r.json()["error"] == "org_required"
    r = client.post(
        "/api/v1/users", json={**body, "username": "broker3", "org_id": 99999}, headers=auth(admin)
    )
    assert r.status_code == 404
    listed = client.get("/api/v1/users", params={"role": "expert"}, headers=auth(admin)).json()
    assert [u["username"] for u in listed["items"]][-1] == "expert1"
    expert_id = listed["items"][-1]["id"]
    r = client.patch(f"/api/v1/users/{expert_id}", json={"is_active": False}, headers=auth(admin))
    assert r.json()["is_active"] is False
    r = client.patch(f"/api/v1/users/{admin.id}", json={"is_active": False}, headers=auth(admin))
    assert r.status_code == 400


def test_orgs_directory(client, session: Session) -> None:
    user = create_user(session, Role.enterprise)
    r = client.get("/api/v1/orgs", params={"kind": "enterprise"})
    assert [o["id"] for o in r.json()["items"]] == [user.org_id]
    assert client.get(f"/api/v1/orgs/{user.org_id}").json()["kind_label"] == "企业"
    r = client.post(
        "/api/v1/orgs", json={"name": "新机构", "kind": "government"}, headers=auth(user)
    )
    assert r.status_code == 403
    admin = create_user(session, Role.admin)
    r = client.post(
        "/api/v1/orgs", json={"name": "昆山市科学技术局", "kind": "government"}, headers=auth(admin)
    )
    assert r.status_code == 201


def test_field_taxonomy_is_seeded_and_extensible(client, session: Session) -> None:
    names = [f["name"] for f in client.get("/api/v1/fields").json()]
    assert names[:3] == ["新型显示", "半导体与集成电路", "智能制造与机器人"] and len(names) == 13
    admin = create_user(session, Role.admin)
    owner = create_user(session, Role.enterprise)
    new = {"code": "quantum", "name": "量子信息", "sort_order": 200}
    assert client.post("/api/v1/fields", json=new, headers=auth(owner)).status_code == 403
    assert client.post("/api/v1/fields", json=new, headers=auth(admin)).status_code == 201
    assert client.post("/api/v1/fields", json=new, headers=auth(admin)).status_code == 409
    bad = client.post(
        "/api/v1/fields", json={"code": "Bad Code", "name": "坏"}, headers=auth(admin)
    )
    assert bad.status_code == 422
    r = client.post("/api/v1/needs", json=need_payload(field="quantum"), headers=auth(owner))
    assert r.status_code == 201 and r.json()["field_name"] == "量子信息"
    client.patch("/api/v1/fields/quantum", json={"active": False}, headers=auth(admin))
    r = client.post("/api/v1/needs", json=need_payload(field="quantum"), headers=auth(owner))
    assert r.status_code == 400 and r.json()["error"] == "unknown_field"
    assert "quantum" not in [f["code"] for f in client.get("/api/v1/fields").json()]
    create_need(session, owner)  # existing postings keep their (retired) field


def test_audit_log_is_admin_only(client, session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    r = client.post("/api/v1/needs", json=need_payload(), headers=auth(owner))
    assert r.status_code == 201
    assert client.get("/api/v1/audit", headers=auth(owner)).status_code == 403
    admin = create_user(session, Role.admin)
    rows = client.get("/api/v1/audit", params={"object_type": "need"}, headers=auth(admin)).json()
    assert rows["items"][0]["action"] == "create" and rows["items"][0]["actor_id"] == owner.id
