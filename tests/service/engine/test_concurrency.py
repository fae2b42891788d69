"""No request waits for another's work: reads keep answering while a long candidate refresh
holds its writing transaction open (SQLite: GETs begin DEFERRED, the refresh IMMEDIATE;
PostgreSQL: MVCC), on a database whose commits are real."""

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from matching.embedders import HashEmbedder
from service.app import create_app
from service.config import get_settings
from service.engine import vectors
from service.engine.candidates import refresh_candidates
from service.engine.store import IndexStore, get_store
from service.kit import db
from service.models import Match, PostingVector
from service.models.enums import OrgKind, Role
from tests.factories import auth, create_org, create_user
from tests.service.engine_support import (
    committed_database_url,
    embed_all,
    eval_capability,
    eval_need,
)


def _clear_caches() -> None:
    for cached in (
        get_settings,
        db.get_engine,
        db.get_sessionmaker,
        db.get_read_sessionmaker,
    ):
        cached.cache_clear()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app's own `get_session` on a committed database (no session override)."""
    for url in committed_database_url(tmp_path, "reads"):
        monkeypatch.setenv("JIEBANG_DATABASE_URL", url)
        monkeypatch.setenv("JIEBANG_VAR_DIR", str(tmp_path / "var"))
        _clear_caches()
        try:
            yield url
        finally:
            db.get_engine().dispose()
            monkeypatch.undo()
            _clear_caches()


def test_reads_keep_answering_while_a_long_refresh_holds_its_transaction(database: str) -> None:
    sm: sessionmaker[Session] = db.get_sessionmaker()  # writing sessions (BEGIN IMMEDIATE)
    store = IndexStore(HashEmbedder(dim=64))
    with sm() as s:
        enterprise = create_user(s, Role.enterprise)
        lab = create_user(s, Role.researcher, org=create_org(s, OrgKind.university))
        need = eval_need(s, enterprise, "N001")
        for key in ("C189", "C044", "C144", "C209", "C071"):
            eval_capability(s, lab, key)
        embed_all(s, store.embedder)
        s.commit()
    app = create_app()
    app.dependency_overrides[get_store] = lambda: store

    refreshing, release = threading.Event(), threading.Event()
    outcome: list[int] = []

    def long_refresh() -> None:
        with sm() as s:
            outcome.append(refresh_candidates(s, need.id, store=store))  # writes, uncommitted
            refreshing.set()
            release.wait(60)  # the rest of a long refresh: the transaction stays open
            s.commit()

    worker = threading.Thread(target=long_refresh)
    worker.start()
    try:
        assert refreshing.wait(60), "the refresh did not start"
        with TestClient(app) as api:
            headers = auth(enterprise)
            for path in (
                f"/api/v1/needs/{need.id}",
                f"/api/v1/needs/{need.id}/recommendations",
                "/api/v1/search/capabilities?q=柔性显示",
                "/api/v1/needs",
            ):
                response = api.get(path, headers=headers)
                assert response.status_code == 200, (path, response.text)
                assert worker.is_alive() and not release.is_set()  # answered during the refresh
            recs = api.get(f"/api/v1/needs/{need.id}/recommendations", headers=headers).json()
            assert recs  # ranked while the refresh was ranking too
    finally:
        release.set()
        worker.join(60)
    assert outcome and outcome[0] > 0
    with sm() as s:
        assert s.scalar(select(func.count()).select_from(Match)) == outcome[0]


def test_reads_keep_answering_while_a_bulk_re_embed_holds_its_transaction(database: str) -> None:
    """A bulk re-embed (every posting, a new model's vectors) written in one open writing
    transaction: lists, details, search and recommendations still answer, from the committed
    vectors; the new ones appear once it commits."""
    sm: sessionmaker[Session] = db.get_sessionmaker()
    store = IndexStore(HashEmbedder(dim=64))
    with sm() as s:
        enterprise = create_user(s, Role.enterprise)
        lab = create_user(s, Role.researcher, org=create_org(s, OrgKind.university))
        need = eval_need(s, enterprise, "N001")
        caps = [eval_capability(s, lab, k).id for k in ("C189", "C044", "C144", "C209")]
        embed_all(s, store.embedder)
        s.commit()
    app = create_app()
    app.dependency_overrides[get_store] = lambda: store

    writing, release = threading.Event(), threading.Event()
    written: list[int] = []
    other_model = HashEmbedder(dim=32)

    def bulk_re_embed() -> None:
        with sm() as s:
            for kind, ids in (("need", [need.id]), ("capability", caps)):
                written.extend(vectors.embed_postings(s, kind, ids, other_model).embedded)
            writing.set()  # the write lock (SQLite) / the new rows' locks (PostgreSQL) held
            release.wait(60)
            s.commit()

    writer = threading.Thread(target=bulk_re_embed)
    writer.start()
    try:
        assert writing.wait(60), "the re-embed did not start"
        with TestClient(app) as api:
            headers = auth(enterprise)
            for path in (
                "/api/v1/needs",
                f"/api/v1/needs/{need.id}",
                f"/api/v1/capabilities/{caps[0]}",
                "/api/v1/search/capabilities?q=薄膜封装",
                f"/api/v1/needs/{need.id}/recommendations",
            ):
                response = api.get(path, headers=headers)
                assert response.status_code == 200, (path, response.text)
                assert writer.is_alive() and not release.is_set()  # answered during the write
    finally:
        release.set()
        writer.join(60)
    assert sorted(written) == sorted([need.id, *caps])
    with sm() as s:
        models = s.scalars(select(PostingVector.model_id).distinct()).all()
    assert sorted(models) == sorted([store.model_id, other_model.model_id])
