"""The production layout (`JIEBANG_ENGINE_WORK=process`), in real processes: two app
processes that only serve, and one `jiebang engine` process that embeds and refreshes what
they hand over through the `engine_inbox` table; killed and started again, it finds what
was left. `jiebang serve --workers N` sets that layout up itself: it starts the one engine
process, starts it again when it dies and stops it when it stops."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.kit.db import make_engine
from service.models import EngineInbox, PostingVector
from service.models.enums import Role
from tests.factories import capability_payload, create_user, need_payload
from tests.service.engine.test_processes import _found, _publish, _token, _wait, two_web_servers
from tests.service.engine_support import committed_database_url
from tests.service.live_server import running, seed_users, wait_for

ROOT = Path(__file__).resolve().parents[3]


class Layout:
    def __init__(self, url: str, env: dict[str, str], logs: Path) -> None:
        self.url, self.env, self.logs = url, env, logs
        self.engine: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start_engine(self) -> None:
        self.starts += 1
        log = open(self.logs / f"engine{self.starts}.log", "wb")  # noqa: SIM115 - the child's
        cmd = [sys.executable, "-m", "service.cli", "engine", "--nice", "5"]
        self.engine = subprocess.Popen(cmd, env=self.env, cwd=ROOT, stdout=log, stderr=log)
        log.close()

    def kill_engine(self) -> None:
        assert self.engine is not None
        self.engine.send_signal(signal.SIGKILL)
        self.engine.wait(20)

    def count(self, statement: Any) -> int:
        engine = make_engine(self.url)
        try:
            with Session(engine) as s:
                return int(s.scalar(statement) or 0)
        finally:
            engine.dispose()

    def vectors(self, kind: str, posting_id: int) -> int:
        v = PostingVector
        where = (v.kind == kind, v.posting_id == posting_id)
        return self.count(select(func.count()).select_from(v).where(*where))

    def inbox(self, kind: str, posting_id: int) -> int:
        i = EngineInbox
        where = (i.kind == kind, i.posting_id == posting_id)
        return self.count(select(func.count()).select_from(i).where(*where))


@pytest.fixture
def layout(tmp_path: Path) -> Iterator[tuple[Layout, str, str]]:
    with two_web_servers(tmp_path, "engineproc", JIEBANG_ENGINE_WORK="process") as (
        url,
        env,
        a,
        b,
    ):
        run = Layout(url, env, tmp_path)
        try:
            yield run, a, b
        finally:
            if run.engine is not None and run.engine.poll() is None:
                run.engine.terminate()
                run.engine.wait(60)


def test_the_engine_process_embeds_what_the_web_processes_hand_over(
    layout: tuple[Layout, str, str],
) -> None:
    run, a, b = layout
    # no engine yet: the app processes hand the posting over and embed nothing themselves
    cap_id = _publish(a, "capabilities", capability_payload(), "lab")
    assert run.inbox("capability", cap_id) >= 1
    time.sleep(3)
    assert run.vectors("capability", cap_id) == 0
    assert not _found(b, "capabilities", "原子层沉积 阻隔膜", cap_id)

    run.start_engine()
    _wait(lambda: _found(b, "capabilities", "原子层沉积 阻隔膜", cap_id), 120)
    _wait(lambda: run.inbox("capability", cap_id) == 0, 30)  # done: its rows deleted

    # killed, the engine leaves a new need in the inbox; started again, it picks it up
    run.kill_engine()
    need_id = _publish(b, "needs", need_payload(), "ent")
    time.sleep(2)
    assert run.vectors("need", need_id) == 0 and run.inbox("need", need_id) >= 1
    run.start_engine()
    _wait(lambda: _found(a, "needs", "OLED 薄膜封装 水氧阻隔", need_id), 120)
    _wait(lambda: run.inbox("need", need_id) == 0, 30)
    recs = httpx.get(
        f"{a}/api/v1/needs/{need_id}/recommendations", headers=_token(a, "ent"), timeout=30
    )
    assert recs.status_code == 200
    [hit] = recs.json()
    assert hit["capability"]["id"] == cap_id and hit["reasons"]
    # the index generations are the engine's: the app processes write none
    assert run.engine is not None and run.engine.poll() is None
    engine_logs = "".join(p.read_text() for p in run.logs.glob("engine*.log"))
    assert "generation 1 written" in engine_logs
    assert "written" not in "".join(p.read_text() for p in run.logs.glob("web*.log"))


def test_the_worker_takes_the_inbox_once_and_deletes_only_what_it_did(tmp_path: Path) -> None:
    """In one process, the engine's loop over its inbox: a posting handed over twice is
    embedded once, a view of a posting without a list stores its list, and each row is
    deleted once done; a row handed over while its posting is worked on is kept for a next
    round (`Inbox.claim`)."""
    from sqlalchemy.orm import sessionmaker

    from service.engine import repository
    from service.engine.inbox import POLL, Inbox
    from service.engine.jobs import EMBED, VIEWED
    from service.engine.store import IndexStore
    from service.engine.worker import EmbeddingWorker
    from tests.factories import create_capability, create_need
    from tests.service.engine_support import PoisonEmbedder

    for url in committed_database_url(tmp_path, "inbox"):
        engine = make_engine(url)
        sm = sessionmaker(bind=engine, expire_on_commit=False)
        with sm() as s:
            owner = create_user(s, Role.enterprise)
            need = create_need(s, owner)
            cap = create_capability(s, create_user(s, Role.researcher))
            repository.post_inbox(s, EMBED, [("need", need.id), ("need", need.id)])
            repository.post_inbox(s, EMBED, [("capability", cap.id)])
            s.commit()
        store = IndexStore(PoisonEmbedder("☠"))
        inbox = Inbox(sm)
        worker = EmbeddingWorker(sm, lambda s=store: s, sweep_seconds=3600, inbox=inbox)
        worker.warm_up()
        worker._drain(timeout=0)  # one round: the inbox read, one batch, the views
        with sm() as s:
            assert s.scalar(select(func.count()).select_from(EngineInbox)) == 0
            vectors = s.scalars(
                select(PostingVector.posting_id).where(PostingVector.kind == "need")
            )
            assert list(vectors) == [need.id]
            repository.drop_list(s, "need", need.id)  # as if evicted: a read hands it over
            s.commit()
            assert repository.stored_list(s, "need", need.id)[0] is None
            repository.post_inbox(s, VIEWED, [("need", need.id)])
            s.commit()
        time.sleep(POLL)
        worker._drain(timeout=0)  # the next read, once POLL has passed
        with sm() as s:
            assert repository.stored_list(s, "need", need.id)[0] is not None
            assert s.scalar(select(func.count()).select_from(EngineInbox)) == 0
        # claimed, then handed over again before it is done: the new row stays for next time
        with sm() as s:
            repository.post_inbox(s, EMBED, [("capability", cap.id)])
            s.commit()
        [item] = inbox.poll(now=True)
        rows = inbox.claim(EMBED, [item[1:]])
        with sm() as s:
            repository.post_inbox(s, EMBED, [("capability", cap.id)])
            s.commit()
        inbox.done(rows)
        assert inbox.poll(now=True) == [item]
        with sm() as s:
            assert s.scalar(select(func.count()).select_from(EngineInbox)) == 1
        engine.dispose()


def _engine_children(pid: int) -> list[int]:
    """The `jiebang engine` processes whose parent is `pid` (read from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if ppid == pid and b"service.cli" in cmdline and b"engine" in cmdline:
            found.append(int(stat.parent.name))
    return sorted(found)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


SERVE_TWO = [sys.executable, "-m", "service.cli", "serve", "--workers", "2", "--port", "{port}"]


def test_serve_with_workers_keeps_one_engine_process_and_stops_it(tmp_path: Path) -> None:
    """`jiebang serve --workers 2`: one engine process beside the app processes; killed, it
    is started again and does the work; a SIGTERM to serve stops it before serve exits (not
    its own check for a parent that is gone)."""
    for url in committed_database_url(tmp_path, "serve"):
        _serve_two_and_kill_the_engine(url, tmp_path)


def _serve_two_and_kill_the_engine(url: str, tmp_path: Path) -> None:
    seed_users(url)
    run = Layout(url, {}, tmp_path)
    settings = {"JIEBANG_EMBEDDER": "hash", "JIEBANG_ENGINE_BACKGROUND": "1"}
    with running(url, tmp_path, command=SERVE_TWO, **settings) as server:
        serve, base = server.proc, server.base
        engines = _engine_children(serve.pid)
        assert len(engines) == 1, f"engine processes {engines}:\n{server.tail()}"
        first = engines[0]
        need_id = _publish(base, "needs", need_payload(), "ent")
        wait_for(lambda: run.vectors("need", need_id) == 1, 120, "the engine's embedding")

        os.kill(first, signal.SIGKILL)
        wait_for(
            lambda: len(_engine_children(serve.pid)) == 1 and not _running(first),
            60,
            "the killed engine process started again",
        )
        [second] = _engine_children(serve.pid)
        assert second != first
        need_id = _publish(base, "needs", need_payload(), "ent")
        wait_for(lambda: run.vectors("need", need_id) == 1, 120, "the new engine's embedding")
        assert _engine_children(serve.pid) == [second]  # still one

        serve.send_signal(signal.SIGTERM)
        serve.wait(90)
        assert serve.returncode == 0, server.tail()
        # serve waited for its engine: reaped, not left to notice its parent is gone
        assert not _running(second)
    text = server.log.read_text()
    assert "engine process exited (-9); restarting" in text, text
    assert text.count("] engine process started") == 2, text  # the engines' own log lines
    assert text.count("] engine process stopped") == 1, text
    assert "parent is gone" not in text, text
