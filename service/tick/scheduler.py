"""In-app scheduler: a daemon thread that runs the tick every few minutes.

Every API process may run one (uvicorn --workers N): the tick's row locks and conditional
state checks make overlapping ticks harmless. Deployments with a system timer instead set
JIEBANG_SCHEDULER_ENABLED=false and run `jiebang tick` from cron / systemd.
"""

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("jiebang.tick")


class Scheduler:
    """Calls `job` now and then every `interval` seconds until stopped."""

    def __init__(self, job: Callable[[], object], interval: float) -> None:
        self.job = job
        self.interval = interval
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="jiebang-tick", daemon=True)

    def start(self) -> "Scheduler":
        self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.job()
            except Exception:  # a bad tick must not kill the thread; the next one retries
                log.exception("tick failed")
            self.runs += 1
            self._stop.wait(self.interval)


def start_default() -> Scheduler:
    """The app's scheduler: the real tick on the configured database."""
    from service.config import get_settings
    from service.kit.db import get_sessionmaker
    from service.tick.steps import run_tick

    settings = get_settings()
    return Scheduler(lambda: run_tick(get_sessionmaker()), settings.tick_interval_seconds).start()
