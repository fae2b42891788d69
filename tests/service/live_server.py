"""Real server processes for tests that need the real request path (no overridden session):
`uvicorn service.asgi:app` or `jiebang serve` on a database URL, with helpers to wait and log in."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.orm import Session

from service.kit.db import make_engine
from service.models.enums import OrgKind, Role
from tests.factories import PASSWORD, create_org, create_user

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(ok: Callable[[], bool], seconds: float, what: str = "condition") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if ok():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def seed_users(url: str) -> None:
    """One enterprise user `ent` and one admin `boss`, committed."""
    engine = make_engine(url)
    with Session(engine) as s:
        create_user(s, Role.enterprise, org=create_org(s, OrgKind.enterprise), username="ent")
        create_user(s, Role.admin, org=create_org(s, OrgKind.government), username="boss")
        s.commit()
    engine.dispose()


def token(base: str, username: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def server_env(url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "JIEBANG_TEST_DATABASE_URL"}
    return env | {
        "PYTHONPATH": str(ROOT),
        "JIEBANG_DATABASE_URL": url,
        "JIEBANG_VAR_DIR": str(var_dir),
        "JIEBANG_SECRET_KEY": "live-server-test-key",
        "JIEBANG_ENGINE_BACKGROUND": "0",
        "JIEBANG_SCHEDULER_ENABLED": "0",
        "HF_HUB_OFFLINE": "1",
        **extra,
    }


@dataclass
class Server:
    base: str
    proc: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """kill -9 the server and every process it started (uvicorn workers)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(20)

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])


def start(command: list[str], env: dict[str, str], log: Path, port: int) -> Server:
    """Start `command` in its own process group and wait until /healthz answers."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=out, stderr=out, start_new_session=True
        )
    server = Server(f"http://127.0.0.1:{port}", proc, log)
    deadline = time.monotonic() + 90
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"server exited ({proc.returncode}):\n{server.tail()}")
        try:
            if httpx.get(f"{server.base}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.kill()
            raise AssertionError(f"server not healthy in 90 s:\n{server.tail()}")
        time.sleep(0.2)


def uvicorn_command(port: int, workers: int = 1) -> list[str]:
    command = [sys.executable, "-m", "uvicorn", "service.asgi:app", "--port", str(port)]
    return command + (["--workers", str(workers)] if workers > 1 else [])


@contextmanager
def running(
    url: str, tmp_path: Path, *, command: list[str] | None = None, **extra: str
) -> Iterator[Server]:
    """A real server on `url` (uvicorn unless another command is given, with `{port}`)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = [a.replace("{port}", str(port)) for a in command] if command else uvicorn_command(port)
    server = start(argv, server_env(url, tmp_path / "var", **extra), tmp_path / "server.log", port)
    try:
        yield server
    finally:
        server.proc.terminate()
        try:
            server.proc.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
