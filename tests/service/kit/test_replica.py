"""The read replica (JIEBANG_DATABASE_REPLICA_URL) against a real streaming hot standby: read
requests and the index catch-up they run read the replica, writes go to the primary, a
client that just wrote reads the primary, writes reach the replica's readers once replayed,
and a replica that is down leaves reads on the primary (a log line, never an error).

The replica's WAL replay is paused to make it lag: what a request then sees tells which
server answered it."""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from matching.embedders import HashEmbedder
from service.app import create_app
from service.config import get_settings
from service.engine.store import IndexStore, get_store
from service.engine.worker import EmbeddingWorker
from service.kit import db
from service.models.enums import OrgKind, Role
from tests.factories import auth, create_need, create_org, create_user, need_payload
from tests.service.engine_support import committed_database_url, embed_all, eval_capability
from tests.service.replica_support import (
    Replica,
    needs_postgres,
    on_database,
    set_replay,
    streaming_replica,
    wait_replayed,
)

pytestmark = needs_postgres

CACHED = (
    get_settings,
    db.get_engine,
    db.get_replica_engine,
    db.get_sessionmaker,
    db.get_read_sessionmaker,
    db.get_replica_sessionmaker,
)


@pytest.fixture(scope="module")
def replica_server() -> Iterator[Replica]:
    with streaming_replica() as replica:
        yield replica


@dataclass
class Routed:
    primary: Engine  # the test's own connections to each server
    replica: Engine
    replica_admin: Engine  # the replica's `postgres` database: replay position, pause

    def replayed(self) -> None:
        wait_replayed(self.primary, self.replica_admin)


def _routed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replica_server: Replica, name: str
) -> Iterator[Routed]:
    """The app's own sessions on a fresh committed database, with the replica configured."""
    for url in committed_database_url(tmp_path, name):
        replica_url = on_database(replica_server.url, url)
        routed = Routed(
            create_engine(url),
            create_engine(replica_url),
            create_engine(on_database(replica_server.url, "postgresql://x@y/postgres")),
        )
        routed.replayed()  # the new database exists on the replica too
        monkeypatch.setenv("JIEBANG_DATABASE_URL", url)
        monkeypatch.setenv("JIEBANG_DATABASE_REPLICA_URL", replica_url)
        monkeypatch.setenv("JIEBANG_VAR_DIR", str(tmp_path / "var"))
        for cached in CACHED:
            cached.cache_clear()
        db._ReplicaHealth.down_until = 0.0
        try:
            yield routed
        finally:
            try:
                set_replay(routed.replica_admin, paused=False)
            except OperationalError:
                pass  # the test stopped the replica
            for engine in (db.get_engine(), db.get_replica_engine(), *vars(routed).values()):
                if engine is not None:
                    engine.dispose()
            monkeypatch.undo()
            for cached in CACHED:
                cached.cache_clear()
            db._ReplicaHealth.down_until = 0.0


@pytest.fixture
def routed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replica_server: Replica
) -> Iterator[Routed]:
    yield from _routed(tmp_path, monkeypatch, replica_server, "replica")


def _in_recovery(session: Session) -> bool:
    with session:
        return bool(session.scalar(text("SELECT pg_is_in_recovery()")))


def test_read_sessions_are_on_the_replica_and_writing_ones_on_the_primary(
    routed: Routed,
) -> None:
    assert _in_recovery(db.open_read_session())  # a hot standby
    assert not _in_recovery(db.open_read_session(primary=True))
    assert not _in_recovery(db.get_sessionmaker()())


def test_gets_read_the_replica_posts_the_primary_and_a_writer_reads_its_writes(
    routed: Routed,
) -> None:
    with Session(routed.primary, expire_on_commit=False) as s:
        owner = create_user(s, Role.enterprise, org=create_org(s, OrgKind.enterprise))
        s.commit()
    routed.replayed()
    headers = auth(owner)
    set_replay(routed.replica_admin, paused=True)  # from here on the replica lags
    with Session(routed.primary, expire_on_commit=False) as s:
        unseen = create_need(s, owner, title="只在主库上的需求").id
        s.commit()
    with TestClient(create_app()) as api:
        # a GET reads the replica: the need committed on the primary is not there yet
        assert api.get(f"/api/v1/needs/{unseen}", headers=headers).status_code == 404
        # a POST writes to the primary (the replica refuses writes: that would be a 500)
        created = api.post("/api/v1/needs", json=need_payload(), headers=headers)
        assert created.status_code == 201, created.text
        new = created.json()["id"]
        assert db.RECENT_WRITER_COOKIE in created.cookies
        # the writer's next reads go to the primary: it sees both needs
        for need_id in (new, unseen):
            assert api.get(f"/api/v1/needs/{need_id}", headers=headers).status_code == 200
    with TestClient(create_app()) as other:  # another client, no cookie: the lagging replica
        assert other.get(f"/api/v1/needs/{new}", headers=headers).status_code == 404
        set_replay(routed.replica_admin, paused=False)
        routed.replayed()  # the writes become visible through the replica
        for need_id in (new, unseen):
            assert other.get(f"/api/v1/needs/{need_id}", headers=headers).status_code == 200


def test_the_open_api_counts_each_request_on_the_primary(routed: Routed) -> None:
    """Its GETs write (the key's usage count): they read and write the primary, never the
    read-only replica (which would refuse the count)."""
    with Session(routed.primary, expire_on_commit=False) as s:
        owner = create_user(s, Role.enterprise, org=create_org(s, OrgKind.enterprise))
        s.commit()
    routed.replayed()
    with TestClient(create_app()) as api:
        made = api.post(
            "/api/v1/api-keys",
            json={"name": "省科技厅数据同步", "rate_limit_per_minute": 60},
            headers=auth(owner),
        )
        assert made.status_code == 201, made.text
        secret = made.json()["secret"]
    with TestClient(create_app()) as other:  # no recent-writer cookie
        for _ in range(2):
            r = other.get("/api/open/v1/needs", headers={"X-Api-Key": secret})
            assert r.status_code == 200, r.text
    with routed.primary.connect() as conn:
        assert conn.execute(text("SELECT sum(requests) FROM api_key_usage")).scalar_one() == 2


def test_a_search_catches_the_index_up_from_the_replica(routed: Routed) -> None:
    store = IndexStore(HashEmbedder(dim=64))
    with Session(routed.primary, expire_on_commit=False) as s:
        user = create_user(s, Role.enterprise, org=create_org(s, OrgKind.enterprise))
        lab = create_user(s, Role.researcher, org=create_org(s, OrgKind.university))
        eval_capability(s, lab, "C044")
        embed_all(s, store.embedder)
        s.commit()
    routed.replayed()
    set_replay(routed.replica_admin, paused=True)
    with Session(
        routed.primary, expire_on_commit=False
    ) as s:  # embedded and committed on the primary only
        late = eval_capability(s, lab, "C189").id
        embed_all(s, store.embedder)
        s.commit()
    app = create_app()
    app.dependency_overrides[get_store] = lambda: store
    query = "/api/v1/search/capabilities?q=薄膜封装技术"
    with TestClient(app) as api:
        found = {r["capability"]["id"] for r in api.get(query, headers=auth(user)).json()["items"]}
        assert found and late not in found  # the catch-up read the replica's vectors
        set_replay(routed.replica_admin, paused=False)
        routed.replayed()
        found = {r["capability"]["id"] for r in api.get(query, headers=auth(user)).json()["items"]}
        assert late in found  # caught up from the replica once it replayed the write


def test_the_engine_warm_up_loads_from_the_replica(routed: Routed) -> None:
    """The worker's start-up load (the whole table) reads the replica; its later catch-ups
    read the primary, where it has just embedded."""
    store = IndexStore(HashEmbedder(dim=64))
    with Session(routed.primary, expire_on_commit=False) as s:
        lab = create_user(s, Role.researcher, org=create_org(s, OrgKind.university))
        first = eval_capability(s, lab, "C044").id
        embed_all(s, store.embedder)
        s.commit()
    routed.replayed()
    set_replay(routed.replica_admin, paused=True)
    with Session(routed.primary, expire_on_commit=False) as s:
        late = eval_capability(s, lab, "C189").id
        embed_all(s, store.embedder)
        s.commit()
    worker = EmbeddingWorker(
        db.get_sessionmaker(), lambda: store, warm_up_sessions=db.open_read_session
    )
    worker.warm_up()
    assert ("capability", first) in store and ("capability", late) not in store
    with db.get_sessionmaker()() as s:
        store.catch_up(s)
    assert ("capability", late) in store


def test_reads_fall_back_to_the_primary_when_the_replica_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with streaming_replica() as own_replica:
        for routed in _routed(tmp_path, monkeypatch, own_replica, "fallback"):
            with Session(routed.primary, expire_on_commit=False) as s:
                owner = create_user(s, Role.enterprise, org=create_org(s, OrgKind.enterprise))
                need = create_need(s, owner).id
                s.commit()
            routed.replayed()
            headers = auth(owner)
            with TestClient(create_app()) as api:
                assert api.get(f"/api/v1/needs/{need}", headers=headers).status_code == 200
                assert _in_recovery(db.open_read_session())  # pooled replica connections
                routed.replica.dispose()
                routed.replica_admin.dispose()
                own_replica.stop()
                caplog.set_level(logging.WARNING, logger="jiebang.db")
                for _ in range(3):
                    r = api.get(f"/api/v1/needs/{need}", headers=headers)
                    assert r.status_code == 200, r.text
                    assert api.get("/api/v1/needs", headers=headers).status_code == 200
                warnings = [r for r in caplog.records if "read replica unavailable" in r.message]
                assert len(warnings) == 1, warnings  # logged once, then skipped for a while
                assert not _in_recovery(db.open_read_session())  # the primary answers
