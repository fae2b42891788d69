"""Tokens: `exp` required, short access tokens with refresh, server-side revocation (logout,
disabling), and a signing key file that is private from its first byte."""

import os
import stat
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from service.config import Settings, get_settings
from service.models import User
from service.models.enums import OrgKind, Role
from tests.factories import PASSWORD, auth, create_org, create_user


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _sign(claims: dict[str, Any]) -> str:
    return jwt.encode(claims, get_settings().resolved_secret_key(), algorithm="HS256")


def test_a_signed_token_without_exp_is_refused(client, session: Session) -> None:
    user = create_user(session, Role.enterprise)
    now = datetime.now(UTC)
    claims = {"sub": str(user.id), "iat": now, "ver": user.token_version, "typ": "access"}
    assert client.get("/api/v1/me", headers=_bearer(_sign(claims))).status_code == 401
    expired = {**claims, "exp": now - timedelta(seconds=1)}
    assert client.get("/api/v1/me", headers=_bearer(_sign(expired))).status_code == 401
    valid = {**claims, "exp": now + timedelta(minutes=1)}
    assert client.get("/api/v1/me", headers=_bearer(_sign(valid))).status_code == 200
    r = client.get("/api/v1/me", headers=_bearer(_sign({**valid, "ver": 7})))
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"


def test_short_access_token_renewed_by_refresh(client, session: Session) -> None:
    user = create_user(session, Role.researcher)
    r = client.post("/api/v1/auth/token", data={"username": user.username, "password": PASSWORD})
    pair = r.json()
    assert pair["expires_in"] == 15 * 60 and pair["refresh_expires_in"] == 12 * 3600
    # Each token does its own job only.
    assert client.get("/api/v1/me", headers=_bearer(pair["refresh_token"])).status_code == 401
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["access_token"]})
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": "not-a-token"})
    assert r.status_code == 401
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 200 and r.json()["user"]["id"] == user.id
    renewed = r.json()
    assert client.get("/api/v1/me", headers=_bearer(renewed["access_token"])).status_code == 200


def test_logout_revokes_every_token_of_the_user(client, session: Session) -> None:
    user = create_user(session, Role.broker)
    pairs = [
        client.post(
            "/api/v1/auth/token", data={"username": user.username, "password": PASSWORD}
        ).json()
        for _ in range(2)
    ]
    assert client.post("/api/v1/auth/logout").status_code == 401
    r = client.post("/api/v1/auth/logout", headers=_bearer(pairs[0]["access_token"]))
    assert r.status_code == 204
    for pair in pairs:  # this browser and the other one
        assert client.get("/api/v1/me", headers=_bearer(pair["access_token"])).status_code == 401
        r = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert r.status_code == 401
    again = client.post(
        "/api/v1/auth/token", data={"username": user.username, "password": PASSWORD}
    )
    assert (
        client.get("/api/v1/me", headers=_bearer(again.json()["access_token"])).status_code == 200
    )


def test_disabling_revokes_tokens(client, session: Session) -> None:
    admin = create_user(session, Role.admin)
    user = create_user(session, Role.enterprise)
    pair = client.post(
        "/api/v1/auth/token", data={"username": user.username, "password": PASSWORD}
    ).json()
    client.patch(f"/api/v1/users/{user.id}", json={"is_active": False}, headers=auth(admin))
    client.patch(f"/api/v1/users/{user.id}", json={"is_active": True}, headers=auth(admin))
    assert client.get("/api/v1/me", headers=_bearer(pair["access_token"])).status_code == 401
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 401


_watch: dict[str, Any] = {"dir": None, "events": []}


def _audit(event: str, args: tuple[Any, ...]) -> None:
    folder = _watch["dir"]
    if folder is None or event not in ("open", "os.link", "os.rename"):
        return
    paths = [a for a in args if isinstance(a, (str, bytes, os.PathLike))]
    if not any(str(p).startswith(folder) for p in paths):
        return
    if event == "open":
        path, mode, flags = args
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR)
        )
        if writes:
            _watch["events"].append(("write", str(path), flags))
    else:
        source = Path(str(args[0]))
        _watch["events"].append(
            ("move", str(args[1]), stat.S_IMODE(source.stat().st_mode), source.read_text())
        )


sys.addaudithook(_audit)


def test_secret_key_file_is_private_from_its_first_byte(tmp_path: Path) -> None:
    var = tmp_path / "var"
    final = str(var / "secret.key")
    _watch["dir"], _watch["events"] = str(tmp_path), []
    try:
        key = Settings(var_dir=var, secret_key="").resolved_secret_key()
    finally:
        _watch["dir"] = None
    writes = [e for e in _watch["events"] if e[0] == "write"]
    assert writes and all(e[1] != final for e in writes), "the key file itself is never written"
    assert all(e[2] & os.O_EXCL and e[2] & os.O_CREAT for e in writes)
    moves = [e for e in _watch["events"] if e[0] == "move"]
    assert moves == [("move", final, 0o600, key)]
    assert stat.S_IMODE(os.stat(final).st_mode) == 0o600
    assert os.listdir(var) == ["secret.key"]  # no temporary file left behind


def test_racing_first_starts_agree_on_one_key(tmp_path: Path) -> None:
    keys: list[str] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        settings = Settings(var_dir=tmp_path, secret_key="")
        barrier.wait()
        keys.append(settings.resolved_secret_key())

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(keys) == 8 and len(set(keys)) == 1
    assert (tmp_path / "secret.key").read_text() == keys[0]


def test_the_caller_is_read_without_its_organisation(client, session: Session) -> None:
    """A request's caller is its user row alone (its organisation joined cost every
    authenticated request ~0.5 ms of CPU, BENCHMARKS §30); what shows the organisation
    (/me, a refreshed token pair) still reads it."""
    lab = create_org(session, OrgKind.university, name="某某大学")
    user = create_user(session, Role.researcher, org=lab)
    headers = auth(user)
    session.commit()
    session.expunge_all()
    loaded: list[object] = []
    event.listen(session, "loaded_as_persistent", lambda _, instance: loaded.append(instance))
    assert client.get("/api/v1/notifications", headers=headers).status_code == 200
    assert [type(o) for o in loaded] == [User]
    assert "org" not in inspect(loaded[0]).dict  # not loaded, not joined

    assert client.get("/api/v1/me", headers=headers).json()["org"]["name"] == "某某大学"
    session.expunge_all()
    r = client.post("/api/v1/auth/token", data={"username": user.username, "password": PASSWORD})
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": r.json()["refresh_token"]})
    assert r.json()["user"]["org"]["name"] == "某某大学"
