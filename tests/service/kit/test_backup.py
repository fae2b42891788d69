"""`jiebang backup` while the app serves and writes, `jiebang restore` into another database,
and the app started on the restored copy serves the same data (SQLite: the online backup API;
PostgreSQL: pg_dump / pg_restore)."""

import subprocess
import sys
import threading
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from tests.factories import need_payload
from tests.service.engine_support import committed_database_url
from tests.service.live_server import ROOT, running, seed_users, server_env, token


def jiebang(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = server_env(url, tmp_path / "cli-var")
    command = [sys.executable, "-m", "service.cli", *args]
    return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)


def _mine(base: str, headers: dict[str, str]) -> dict[int, dict[str, object]]:
    """Every need of the caller's organisation, as the API shows it."""
    items: dict[int, dict[str, object]] = {}
    for page_no in range(1, 1000):
        params = {"mine": "true", "page": page_no, "page_size": 100}
        page = httpx.get(f"{base}/api/v1/needs", params=params, headers=headers)
        assert page.status_code == 200, page.text
        items |= {item["id"]: item for item in page.json()["items"]}
        if len(items) >= page.json()["total"]:
            return items
    raise AssertionError("too many pages")


def _write_until(stop: threading.Event, base: str, acknowledged: list[int]) -> None:
    """A writer that keeps going while the backup runs."""
    with httpx.Client(base_url=base, headers=token(base, "ent"), timeout=30) as http:
        while not stop.is_set():
            r = http.post("/api/v1/needs", json=need_payload(title="备份期间写入"))
            assert r.status_code == 201, r.text
            acknowledged.append(r.json()["id"])


def test_a_backup_taken_while_serving_restores_to_a_copy_that_serves_the_same_data(
    tmp_path: Path,
) -> None:
    dump = tmp_path / "backup" / "jiebang.dump"
    for source_url in committed_database_url(tmp_path, "live"):
        seed_users(source_url)
        with running(source_url, tmp_path / "live") as live:
            headers = token(live.base, "ent")
            for n in range(5):
                r = httpx.post(f"{live.base}/api/v1/needs", json=need_payload(title=f"备份前 {n}"),
                               headers=headers)  # fmt: skip
                assert r.status_code == 201, r.text
            before = set(_mine(live.base, headers))
            acknowledged: list[int] = []
            stop = threading.Event()
            writer = threading.Thread(target=_write_until, args=(stop, live.base, acknowledged))
            writer.start()
            try:
                done = jiebang(source_url, tmp_path, "backup", str(dump))
            finally:
                stop.set()
                writer.join()
            assert done.returncode == 0, done.stderr
            assert acknowledged, "the writer wrote nothing during the backup"
            refused = jiebang(source_url, tmp_path, "restore", str(dump))
            assert refused.returncode == 1 and "--force" in refused.stderr
            source_view = _mine(live.base, headers)

        for copy_url in committed_database_url(tmp_path, "restored"):
            done = jiebang(copy_url, tmp_path, "restore", str(dump))
            assert done.returncode == 0, done.stderr
            with running(copy_url, tmp_path / "restored") as restored:
                copy_view = _mine(restored.base, token(restored.base, "ent"))
            # Everything acknowledged before the backup is in it; the rest is a consistent
            # prefix of what the writer did, each row identical to the source's.
            assert before <= set(copy_view) <= set(source_view)
            assert all(copy_view[i] == source_view[i] for i in copy_view)
            present = [i for i in acknowledged if i in copy_view]
            missing = [i for i in acknowledged if i not in copy_view]
            assert not present or not missing or max(present) < min(missing)

        # Asked explicitly (server stopped), restore overwrites the database that had data.
        forced = jiebang(source_url, tmp_path, "restore", "--force", str(dump))
        assert forced.returncode == 0, forced.stderr
        reader = create_engine(source_url)
        with reader.connect() as conn:
            ids = set(conn.execute(text("SELECT id FROM needs")).scalars())
        reader.dispose()
        assert ids == set(copy_view)
