"""Test database built from the migrations; each test runs in a transaction rolled back after.

SQLite by default; set JIEBANG_TEST_DATABASE_URL to run the same suite on PostgreSQL
(`make test` does that itself when JIEBANG_TEST_POSTGRES=1 or in CI).
"""

import os
from collections.abc import Iterator
from pathlib import Path

# The engine's background worker and index warm-up are for real servers; tests that need
# them start them explicitly (tests/service/engine/).
os.environ.setdefault("JIEBANG_ENGINE_BACKGROUND", "0")

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from service.app import create_app
from service.kit.db import get_session, make_engine
from service.kit.migrate import upgrade_head


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("JIEBANG_TEST_DATABASE_URL")
    if url:
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    upgrade_head(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    yield session
    session.close()
    outer.rollback()
    connection.close()


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    app = create_app()

    def _session() -> Iterator[Session]:
        # Same contract as get_session: commit (the savepoint) on success, roll back on error.
        # Commit first so what the test's factories made survives a refused request.
        session.commit()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    app.dependency_overrides[get_session] = _session
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]
