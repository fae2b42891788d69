"""kill -9 under concurrent writers, `uvicorn --workers 2`: no acknowledged row is lost, and
after the last restart both workers' engine indexes catch up with the database.

Each kill lands the instant a writer receives a 201, and every commit takes a while (a deferred
trigger sleeps 30 ms at COMMIT, like a busy or synchronously replicated server): an
acknowledgement sent before its commit would be lost. PostgreSQL only: it is the database for
several workers. HashEmbedder stands in for the model (the engine is the subject here)."""

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.factories import need_payload
from tests.service.engine_support import committed_database_url
from tests.service.live_server import (
    Server,
    free_port,
    seed_users,
    server_env,
    start,
    token,
    uvicorn_command,
    wait_for,
)

pytestmark = pytest.mark.skipif(
    "postgresql" not in os.environ.get("JIEBANG_TEST_DATABASE_URL", ""),
    reason="several workers run on PostgreSQL (set JIEBANG_TEST_DATABASE_URL)",
)
SLOW_COMMIT = [
    """CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN PERFORM pg_sleep(0.03); RETURN NULL; END $$""",
    """CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON needs
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit()""",
]
CYCLES = 3
WRITERS = 4
ACKS_PER_CYCLE = 10


@dataclass
class Crashes:
    """The server under test, its writers' acknowledgements, and the kill switch."""

    server: Server
    acknowledged: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    kill_on_next_ack: threading.Event = field(default_factory=threading.Event)
    killed: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)

    def acknowledge(self, need_id: int) -> None:
        with self.lock:
            self.acknowledged.append(need_id)
            if self.kill_on_next_ack.is_set() and not self.killed.is_set():
                os.killpg(self.server.proc.pid, signal.SIGKILL)
                self.killed.set()

    def write(self, headers: dict[str, str]) -> None:
        while not self.done.is_set():
            try:
                r = httpx.post(
                    f"{self.server.base}/api/v1/needs",
                    json=need_payload(title="崩溃测试需求"),
                    headers=headers,
                    timeout=10,
                )
            except httpx.HTTPError:  # the server is down: not acknowledged, try again
                time.sleep(0.05)
                continue
            if r.status_code == 201:
                self.acknowledge(int(r.json()["id"]))

    def acks(self) -> int:
        with self.lock:
            return len(self.acknowledged)


def _status(base: str, headers: dict[str, str]) -> dict[str, Any]:
    """A search (an index catches up before each ranking), then the status of the same
    worker: one new keep-alive connection stays with one worker."""
    with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
        assert http.get("/api/v1/search/needs", params={"q": "崩溃测试"}).status_code == 200
        status: dict[str, Any] = http.get("/api/v1/engine/status").json()
        return status


def _caught_up_workers(base: str, headers: dict[str, str], total: int) -> set[int]:
    """Which workers hold every need. Concurrent fresh connections, so that both workers
    answer some (an idle client's sequential connections may all reach one)."""
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda _: _status(base, headers), range(32)))
    return {
        a["process_id"]
        for a in answers
        if a["needs"]["postings"] == a["needs"]["in_memory"] == total and a["needs"]["missing"] == 0
    }


def _crash_cycles(url: str, tmp_path: Path) -> tuple[Crashes, int]:
    """Run the writers through CYCLES kill -9 / restart cycles; returns the running server."""
    port = free_port()
    env = server_env(
        url,
        tmp_path / "var",
        JIEBANG_ENGINE_BACKGROUND="1",
        JIEBANG_EMBEDDER="hash",
        JIEBANG_ENGINE_SWEEP_SECONDS="1",
    )
    command, log = uvicorn_command(port, workers=2), tmp_path / "server.log"
    crashes = Crashes(start(command, env, log, port))
    headers = token(crashes.server.base, "ent")
    writers = [threading.Thread(target=crashes.write, args=(headers,)) for _ in range(WRITERS)]
    for writer in writers:
        writer.start()
    kills = 0
    try:
        for cycle in range(1, CYCLES + 1):
            wait_for(lambda c=cycle: crashes.acks() >= c * ACKS_PER_CYCLE, 60, "writes")
            crashes.kill_on_next_ack.set()
            wait_for(crashes.killed.is_set, 30, "the kill")
            crashes.server.proc.wait(20)
            kills += 1
            crashes.kill_on_next_ack.clear()
            crashes.server = start(command, env, log, port)
            crashes.killed.clear()
        wait_for(lambda: crashes.acks() >= (CYCLES + 1) * ACKS_PER_CYCLE, 60, "writes")
    except BaseException:
        crashes.server.kill()
        raise
    finally:
        crashes.done.set()
        for writer in writers:
            writer.join(30)
    return crashes, kills


def test_kill_9_under_writers_loses_no_acknowledged_row_and_both_indexes_catch_up(
    tmp_path: Path,
) -> None:
    for url in committed_database_url(tmp_path, "crash"):
        seed_users(url)
        engine = create_engine(url)
        with engine.begin() as conn:
            for statement in SLOW_COMMIT:
                conn.exec_driver_sql(statement)
        engine.dispose()
        crashes, kills = _crash_cycles(url, tmp_path)
        try:
            assert kills == CYCLES
            reader = create_engine(url)
            with reader.connect() as conn:
                stored = set(conn.execute(text("SELECT id FROM needs")).scalars())
            reader.dispose()
            lost = sorted(set(crashes.acknowledged) - stored)
            assert lost == [], f"{len(lost)} of {len(crashes.acknowledged)} acknowledged lost"
            admin = token(crashes.server.base, "boss")
            ready: set[int] = set()
            deadline = time.monotonic() + 30
            while len(ready) < 2 and time.monotonic() < deadline:
                ready |= _caught_up_workers(crashes.server.base, admin, len(stored))
            assert len(ready) == 2, f"caught up within 30 s: workers {ready}"
        finally:
            crashes.server.kill()
