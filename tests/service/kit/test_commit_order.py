"""A write is committed before its success is sent (a real server, the real session
dependency): the row is visible to another connection the instant a 201 arrives, and a
commit that fails answers an error, never a 201."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, create_engine, text

from service.kit.db import make_engine
from tests.factories import need_payload
from tests.service.engine_support import committed_database_url
from tests.service.live_server import Server, running, seed_users, token

POISON = "提交即失败"

# A constraint checked only at COMMIT, not at the INSERT: a deferred constraint trigger on
# PostgreSQL, a deferred foreign key (filled by a trigger) on SQLite.
POSTGRES_DEFERRED_FAILURE = [
    """CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.title LIKE '%%{poison}%%' THEN RAISE EXCEPTION 'refused at commit'; END IF;
      RETURN NULL;
    END $$""",
    """CREATE CONSTRAINT TRIGGER refuse_poison AFTER INSERT ON needs
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_poison()""",
]
SQLITE_DEFERRED_FAILURE = [
    "CREATE TABLE poison_parent (id INTEGER PRIMARY KEY)",
    """CREATE TABLE poison_child (parent_id INTEGER
    REFERENCES poison_parent (id) DEFERRABLE INITIALLY DEFERRED)""",
    """CREATE TRIGGER refuse_poison AFTER INSERT ON needs
    WHEN NEW.title LIKE '%{poison}%' BEGIN INSERT INTO poison_child VALUES (-1); END""",
]


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    for url in committed_database_url(tmp_path, "commit_order"):
        seed_users(url)
        engine = make_engine(url)
        ddl = (
            POSTGRES_DEFERRED_FAILURE
            if engine.dialect.name == "postgresql"
            else SQLITE_DEFERRED_FAILURE
        )
        with engine.begin() as conn:
            for statement in ddl:
                conn.exec_driver_sql(statement.replace("{poison}", POISON))
        engine.dispose()
        # A plain reader: make_engine's SQLite BEGIN IMMEDIATE would wait for the writer.
        reader = create_engine(url)
        try:
            yield url, reader
        finally:
            reader.dispose()


@pytest.fixture
def server(database: tuple[str, Engine], tmp_path: Path) -> Iterator[Server]:
    with running(database[0], tmp_path) as live:
        yield live


def _count(engine: Engine, title: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM needs WHERE title = :t"), {"t": title}
            ).scalar_one()
        )


def test_a_201_row_is_visible_to_another_connection_when_the_reply_arrives(
    server: Server, database: tuple[str, Engine]
) -> None:
    _, engine = database
    headers = token(server.base, "ent")

    def writer(w: int) -> list[str]:
        invisible = []
        with httpx.Client(base_url=server.base, headers=headers, timeout=30) as http:
            for n in range(15):
                title = f"先提交后应答 {w}-{n}"
                r = http.post("/api/v1/needs", json=need_payload(title=title))
                assert r.status_code == 201, r.text
                if _count(engine, title) != 1:
                    invisible.append(title)
        return invisible

    with ThreadPoolExecutor(4) as pool:  # concurrent writers, as in production
        invisible = [title for found in pool.map(writer, range(4)) for title in found]
    assert invisible == []


def test_a_commit_that_fails_answers_an_error_and_no_row_exists(
    server: Server, database: tuple[str, Engine]
) -> None:
    _, engine = database
    headers = token(server.base, "ent")
    title = f"{POISON} 的需求"
    r = httpx.post(
        f"{server.base}/api/v1/needs", json=need_payload(title=title), headers=headers, timeout=30
    )
    assert r.status_code >= 500, (r.status_code, r.text)
    assert _count(engine, title) == 0
    # The server is fine afterwards: the next write commits and is acknowledged.
    ok = httpx.post(
        f"{server.base}/api/v1/needs", json=need_payload(title="正常需求"), headers=headers
    )
    assert ok.status_code == 201 and _count(engine, "正常需求") == 1
