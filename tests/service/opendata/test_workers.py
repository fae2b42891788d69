"""The rate limit holds across worker processes: `uvicorn --workers 2` on one database,
concurrent requests on fresh connections (so both workers answer), exactly the key's
allowance is answered and the rest refused. Per-process counters would let up to twice the
allowance through. SQLite and PostgreSQL."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from time import sleep

import httpx

from tests.service.engine_support import committed_database_url
from tests.service.live_server import (
    free_port,
    seed_users,
    server_env,
    start,
    token,
    uvicorn_command,
)

LIMIT = 10
CALLS = 40


def _get(base: str, path: str, headers: dict[str, str]) -> httpx.Response:
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:  # a new connection
        return http.get(path)


def _concurrently(base: str, path: str, headers: dict[str, str], n: int) -> list[httpx.Response]:
    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(lambda _: _get(base, path, headers), range(n)))


def test_two_workers_share_each_keys_count(tmp_path: Path) -> None:
    for url in committed_database_url(tmp_path, "ratelimit"):
        seed_users(url)
        port = free_port()
        env = server_env(url, tmp_path / "var")
        server = start(uvicorn_command(port, workers=2), env, tmp_path / "server.log", port)
        try:
            base = server.base
            made = httpx.post(
                f"{base}/api/v1/api-keys",
                json={"name": "多进程限流", "rate_limit_per_minute": LIMIT},
                headers=token(base, "ent"),
            )
            assert made.status_code == 201, made.text
            key = {"X-Api-Key": made.json()["secret"]}
            admin = token(base, "boss")
            status = _concurrently(base, "/api/v1/engine/status", admin, 32)
            workers = {r.json()["process_id"] for r in status}
            assert len(workers) == 2, "both workers answer fresh connections"
            if datetime.now(UTC).second > 45:  # all the calls within one minute
                sleep(61 - datetime.now(UTC).second)
            answers = _concurrently(base, "/api/open/v1/needs", key, CALLS)
            statuses = sorted(a.status_code for a in answers)
            assert statuses == [200] * LIMIT + [429] * (CALLS - LIMIT), server.tail()
            listed = httpx.get(f"{base}/api/v1/api-keys", headers=token(base, "ent")).json()
            item = listed["items"][0]
            assert (item["requests_today"], item["throttled_today"]) == (LIMIT, CALLS - LIMIT)
        finally:
            server.proc.terminate()
            server.proc.wait(20)
