"""The engine process's inbox: how app processes hand work to `jiebang engine`.

With `JIEBANG_ENGINE_WORK=process` no app process runs background work: a posting to
(re-)embed is written to the `engine_inbox` table in the transaction that changed it
(`jobs.enqueue_embedding`: committed with the change, or not at all), and a posting whose
recommendations were read without a current list after the read (`post_views`, on the job
queue's thread, on the primary even when the read was on a replica; without waiting for
the disk on PostgreSQL: a lost view costs one more live ranking, and the next read hands it
over again). The engine's `EmbeddingWorker` reads the rows past the last id it read every
`POLL` seconds (one primary-key range scan, nothing found most of the time), and the whole
table every `RESCAN` seconds (it holds only what waits: a row whose transaction took its id
before another's and committed after it is found then), and deletes a row once its work is
done (`claim`, then `done`): a killed engine finds, at its restart,
every row it had not finished. A posting handed over again while waiting is taken once.
"""

import logging
import time
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from service.engine import repository
from service.engine.documents import Kind
from service.engine.jobs import VIEWED
from service.kit.db import get_sessionmaker

log = logging.getLogger("jiebang.engine")

POLL = 0.5  # seconds between two reads of the inbox
RESCAN = 10.0  # seconds between two reads of the whole inbox (ids committed out of order)
READ = 1000  # rows read at most per poll
Item = tuple[str, Kind, int]  # topic, kind, posting id


def post_views(items: Iterable[tuple[Kind, int]]) -> None:
    """The `engine.viewed` consumer of an app process in process mode (after the commit)."""
    try:
        with get_sessionmaker()() as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SET LOCAL synchronous_commit TO OFF"))
            repository.post_inbox(session, VIEWED, items)
            session.commit()
    except Exception as exc:  # a lost view is stored at the posting's next read
        log.warning("engine inbox: views not handed over (%s)", exc.__class__.__name__)


class Inbox:
    """The engine process's reader of `engine_inbox`."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory
        self._after = 0  # the last row id read
        self._held: dict[Item, list[int]] = {}  # read, not yet claimed: their row ids
        self._known: set[int] = set()  # rows read and not deleted yet
        self._polled = self._rescanned = -float("inf")

    def poll(self, *, now: bool = False) -> list[Item]:
        """The postings handed over since the last poll and not waiting already (read at most
        every `POLL` seconds unless `now`)."""
        if not now and time.monotonic() - self._polled < POLL:
            return []
        self._polled = time.monotonic()
        after = self._after
        if self._polled - self._rescanned >= RESCAN:
            after, self._rescanned = 0, self._polled
        fresh: list[Item] = []
        while True:
            with self.session_factory() as session:
                rows = repository.inbox_after(session, after, READ)
            for row_id, topic, kind, posting_id in rows:
                after = max(after, row_id)
                if row_id in self._known:
                    continue
                self._known.add(row_id)
                item = (topic, kind, posting_id)
                if item not in self._held:
                    fresh.append(item)
                self._held.setdefault(item, []).append(row_id)
            self._after = max(self._after, after)
            if len(rows) < READ:
                return fresh

    def claim(self, topic: str, items: Iterable[tuple[Kind, int]]) -> list[int]:
        """The rows of postings the worker takes now (a posting handed over again while it
        is worked on is read as a new item, and taken again)."""
        return [i for kind, p in items for i in self._held.pop((topic, kind, p), [])]

    def done(self, rows: list[int]) -> None:
        """Delete the rows of finished work."""
        if not rows:
            return
        with self.session_factory() as session:
            repository.drop_inbox(session, rows)
            session.commit()
        self._known.difference_update(rows)
