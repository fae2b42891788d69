"""Engine, session and declarative base shared by every domain."""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, Engine, Index, MetaData, create_engine, event, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.schema import CreateIndex
from sqlalchemy.sql.compiler import DDLCompiler
from sqlalchemy.types import TypeDecorator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.config import get_settings

log = logging.getLogger("jiebang.db")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def unique_where(name: str, *columns: str, where: str) -> Index:
    """A unique index over the rows `where` (SQL) holds: a partial index on both databases."""
    return Index(
        name, *columns, unique=True, sqlite_where=text(where), postgresql_where=text(where)
    )


def newest_first(published_at: Any, id_column: Any) -> tuple[Any, Any]:
    """The lists' default order: newest published first, unpublished last, then by id
    (indexed as `ix_<table>_newest`)."""
    return published_at.desc().nulls_last(), id_column.desc()


@compiles(CreateIndex, "sqlite")
def _sqlite_index(element: CreateIndex, compiler: DDLCompiler, **kw: Any) -> str:
    """SQLite's DESC already puts NULLs last, and its CREATE INDEX refuses the words."""
    return compiler.visit_create_index(element, **kw).replace(" NULLS LAST", "")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on both SQLite (which drops tzinfo) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


READ_ONLY = "jiebang_read_only"  # execution option: the transaction only reads
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def make_engine(url: str, *, connect_timeout: int | None = None) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy, not pysqlite, decide when transactions begin, so that
            # SAVEPOINTs and transactional DDL work (SQLAlchemy's pysqlite recipe).
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # A writing transaction takes the write lock up front (IMMEDIATE): concurrent
            # writers queue (busy_timeout) instead of failing mid-transaction when a snapshot
            # went stale. A read-only one (READ_ONLY, e.g. a GET) begins DEFERRED: in WAL mode
            # it reads a snapshot and neither waits for a writer nor blocks one.
            read_only = conn.get_execution_options().get(READ_ONLY, False)
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    connect_args = {"connect_timeout": connect_timeout} if connect_timeout else {}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


STATISTICS_ROWS = 1000  # rows per index SQLite's ANALYZE reads (`PRAGMA analysis_limit`)


def refresh_statistics(session: Session) -> None:
    """Give SQLite's planner fresh table statistics (`sqlite_stat1`), in `session`'s
    transaction: without them it takes `status = ?` for a selective filter and sorts a list
    page instead of walking the list order's index (migration `listing order`,
    `matching/BENCHMARKS.md` §14). A bounded ANALYZE (at most `STATISTICS_ROWS` rows per
    index: milliseconds however large the database), run when `jiebang serve` starts and
    after bulk writes (demo data, a finished import). PostgreSQL's autovacuum keeps its own."""
    if session.get_bind().dialect.name != "sqlite":
        return
    session.execute(text(f"PRAGMA analysis_limit={STATISTICS_ROWS}"))
    session.execute(text("ANALYZE"))


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().resolved_database_url())


@lru_cache
def get_replica_engine() -> Engine | None:
    """The read replica's engine (JIEBANG_DATABASE_REPLICA_URL, a PostgreSQL hot standby), if
    one is configured. A short connect timeout: an unreachable replica costs one request at
    most that long before it reads from the primary (the next ones skip it: open_read_session)."""
    url = get_settings().database_replica_url
    return make_engine(url, connect_timeout=3) if url else None


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


@lru_cache
def get_read_sessionmaker() -> sessionmaker[Session]:
    """Sessions of read-only requests: on SQLite their transactions begin DEFERRED."""
    engine = get_engine().execution_options(**{READ_ONLY: True})
    return sessionmaker(bind=engine, expire_on_commit=False)


@lru_cache
def get_replica_sessionmaker() -> sessionmaker[Session] | None:
    engine = get_replica_engine()
    if engine is None:
        return None
    return sessionmaker(bind=engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)


class _ReplicaHealth:
    """When the replica last failed: it is skipped until `down_until` (time.monotonic)."""

    down_until = 0.0


def open_read_session(*, primary: bool = False) -> Session:
    """A session that only reads: on the replica when one is configured, reachable and
    `primary` is not asked for (a client that just wrote), else on the primary (DEFERRED on
    SQLite). Its transaction is begun here, so a replica that is down is found now, not in
    the middle of a request: it is logged, skipped for `replica_retry_seconds`, and the
    primary answers (never an error)."""
    replica = None if primary else get_replica_sessionmaker()
    if replica is not None and time.monotonic() >= _ReplicaHealth.down_until:
        session = replica()
        try:
            session.connection()
            return session
        except DBAPIError as exc:
            session.close()
            retry = get_settings().replica_retry_seconds
            _ReplicaHealth.down_until = time.monotonic() + retry
            log.warning(
                "read replica unavailable (%s): reads use the primary for %.0f s",
                str(exc.orig or exc).strip().splitlines()[0],
                retry,
            )
    return get_read_sessionmaker()()


# A client that wrote reads the primary for a while (read-your-writes over a lagging replica):
# a successful write's answer sets this cookie to the time (epoch seconds) until when.
RECENT_WRITER_COOKIE = "jiebang_wrote"


def wrote_recently(request: Request) -> bool:
    try:
        return float(request.cookies.get(RECENT_WRITER_COOKIE, "0")) > time.time()
    except ValueError:
        return False


class RecentWriter:
    """With a read replica configured, a successful write (any method but GET, HEAD,
    OPTIONS, answered below 400) sets RECENT_WRITER_COOKIE for `replica_sticky_seconds`, so
    that client's next reads see what it wrote (`get_session` sends them to the primary)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        settings = get_settings()
        if (
            scope["type"] != "http"
            or scope["method"] in READ_METHODS
            or not settings.database_replica_url
        ):
            await self.app(scope, receive, send)
            return
        seconds = settings.replica_sticky_seconds
        secure = "; Secure" if settings.public_url.startswith("https:") else ""
        cookie = (
            f"{RECENT_WRITER_COOKIE}={time.time() + seconds:.3f}; Max-Age={int(seconds) + 1}; "
            f"Path=/; HttpOnly; SameSite=Lax{secure}"
        ).encode()

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"set-cookie", cookie)],
                }
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def primary_reads(request: Request) -> None:
    """A route dependency, declared before the session's: this read route writes too (a
    usage count), so its session is the primary's, never the replica's (on SQLite it still
    begins DEFERRED: its first statement is the write)."""
    request.state.jiebang_writes = True


def read_only(session: Session) -> Session:
    """Begin `session`'s transaction as a read-only one (DEFERRED on SQLite): for jobs that
    read before they write elsewhere. Call before the session's first query."""
    session.connection(execution_options={READ_ONLY: True})
    return session


def get_session(request: Request) -> Iterator[Session]:
    """Request-scoped session: the request owns the transaction (commit on success).

    GET (and HEAD, OPTIONS) requests only read: their session begins a deferred transaction on
    SQLite, so reads never queue for the write lock behind a writer (or a long refresh).

    Used with `scope="function"` (SessionDep), so FastAPI runs the commit after the endpoint
    and before the response is sent: a success is only acknowledged once it is durable, and
    a commit that fails (a deferred constraint, a lost connection) becomes an error response.
    The after-commit hooks (engine queue, e-mail) fire inside that commit, as before.

    With a read replica (JIEBANG_DATABASE_REPLICA_URL) those requests read the replica,
    unless the client wrote moments ago (RECENT_WRITER_COOKIE) or the route declared
    `primary_reads`; a replica that is down leaves them on the primary.
    """
    if request.method in READ_METHODS:
        writes = getattr(request.state, "jiebang_writes", False)
        session = open_read_session(primary=writes or wrote_recently(request))
    else:
        session = get_sessionmaker()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def is_unique_violation(exc: IntegrityError) -> bool:
    """A duplicate key (PostgreSQL SQLSTATE 23505, SQLite "UNIQUE constraint failed")."""
    orig = exc.orig
    return getattr(orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(orig)


@contextmanager
def unique_or(session: Session, error: Exception) -> Iterator[None]:
    """Insert under a savepoint; losing a uniqueness race raises `error` (a domain 409).

    A check-then-insert is not enough on PostgreSQL: two requests can both pass the check,
    and the database's unique index decides. The savepoint keeps the transaction usable.
    """
    try:
        with session.begin_nested():
            yield
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        raise error from exc
