"""API keys: made and revoked in the web app, the secret shown once and kept as a digest,
every role's refusals, and a revoked key refused at once."""

import hashlib

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import ApiKey, AuditEvent, Organization
from service.models.enums import AccountStatus, Role
from tests.factories import auth, create_user
from tests.service.opendata.conftest import KeyMaker

KEYS = "/api/v1/api-keys"


def test_an_enterprise_user_creates_a_key_shown_once_and_stored_as_a_digest(
    client: TestClient, session: Session
) -> None:
    user = create_user(session, Role.enterprise, display_name="王工")
    response = client.post(
        KEYS, json={"name": "省科技厅数据同步", "rate_limit_per_minute": 120}, headers=auth(user)
    )
    assert response.status_code == 201
    body = response.json()
    secret = body["secret"]
    assert secret.startswith("jb_") and len(secret) > 40
    assert body["prefix"] == secret[:10]
    assert body["status"] == "active" and body["status_label"] == "有效"
    assert body["rate_limit_per_minute"] == 120
    assert body["created_by_name"] == "王工"
    assert body["org"]["id"] == user.org_id
    assert body["actions"] == ["revoke"]
    row = session.scalars(select(ApiKey).where(ApiKey.id == body["id"])).one()
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (row.prefix, row.secret_hash, row.name)
    audit = session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "api_key", AuditEvent.object_id == row.id
        )
    ).all()
    assert [(a.action, a.to_state, a.actor_id) for a in audit] == [("create", "active", user.id)]
    # Never again: neither the list nor the detail carries the secret.
    listed = client.get(KEYS, headers=auth(user)).json()
    assert listed["total"] == 1 and "secret" not in listed["items"][0]
    detail = client.get(f"{KEYS}/{body['id']}", headers=auth(user)).json()
    assert "secret" not in detail and secret not in str(detail)


def test_a_researcher_creates_a_key_with_the_default_limit(
    client: TestClient, session: Session
) -> None:
    user = create_user(session, Role.researcher)
    response = client.post(KEYS, json={"name": "高校科研处"}, headers=auth(user))
    assert response.status_code == 201
    assert response.json()["rate_limit_per_minute"] == 60


def test_roles_that_may_not_create_keys_are_refused(client: TestClient, session: Session) -> None:
    for role in (Role.broker, Role.expert, Role.admin):
        user = create_user(session, role)
        response = client.post(KEYS, json={"name": "试用"}, headers=auth(user))
        assert response.status_code == 403, role
        assert response.json()["error"] == "wrong_role"
        assert "企业用户和科研人员" in response.json()["detail"]
    for role in (Role.broker, Role.expert):
        response = client.get(KEYS, headers=auth(create_user(session, role)))
        assert response.status_code == 403
    pending = create_user(session, Role.enterprise, status=AccountStatus.pending)
    response = client.post(KEYS, json={"name": "试用"}, headers=auth(pending))
    assert response.status_code == 403 and response.json()["error"] == "account_pending"
    assert client.post(KEYS, json={"name": "试用"}).status_code == 401
    assert client.get(KEYS).status_code == 401


def test_bad_input_is_refused_in_the_one_shape(client: TestClient, session: Session) -> None:
    user = create_user(session, Role.enterprise)
    for body in (
        {},
        {"name": ""},
        {"name": "x" * 51},
        {"name": "同步", "rate_limit_per_minute": 0},
        {"name": "同步", "rate_limit_per_minute": 601},
        {"name": "同步", "secret": "jb_mine"},
    ):
        response = client.post(KEYS, json=body, headers=auth(user))
        assert response.status_code == 422, body
        assert response.json()["error"] == "validation_error"
        assert response.json()["detail"].startswith("请求参数不合法")


def test_an_organisation_keeps_at_most_five_active_keys(
    client: TestClient, session: Session
) -> None:
    user = create_user(session, Role.enterprise)
    ids = []
    for n in range(5):
        response = client.post(KEYS, json={"name": f"同步任务{n}"}, headers=auth(user))
        ids.append(response.json()["id"])
    response = client.post(KEYS, json={"name": "第六个"}, headers=auth(user))
    assert response.status_code == 409 and response.json()["error"] == "too_many_keys"
    assert "5 个有效密钥" in response.json()["detail"]
    client.post(f"{KEYS}/{ids[0]}/revoke", headers=auth(user))
    assert client.post(KEYS, json={"name": "第六个"}, headers=auth(user)).status_code == 201


def test_staff_of_the_organisation_see_and_revoke_its_keys_others_do_not(
    client: TestClient, session: Session, make_key: KeyMaker
) -> None:
    owner = create_user(session, Role.enterprise)
    colleague = create_user(session, Role.enterprise, org=session.get(Organization, owner.org_id))
    header = make_key(owner)
    key_id = client.get(KEYS, headers=auth(owner)).json()["items"][0]["id"]
    for stranger in (create_user(session, Role.enterprise), create_user(session, Role.researcher)):
        assert client.get(f"{KEYS}/{key_id}", headers=auth(stranger)).status_code == 404
        assert client.get(f"{KEYS}/{key_id}/usage", headers=auth(stranger)).status_code == 404
        assert client.get(KEYS, headers=auth(stranger)).json()["total"] == 0
        response = client.post(f"{KEYS}/{key_id}/revoke", headers=auth(stranger))
        assert response.status_code == 404
    for role in (Role.broker, Role.expert):
        response = client.post(f"{KEYS}/{key_id}/revoke", headers=auth(create_user(session, role)))
        assert response.status_code == 403
    assert client.get("/api/open/v1/needs", headers=header).status_code == 200
    # A colleague of the same organisation sees the key and revokes it.
    assert client.get(KEYS, headers=auth(colleague)).json()["total"] == 1
    response = client.post(
        f"{KEYS}/{key_id}/revoke", json={"reason": "合作到期"}, headers=auth(colleague)
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "revoked" and body["status_label"] == "已吊销"
    assert body["revoked_at"] is not None and body["actions"] == []
    audit = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "api_key", AuditEvent.object_id == key_id)
        .order_by(AuditEvent.id)  # PostgreSQL returns rows in no set order without one
    ).all()
    assert [(a.action, a.actor_id, a.reason) for a in audit][-1] == (
        "revoke",
        colleague.id,
        "合作到期",
    )
    # A revoked key is refused at once, and cannot be revoked twice.
    response = client.get("/api/open/v1/needs", headers=header)
    assert response.status_code == 401
    assert response.json() == {
        "error": "api_key_revoked",
        "detail": "该 API 密钥已吊销，请在「开放接口」页面创建新的密钥",
        "detail_en": "API key revoked",
    }
    response = client.post(f"{KEYS}/{key_id}/revoke", headers=auth(owner))
    assert response.status_code == 409 and response.json()["error"] == "invalid_transition"


def test_an_admin_sees_every_key_and_revokes_any(
    client: TestClient, session: Session, make_key: KeyMaker
) -> None:
    first, second = create_user(session, Role.enterprise), create_user(session, Role.researcher)
    make_key(first, name="企业甲同步")
    header = make_key(second, name="高校乙同步")
    admin = create_user(session, Role.admin)
    listed = client.get(KEYS, headers=auth(admin)).json()
    names = {item["name"]: item for item in listed["items"]}
    assert {"企业甲同步", "高校乙同步"} <= set(names)
    key = names["高校乙同步"]
    assert key["org"]["id"] == second.org_id and key["actions"] == ["revoke"]
    assert client.get(f"{KEYS}/{key['id']}/usage", headers=auth(admin)).status_code == 200
    response = client.post(
        f"{KEYS}/{key['id']}/revoke", json={"reason": "调用异常"}, headers=auth(admin)
    )
    assert response.status_code == 200 and response.json()["status"] == "revoked"
    assert client.get("/api/open/v1/needs", headers=header).status_code == 401


def test_an_unknown_key_id_is_404(client: TestClient, session: Session) -> None:
    user = create_user(session, Role.enterprise)
    for url in (f"{KEYS}/999999", f"{KEYS}/999999/usage"):
        response = client.get(url, headers=auth(user))
        assert response.status_code == 404 and response.json()["detail"] == "密钥不存在"
    assert client.post(f"{KEYS}/999999/revoke", headers=auth(user)).status_code == 404
