"""Password change for every user, and an admin reset that forces a change at next login."""

import os
import subprocess
import sys

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from service.kit.db import make_engine
from service.models import AuditEvent
from service.models.enums import Role
from tests.factories import PASSWORD, auth, create_user

NEW = "Changed2026"


def _login(client, username: str, password: str):
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


@pytest.mark.parametrize("role", list(Role))
def test_every_user_changes_their_password(client, session: Session, role: Role) -> None:
    user = create_user(session, role)
    old = auth(user)
    body = {"current_password": PASSWORD, "new_password": NEW}
    r = client.post("/api/v1/me/password", json=body, headers=old)
    assert r.status_code == 200, r.text
    fresh = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert client.get("/api/v1/me", headers=fresh).status_code == 200
    assert client.get("/api/v1/me", headers=old).status_code == 401  # other sessions end
    assert _login(client, user.username, PASSWORD).status_code == 401
    assert _login(client, user.username, NEW).status_code == 200


def test_password_change_refusals(client, session: Session) -> None:
    user = create_user(session, Role.researcher)
    headers = auth(user)
    assert client.post("/api/v1/me/password", json={}).status_code in (401, 422)
    body = {"current_password": PASSWORD, "new_password": NEW}
    assert client.post("/api/v1/me/password", json=body).status_code == 401
    r = client.post(
        "/api/v1/me/password", json={**body, "current_password": "wrong1234"}, headers=headers
    )
    assert r.status_code == 400 and r.json()["error"] == "wrong_password"
    assert "当前密码" in r.json()["detail"]
    r = client.post(
        "/api/v1/me/password", json={**body, "new_password": "abcdefgh"}, headers=headers
    )
    assert r.status_code == 422 and "字母和数字" in r.json()["detail"]
    r = client.post("/api/v1/me/password", json={**body, "new_password": PASSWORD}, headers=headers)
    assert r.status_code == 400 and r.json()["error"] == "password_unchanged"
    assert _login(client, user.username, PASSWORD).status_code == 200


def test_admin_reset_forces_a_change_at_next_login(client, session: Session) -> None:
    admin = create_user(session, Role.admin)
    user = create_user(session, Role.enterprise)
    before = auth(user)
    for role in (Role.enterprise, Role.researcher, Role.broker, Role.expert):
        r = client.post(
            f"/api/v1/users/{user.id}/password-reset", headers=auth(create_user(session, role))
        )
        assert r.status_code == 403, role
    assert client.post(f"/api/v1/users/{user.id}/password-reset").status_code == 401
    r = client.post(f"/api/v1/users/{admin.id}/password-reset", headers=auth(admin))
    assert r.status_code == 400 and r.json()["error"] == "self_reset"
    assert client.post("/api/v1/users/99999/password-reset", headers=auth(admin)).status_code == 404

    r = client.post(f"/api/v1/users/{user.id}/password-reset", headers=auth(admin))
    assert r.status_code == 200, r.text
    temporary = r.json()["temporary_password"]
    assert r.json()["user"]["must_change_password"] is True
    assert client.get("/api/v1/me", headers=before).status_code == 401  # old tokens revoked
    assert _login(client, user.username, PASSWORD).status_code == 401

    login = _login(client, user.username, temporary)
    assert login.status_code == 200 and login.json()["user"]["must_change_password"] is True
    held = {"Authorization": f"Bearer {login.json()['access_token']}"}
    # Held at the change: the account endpoints work, nothing else does.
    assert client.get("/api/v1/me", headers=held).json()["must_change_password"] is True
    r = client.get("/api/v1/needs", params={"mine": True}, headers=held)
    assert r.status_code == 401
    r = client.get("/api/v1/notifications", headers=held)
    assert r.status_code == 403 and r.json()["error"] == "password_change_required"

    body = {"current_password": temporary, "new_password": NEW}
    r = client.post("/api/v1/me/password", json=body, headers=held)
    assert r.status_code == 200 and r.json()["user"]["must_change_password"] is False
    fresh = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert client.get("/api/v1/notifications", headers=fresh).status_code == 200
    actions = session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.object_type == "user", AuditEvent.object_id == user.id
        )
    )
    assert "reset_password" in list(actions)


def test_first_admin_from_the_command_line(tmp_path, repo_root) -> None:
    """`jiebang create-admin` is the documented first-admin step of a new installation."""
    env = {
        **os.environ,
        "JIEBANG_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
        "JIEBANG_VAR_DIR": str(tmp_path),
    }

    def jiebang(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "service.cli", *args]
        return subprocess.run(command, cwd=repo_root, env=env, capture_output=True, text=True)

    assert jiebang("migrate").returncode == 0
    assert jiebang("create-admin", "root_admin", "--password", "weak").returncode == 1
    assert jiebang("create-admin", "Root_Admin", "--password", "Strong2026x").returncode == 0
    taken = jiebang("create-admin", "root_admin", "--password", "Strong2026x")
    assert taken.returncode == 1 and "用户名已被占用" in taken.stderr
    engine = make_engine(env["JIEBANG_DATABASE_URL"])
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT username, role, status FROM users")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("Root_Admin", "admin", "active")]
