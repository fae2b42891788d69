"""The one after-commit job queue (service/kit/jobs.py): work deferred on a session is handed
to its topic's consumer only when the transaction commits, dropped when it rolls back, and
runs on the queue's one thread, with the periodic jobs (the tick)."""

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from service.app import create_app
from service.engine.jobs import EMBED
from service.kit.jobs import JOBS, JobQueue, defer, discard
from service.kit.migrate import upgrade_head
from service.notifications.mail import MAIL
from service.tick.scheduler import Scheduler

TOPIC = "test.jobs"


@pytest.fixture
def seen() -> Iterator[list[tuple[str, list[object]]]]:
    got: list[tuple[str, list[object]]] = []
    JOBS.consume(TOPIC, lambda items: got.append((threading.current_thread().name, items)))
    yield got
    JOBS.forget(TOPIC)


def test_jobs_run_after_the_commit_in_order_and_never_after_a_rollback(
    engine: Engine, seen: list[tuple[str, list[object]]]
) -> None:
    with Session(engine) as s:
        defer(s, TOPIC, 1, 2)
        s.begin_nested().rollback()  # a savepoint rolled back keeps the transaction's jobs
        defer(s, TOPIC, 3)
        JOBS.join()
        assert seen == []  # not before the commit
        s.commit()
        s.connection()  # the next transaction
        defer(s, TOPIC, "dropped")
        s.rollback()
        defer(s, TOPIC, 4)
        defer(s, "nobody.consumes", "x")  # dropped at the commit
        discard(s, "nobody.consumes")
        s.commit()
    JOBS.join()
    assert [items for _, items in seen] == [[1, 2, 3], [4]]
    assert {name for name, _ in seen} == {JOBS.name}  # off the caller's thread


def test_a_failing_job_is_logged_and_the_queue_goes_on(
    engine: Engine, caplog: pytest.LogCaptureFixture, seen: list[tuple[str, list[object]]]
) -> None:
    JOBS.consume("test.broken", lambda items: 1 / 0)
    try:
        with Session(engine) as s:
            defer(s, "test.broken", "boom")
            defer(s, TOPIC, "after")
            s.commit()
        JOBS.join()
    finally:
        JOBS.forget("test.broken")
    assert any("job test.broken failed" in r.getMessage() for r in caplog.records)
    assert [items for _, items in seen] == [["after"]]


def test_the_tick_runs_on_the_same_thread_as_the_committed_jobs() -> None:
    queue = JobQueue("test-one-thread")
    threads: list[str] = []
    queue.consume(TOPIC, lambda items: threads.append(threading.current_thread().name))
    tick = Scheduler(lambda: threads.append(threading.current_thread().name), 0.01, queue)
    tick.start()
    queue.submit(TOPIC, ["posted"])
    deadline = time.monotonic() + 10
    while len(threads) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    tick.stop()
    queue.stop()
    assert len(threads) >= 3 and set(threads) == {"test-one-thread"}


def test_the_apps_lifespan_starts_the_queue_and_the_engine_consumer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The served app: its one lifespan starts the queue's thread and the engine worker's
    consumer, stops the worker's consumer with it; mail is consumed always (the CLI too).
    The engine's log goes to stderr while the app runs, and is as before once it stops."""
    monkeypatch.setenv("JIEBANG_ENGINE_BACKGROUND", "1")
    monkeypatch.setenv("JIEBANG_EMBEDDER", "hash")
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    upgrade_head(url)
    monkeypatch.setenv("JIEBANG_DATABASE_URL", url)
    monkeypatch.setenv("JIEBANG_VAR_DIR", str(tmp_path))
    from service.config import get_settings
    from service.kit import db

    for cached in (get_settings, db.get_engine, db.get_sessionmaker):
        cached.cache_clear()
    engine_log = logging.getLogger("jiebang.engine")
    before = (engine_log.level, engine_log.propagate, list(engine_log.handlers))
    try:
        assert JOBS.consumes(MAIL)
        with TestClient(create_app()):
            assert JOBS.alive and JOBS.consumes(EMBED)
            assert engine_log.getEffectiveLevel() == logging.INFO  # progress in the server log
        assert not JOBS.consumes(EMBED) and JOBS.consumes(MAIL)
        # the engine's logger is left as the lifespan found it (a later test's caplog, or a
        # second app in the process, sees no leftover level, handler or propagation)
        assert (engine_log.level, engine_log.propagate, list(engine_log.handlers)) == before
    finally:
        db.get_engine().dispose()
        monkeypatch.undo()
        for cached in (get_settings, db.get_engine, db.get_sessionmaker):
            cached.cache_clear()
