"""Backups of the database: SQLite through its online backup API (a consistent copy while the
app serves), PostgreSQL through pg_dump / pg_restore (custom format). A restore refuses a
database that already holds data unless forced, and then brings the schema to head."""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect, make_url, text
from sqlalchemy.engine import URL

from service.kit.db import make_engine
from service.kit.migrate import upgrade_head


class BackupError(Exception):
    """A backup or restore that cannot proceed; the message is for the operator (zh / en)."""


def backup(url: str, target: Path) -> None:
    """Write a consistent copy of the database at `url` to `target` (replaced atomically)."""
    parsed = make_url(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    if parsed.get_backend_name() == "sqlite":
        source = _sqlite_connect(_sqlite_path(parsed))
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)  # one step: a single read snapshot, writers keep going (WAL)
            copy.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
            if copy.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise BackupError("备份校验失败 / backup copy failed its integrity check")
        finally:
            copy.close()
            source.close()
    else:
        _run_pg("pg_dump", parsed, "--format=custom", "--no-owner", "--no-privileges",
                f"--file={partial}")  # fmt: skip
    os.replace(partial, target)


def restore(url: str, source: Path, *, force: bool = False) -> None:
    """Replace the database at `url` with the backup `source`, then migrate it to head."""
    if not source.is_file():
        raise BackupError(f"备份文件不存在 / no backup file at {source}")
    parsed = make_url(url)
    if not force and has_data(url):
        raise BackupError(
            "目标数据库已有数据，拒绝覆盖；请先停止服务并确认后加 --force / "
            "the target database holds data: stop the server and pass --force to overwrite"
        )
    if parsed.get_backend_name() == "sqlite":
        backup_copy = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        database = _sqlite_connect(_sqlite_path(parsed))
        try:
            backup_copy.backup(database)  # page by page under the write lock: never torn
        finally:
            database.close()
            backup_copy.close()
    else:
        _run_pg("pg_restore", parsed, "--clean", "--if-exists", "--no-owner", "--no-privileges",
                "--single-transaction", "--exit-on-error", str(source))  # fmt: skip
    upgrade_head(url)


def has_data(url: str) -> bool:
    """Whether the database has any user account (a served, not a fresh, database)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("users"):
                return False
            return bool(conn.execute(text("SELECT count(*) FROM users")).scalar_one())
    finally:
        engine.dispose()


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("只能备份 SQLite 文件数据库 / only file SQLite databases")
    return Path(url.database)


def _sqlite_connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=30)
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


def pg_binary(name: str) -> str:
    """`pg_dump` / `pg_restore` from PATH, else the newest Debian postgresql package's."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if not candidates:
        raise BackupError(f"找不到 {name}（安装 postgresql-client）/ {name} not found")
    return str(candidates[-1])


def _run_pg(tool: str, url: URL, *args: str) -> None:
    """Run a libpq tool on `url`; the password goes through the environment, not argv."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    libpq = url.set(drivername="postgresql", password=None).render_as_string()
    command = [pg_binary(tool), *args, f"--dbname={libpq}"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{tool} 失败 / failed ({done.returncode}): {done.stderr.strip()}")
