"""The engine process's share of the machine: below the requests', its database work too.

`jiebang engine` adds `engine_nice` to its niceness (`lower_process`). On Linux with
autogroups (`kernel.sched_autogroup_enabled`, on by default in most kernels) the scheduler
first shares the CPU equally between sessions, and a niceness counts only against the other
processes of the same session: an engine started in a session of its own (`jiebang serve`,
the load bench, a systemd service) got as much CPU as each web process, nice or not
(`matching/BENCHMARKS.md` §29). So an engine that leads its session gives its session's
autogroup the same niceness (`/proc/self/autogroup`; raising it needs no privilege).

Its PostgreSQL backends are the server's processes, at the server's priority: the engine's
rankings, scans and writes ran there beside the requests' queries as their equals. Each new
connection of the engine's is named `jiebang engine` (`application_name`, what
`pg_stat_activity` shows), looks up its backend (`pg_backend_pid()`) and adds `engine_nice`
to that process's niceness (`lower_backends`), when the server runs on this host (a Unix
socket or a loopback address, and the process is a `postgres`) and this user may (the
server's own user, or root). Otherwise it logs one line and tries no more.
"""

import ipaddress
import logging
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

log = logging.getLogger("jiebang.engine")

APPLICATION = "jiebang engine"  # application_name of the engine's PostgreSQL connections
MAX_NICE = 19
AUTOGROUP = Path("/proc/self/autogroup")


def lower_process(nice: int) -> None:
    """Add `nice` to this process's niceness, and to its autogroup's when it leads its own
    session (never to a shell's: a terminal's session keeps its priority)."""
    if nice <= 0:
        return
    os.nice(nice)
    if os.getsid(0) != os.getpid():
        return
    current = autogroup_nice(AUTOGROUP)
    if current is None:  # no autogroup here: the niceness is enough
        return
    try:
        AUTOGROUP.write_text(str(min(MAX_NICE, current + nice)))
    except OSError:
        return


def autogroup_nice(path: Path) -> int | None:
    """The niceness of the autogroup a `/proc/<pid>/autogroup` file names ("/autogroup-123
    nice 0"); None without one: a kernel without autogroups has no file, and a process in a
    cgroup of its own (a container, a systemd unit) an empty one, where the cgroup shares
    the CPU instead."""
    try:
        return int(path.read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


def lower_backends(engine: Engine, nice: int) -> None:
    """Name each new PostgreSQL connection of `engine` and add `nice` to its backend's
    niceness (see the module's docstring); nothing on SQLite, where the work is in-process."""
    if nice <= 0 or engine.dialect.name != "postgresql":
        return
    state = {"refused": False}

    @event.listens_for(engine, "connect")
    def _lower(dbapi_conn: Any, _record: Any) -> None:
        with dbapi_conn.cursor() as cursor:
            cursor.execute(f"SET application_name TO '{APPLICATION}'")
            cursor.execute("SELECT pg_backend_pid(), inet_server_addr()::text")
            pid, address = cursor.fetchone()
        dbapi_conn.commit()  # the SET is the session's; no transaction is left open
        if state["refused"]:
            return
        reason = _refusal(pid, address, nice)
        if reason:
            state["refused"] = True
            log.info("engine: its PostgreSQL backends keep the server's priority (%s)", reason)


def _refusal(pid: int, address: str | None, nice: int) -> str | None:
    """Lower backend `pid`; why not, when it cannot be done."""
    if address is not None:
        host = address.split("/")[0]
        if not ipaddress.ip_address(host).is_loopback:
            return f"the server is at {host}, not on this host"
    try:
        if Path(f"/proc/{pid}/comm").read_text().strip() != "postgres":
            return f"process {pid} is not this host's postgres"
        current = os.getpriority(os.PRIO_PROCESS, pid)
        if current < MAX_NICE:
            os.setpriority(os.PRIO_PROCESS, pid, min(MAX_NICE, current + nice))
    except PermissionError:
        return "not permitted: another user's processes"
    except OSError as exc:
        return f"process {pid} not reachable ({exc.strerror})"
    return None
