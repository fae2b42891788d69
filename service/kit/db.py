"""Engine, session and declarative base shared by every domain."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from service.config import get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


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


def make_engine(url: str) -> Engine:
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
    return create_engine(url, pool_pre_ping=True)


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().resolved_database_url())


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


@lru_cache
def get_read_sessionmaker() -> sessionmaker[Session]:
    """Sessions of read-only requests: on SQLite their transactions begin DEFERRED."""
    engine = get_engine().execution_options(**{READ_ONLY: True})
    return sessionmaker(bind=engine, expire_on_commit=False)


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
    """
    read_only = request.method in READ_METHODS
    session = (get_read_sessionmaker() if read_only else get_sessionmaker())()
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
