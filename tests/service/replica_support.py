"""A real streaming replica for the read-replica tests: a hot standby of the test PostgreSQL
server, started by `scripts/pg_test_server.sh replica` (pg_basebackup -R from Debian's
`postgresql`), on its own port. PostgreSQL only: without JIEBANG_TEST_DATABASE_URL the tests
that use it are skipped."""

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, make_url, text

from tests.service.live_server import ROOT

SCRIPT = ROOT / "scripts" / "pg_test_server.sh"

needs_postgres = pytest.mark.skipif(
    not os.environ.get("JIEBANG_TEST_DATABASE_URL"),
    reason="the read replica is PostgreSQL only (set JIEBANG_TEST_DATABASE_URL)",
)


@dataclass
class Replica:
    url: str  # the test database on the replica
    directory: str

    def stop(self) -> None:
        subprocess.run([str(SCRIPT), "stop", self.directory], capture_output=True, timeout=120)


@contextmanager
def streaming_replica() -> Iterator[Replica]:
    """A hot standby of the test server, stopped and removed after."""
    primary = os.environ["JIEBANG_TEST_DATABASE_URL"]
    # /tmp itself: the server runs as `postgres`, which cannot enter pytest's private dirs
    directory = tempfile.mkdtemp(prefix="jiebang-replica-")
    done = subprocess.run(
        [str(SCRIPT), "replica", directory, primary], capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        shutil.rmtree(directory, ignore_errors=True)
        why = f"could not start a replica of {primary}:\n{done.stderr[-2000:]}"
        if os.environ.get("CI"):
            pytest.fail(why)  # CI's own server always can: a failure is a bug
        pytest.skip(why)  # a developer's own server may refuse replication connections
    replica = Replica(done.stdout.strip().splitlines()[-1], directory)
    try:
        yield replica
    finally:
        replica.stop()
        shutil.rmtree(directory, ignore_errors=True)


def on_database(server_url: str, database_url: str) -> str:
    """`server_url`'s server with `database_url`'s database."""
    database = make_url(database_url).database
    return make_url(server_url).set(database=database).render_as_string(hide_password=False)


def wait_replayed(primary: Engine, replica: Engine, seconds: float = 60) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    with primary.connect() as conn:
        lsn = conn.execute(text("SELECT pg_current_wal_lsn()")).scalar_one()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with replica.connect() as conn:
            caught_up = conn.execute(
                text("SELECT pg_last_wal_replay_lsn() >= CAST(:lsn AS pg_lsn)"), {"lsn": lsn}
            ).scalar_one()
        if caught_up:
            return
        time.sleep(0.05)
    raise AssertionError(f"the replica did not replay up to {lsn} in {seconds} s")


def set_replay(replica: Engine, *, paused: bool) -> None:
    """Pause or resume the replica's WAL replay (a replica lagging as long as it is paused)."""
    with replica.connect() as conn:
        conn.execute(text(f"SELECT pg_wal_replay_{'pause' if paused else 'resume'}()"))
        conn.commit()
