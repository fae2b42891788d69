"""In-app scheduler: the tick every few minutes, on the process's job queue thread.

Every API process may run one (uvicorn --workers N): the tick's row locks and conditional
state checks make overlapping ticks harmless. Deployments with a system timer instead set
JIEBANG_SCHEDULER_ENABLED=false and run `jiebang tick` from cron / systemd.
"""

import logging
from collections.abc import Callable

from service.kit.jobs import JOBS, JobQueue, Periodic

log = logging.getLogger("jiebang.tick")


class Scheduler:
    """Runs `job` now and then every `interval` seconds on the process's job queue (its one
    background thread, shared with the engine's hand-over and the mail), until stopped."""

    def __init__(
        self, job: Callable[[], object], interval: float, queue: JobQueue | None = None
    ) -> None:
        self.job = job
        self.interval = interval
        self.queue = queue or JOBS
        self._periodic: Periodic | None = None

    @property
    def runs(self) -> int:
        return self._periodic.runs if self._periodic else 0

    @property
    def stopped(self) -> bool:
        return self._periodic is None or self._periodic.stopped.is_set()

    def start(self) -> "Scheduler":
        self._periodic = self.queue.every(self.interval, self._run, name="tick")
        return self

    def stop(self, timeout: float = 10) -> None:
        """No more ticks; a tick in progress ends first (at most `timeout` seconds)."""
        if self._periodic is not None:
            self._periodic.stop(timeout)

    def _run(self) -> None:
        try:
            self.job()
        except Exception:  # a bad tick must not stop the ticks; the next one retries
            log.exception("tick failed")


def start_default() -> Scheduler:
    """The app's scheduler: the real tick on the configured database."""
    from service.config import get_settings
    from service.kit.db import get_sessionmaker
    from service.tick.steps import run_tick

    settings = get_settings()
    return Scheduler(lambda: run_tick(get_sessionmaker()), settings.tick_interval_seconds).start()
