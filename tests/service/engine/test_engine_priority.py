"""The engine process's share of the machine (`service/engine/priority.py`), on a real
`jiebang engine` process: started in a session of its own (as `jiebang serve` and the load
bench start it), its niceness holds against other sessions too (its autogroup's), and on
PostgreSQL its backends, named `jiebang engine`, run at the same lower priority while the
others keep the server's."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from service.engine.priority import APPLICATION, autogroup_nice
from service.kit.db import make_engine
from tests.service.engine.test_processes import _wait
from tests.service.engine_support import committed_database_url
from tests.service.live_server import server_env

ROOT = Path(__file__).resolve().parents[3]
NICE = 5


def _autogroup_nice(pid: int) -> int | None:
    return autogroup_nice(Path(f"/proc/{pid}/autogroup"))


def test_a_process_without_an_autogroup_reads_none(tmp_path: Path) -> None:
    """In a container the file is there but empty (the CI machine's case): no autogroup."""
    empty, named = tmp_path / "empty", tmp_path / "named"
    empty.write_text("")
    named.write_text("/autogroup-42 nice 3\n")
    assert autogroup_nice(empty) is None
    assert autogroup_nice(tmp_path / "missing") is None
    assert autogroup_nice(named) == 3


def _may_renice(pid: int, nice: int) -> bool:
    """Whether this process may change `pid`'s niceness (setting the one it has asks the
    kernel the same question): root without CAP_SYS_NICE, as in many containers, may not."""
    try:
        os.setpriority(os.PRIO_PROCESS, pid, nice)
    except PermissionError:
        return False
    return True


def _engine_backends(url: str) -> tuple[list[int], int]:
    """The engine's backends, and this connection's own (at the server's priority)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            own = int(conn.scalar(text("SELECT pg_backend_pid()")) or 0)
            rows = conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE application_name = :a"),
                {"a": APPLICATION},
            )
            return [int(r[0]) for r in rows], own
    finally:
        engine.dispose()


def test_the_engine_and_its_database_backends_run_below_the_requests(tmp_path: Path) -> None:
    for url in committed_database_url(tmp_path, "priority"):
        _check(url, tmp_path)


def _check(url: str, tmp_path: Path) -> None:
    env = server_env(url, tmp_path / "var", JIEBANG_ENGINE_WORK="process")
    log = tmp_path / "engine.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "engine", "--nice", str(NICE)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    try:
        _wait(lambda: "engine process started" in log.read_text(), 120)
        assert os.getpriority(os.PRIO_PROCESS, proc.pid) == os.nice(0) + NICE
        if _autogroup_nice(os.getpid()) is not None:  # its session's share, against the others'
            assert _autogroup_nice(proc.pid) == NICE  # a new session's autogroup starts at 0
        if not url.startswith("postgresql"):
            return
        _wait(lambda: _engine_backends(url)[0], 120)  # its warm-up and first sweep
        backends, own = _engine_backends(url)
        server = os.getpriority(os.PRIO_PROCESS, own)
        permitted = _may_renice(own, server)
        for pid in backends:
            lowered = os.getpriority(os.PRIO_PROCESS, pid)
            assert lowered == (min(19, server + NICE) if permitted else server), pid
        if not permitted:
            assert "keep the server's priority" in log.read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
