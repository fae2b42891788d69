"""Embedding after commit in a real worker thread, the failure/retry path, the sweeper, and
the admin status — on a database whose commits are real (the worker has its own sessions)."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from service.app import create_app
from service.engine import worker as worker_module
from service.engine.jobs import enqueue_embedding, set_dispatch
from service.engine.store import IndexStore, get_store
from service.engine.worker import EmbeddingWorker
from service.kit.db import get_session, make_engine
from service.kit.jobs import JOBS
from service.models import EmbeddingFailure, Match, PostingVector, User
from service.models.enums import Role
from tests.factories import auth, create_capability, create_need, create_user, need_payload
from tests.service.engine_support import PoisonEmbedder, committed_database_url

POISON = "☠"


@pytest.fixture
def committed_engine(tmp_path: Path) -> Iterator[Engine]:
    for url in committed_database_url(tmp_path, "worker"):
        engine = make_engine(url)
        yield engine
        engine.dispose()


@dataclass
class Rig:
    api: TestClient
    worker: EmbeddingWorker
    store: IndexStore
    sm: sessionmaker[Session]
    enterprise: User
    admin: User
    researcher: User


@pytest.fixture
def rig(committed_engine: Engine) -> Iterator[Rig]:
    sm = sessionmaker(bind=committed_engine, expire_on_commit=False)
    with sm() as s:
        users = [create_user(s, role) for role in (Role.enterprise, Role.admin, Role.researcher)]
        s.commit()
    store = IndexStore(PoisonEmbedder(POISON))
    worker = EmbeddingWorker(sm, lambda: store, sweep_seconds=3600, max_attempts=3)
    app = create_app()

    def _session() -> Iterator[Session]:
        session = sm()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    app.dependency_overrides[get_session] = _session
    app.dependency_overrides[get_store] = lambda: store
    set_dispatch(worker.enqueue, worker.viewed)
    worker.start()
    # the thread's first sweep is over before a test writes: a test's own sweep() counts
    # what it finds, and a late first sweep would take it (seen at load 8)
    assert worker.swept.wait(60)
    with TestClient(app) as api:
        yield Rig(api, worker, store, sm, *users)
    set_dispatch(None)
    worker.stop()


def _vector(rig: Rig, kind: str, posting_id: int) -> PostingVector | None:
    with rig.sm() as s:
        return s.scalar(
            select(PostingVector).where(
                PostingVector.kind == kind, PostingVector.posting_id == posting_id
            )
        )


def _create_need(rig: Rig, **overrides: object) -> dict[str, object]:
    response = rig.api.post(
        "/api/v1/needs", json=need_payload(**overrides), headers=auth(rig.enterprise)
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_created_edited_and_moved_postings_are_embedded_after_commit(rig: Rig) -> None:
    need = _create_need(rig)
    assert rig.worker.wait_idle()
    first = _vector(rig, "need", int(need["id"]))  # type: ignore[call-overload]
    assert first is not None and first.model_id == rig.store.model_id
    edited = rig.api.patch(
        f"/api/v1/needs/{need['id']}",
        json={"version": need["version"], "title": "OLED 面板边缘发黄与暗斑问题攻关"},
        headers=auth(rig.enterprise),
    )
    assert edited.status_code == 200, edited.text
    assert rig.worker.wait_idle()
    second = _vector(rig, "need", int(need["id"]))  # type: ignore[call-overload]
    assert second is not None and second.text_hash != first.text_hash
    assert second.indexed_at > first.indexed_at
    submitted = rig.api.post(f"/api/v1/needs/{need['id']}/submit", headers=auth(rig.enterprise))
    assert submitted.status_code == 200
    assert rig.worker.wait_idle()
    third = _vector(rig, "need", int(need["id"]))  # type: ignore[call-overload]
    assert third is not None
    assert (third.text_hash, third.indexed_at) == (second.text_hash, second.indexed_at)  # unchanged


def test_ids_are_queued_only_when_the_transaction_commits(rig: Rig) -> None:
    seen: list[tuple[str, int]] = []
    set_dispatch(seen.extend)
    with rig.sm() as s:
        user = s.get(User, rig.enterprise.id)
        assert user is not None
        enqueue_embedding(s, "need", create_need(s, user).id)  # flushed, not committed
        JOBS.join()
        assert seen == []
        s.rollback()
    JOBS.join()
    assert seen == []
    with rig.sm() as s:
        user = s.get(User, rig.enterprise.id)
        assert user is not None
        need = create_need(s, user)
        enqueue_embedding(s, "need", need.id)
        enqueue_embedding(s, "need", need.id)  # twice in one transaction: embedded once
        JOBS.join()
        assert seen == []
        s.commit()
    JOBS.join()  # handed over on the job queue's thread
    assert seen == [("need", need.id)]


def test_a_failing_embedding_keeps_the_posting_and_is_retried_and_shown(rig: Rig) -> None:
    good = _create_need(rig)
    bad = _create_need(rig, title=f"含无法编码字符{POISON}的需求")
    assert rig.worker.wait_idle()
    assert _vector(rig, "need", int(good["id"])) is not None  # type: ignore[call-overload]
    assert _vector(rig, "need", int(bad["id"])) is None  # type: ignore[call-overload]
    assert (
        rig.api.get(f"/api/v1/needs/{bad['id']}", headers=auth(rig.enterprise)).status_code == 200
    )

    status = rig.api.get("/api/v1/engine/status", headers=auth(rig.admin))
    assert status.status_code == 200, status.text
    body = status.json()
    assert body["model_id"] == rig.store.model_id
    assert body["needs"]["failed"] == 1 and body["needs"]["missing"] == 1
    assert body["needs"]["indexed"] == 1
    [failure] = body["failures"]
    assert failure["posting_id"] == bad["id"] and failure["attempts"] == 1
    assert "RuntimeError" in failure["last_error"]

    assert rig.worker.sweep() == 1  # the sweeper retries: still failing, one more attempt
    with rig.sm() as s:
        assert s.scalar(select(EmbeddingFailure.attempts)) == 2
    rig.worker.sweep()
    assert rig.worker.sweep() == 0  # max_attempts (3) reached: left to the admins
    assert (
        rig.api.get("/api/v1/engine/status", headers=auth(rig.admin)).json()["needs"]["failed"] == 1
    )

    fixed = rig.api.patch(
        f"/api/v1/needs/{bad['id']}",
        json={"version": bad["version"], "title": "已修正标题的需求"},
        headers=auth(rig.enterprise),
    )
    assert fixed.status_code == 200
    assert rig.worker.wait_idle()
    assert _vector(rig, "need", int(bad["id"])) is not None  # type: ignore[call-overload]
    after = rig.api.get("/api/v1/engine/status", headers=auth(rig.admin)).json()
    assert after["failures"] == [] and after["needs"]["missing"] == 0


def test_the_sweeper_embeds_postings_written_without_a_worker(rig: Rig) -> None:
    set_dispatch(None)  # e.g. another process, or one that crashed before embedding
    need = _create_need(rig)
    assert rig.worker.wait_idle()
    assert _vector(rig, "need", int(need["id"])) is None  # type: ignore[call-overload]
    assert rig.worker.sweep() == 1
    assert _vector(rig, "need", int(need["id"])) is not None  # type: ignore[call-overload]
    assert rig.store.count("need") == 1  # the sweep also caught the index up


def test_engine_status_shows_the_engine_processs_backlog(rig: Rig) -> None:
    """What the app processes handed to `jiebang engine` and it has not done: rows by topic
    and the oldest's age (none in this thread-mode rig until rows are written)."""
    from service.engine import repository
    from service.engine.jobs import EMBED, VIEWED

    idle = rig.api.get("/api/v1/engine/status", headers=auth(rig.admin)).json()["backlog"]
    assert idle == {"embed": 0, "viewed": 0, "oldest_seconds": None}
    with rig.sm() as s:
        repository.post_inbox(s, EMBED, [("need", 1), ("capability", 2)])
        repository.post_inbox(s, VIEWED, [("need", 1)])
        s.commit()
    backlog = rig.api.get("/api/v1/engine/status", headers=auth(rig.admin)).json()["backlog"]
    assert backlog["embed"] == 2 and backlog["viewed"] == 1
    assert 0 <= backlog["oldest_seconds"] < 3600


@pytest.mark.parametrize("role", ["enterprise", "researcher", None])
def test_engine_status_is_for_admins_only(rig: Rig, role: str | None) -> None:
    headers = auth(getattr(rig, role)) if role else {}
    response = rig.api.get("/api/v1/engine/status", headers=headers)
    assert response.status_code == (403 if role else 401)


def test_approving_a_need_makes_the_worker_store_engine_candidates(rig: Rig) -> None:
    with rig.sm() as s:
        lab = s.get(User, rig.researcher.id)
        assert lab is not None
        cap = create_capability(
            s,
            lab,
            title="原子层沉积超薄阻隔膜技术",
            description="低温原子层沉积制备氧化铝叠层薄膜封装阻隔膜，水汽透过率达到1e-6量级。",
            keywords=["原子层沉积", "薄膜封装"],
        )
        s.commit()
    assert rig.worker.sweep() == 1  # the capability gets its vector
    need = _create_need(rig)
    for action, user in (("submit", rig.enterprise), ("approve", rig.admin)):
        response = rig.api.post(f"/api/v1/needs/{need['id']}/{action}", headers=auth(user))
        assert response.status_code == 200, response.text
    assert rig.worker.wait_idle()
    with rig.sm() as s:
        [match] = s.scalars(select(Match).where(Match.need_id == need["id"]))
        assert (match.capability_id, match.origin, match.status) == (cap.id, "engine", "candidate")
        assert match.reasons


def test_a_sweep_checks_a_window_of_ids_and_walks_the_table(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sweep looks for missing vectors and keyword rows among the newest WINDOW ids and the
    next WINDOW of the rest (over all of 1M capabilities those anti-joins took 6 s per side
    and sweep), and in turn reaches every posting."""
    monkeypatch.setattr(worker_module, "WINDOW", 2)
    with rig.sm() as s:
        lab = s.get(User, rig.researcher.id)
        assert lab is not None
        made = {create_capability(s, lab, title=f"成果{n}").id for n in range(7)}
        s.commit()
    seen: set[int] = set()
    for _ in range(3):
        got = rig.worker.pending()["capability"]
        assert 0 < len(got) <= 4, got  # two windows of two ids
        seen.update(got)
    assert seen == made


def test_what_waits_to_be_embedded_goes_before_refreshing_lists(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new posting is searchable once embedded; refreshing the lists a change reaches can
    take seconds per posting (§32 of BENCHMARKS). So with more queued than one batch, every
    queued posting is embedded before any list is refreshed, and the refreshes come a few
    postings at a time between two looks at the queue. Before, each batch of 16 was
    refreshed whole before the next batch was embedded."""
    with rig.sm() as s:
        owner = s.get(User, rig.enterprise.id)
        assert owner is not None
        ids = [create_need(s, owner, title=f"第{n}号测试需求").id for n in range(20)]
        s.commit()
    events: list[tuple[str, int]] = []
    store, after_change = worker_module.vectors.store, worker_module.list_refresh.after_change

    def stored(*args: object, **kw: object) -> object:
        outcome = store(*args, **kw)  # type: ignore[arg-type]
        events.append(("embedded", len(outcome.embedded)))
        return outcome

    def refreshed(factory: object, touched: dict[str, list[int]], **kw: object) -> object:
        events.append(("refreshed", sum(len(v) for v in touched.values())))
        return after_change(factory, touched, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(worker_module.vectors, "store", stored)
    monkeypatch.setattr(worker_module.list_refresh, "after_change", refreshed)
    worker = EmbeddingWorker(rig.sm, lambda: rig.store, sweep_seconds=3600)
    worker.enqueue(("need", i) for i in ids)  # all queued before the loop looks
    for _ in range(50):
        worker._drain(timeout=0)
        if not worker._touched and worker._queue.empty():
            break
    first = next(n for n, (what, _) in enumerate(events) if what == "refreshed")
    assert sum(n for what, n in events[:first] if what == "embedded") == 20, events
    refreshes = [n for what, n in events if what == "refreshed"]
    assert sum(refreshes) == 20 and max(refreshes) <= worker_module.REFRESH_CHUNK, events
    assert all(_vector(rig, "need", i) is not None for i in ids)
    assert worker.wait_idle(5)
