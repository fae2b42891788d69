"""Every query of the open data API: keys, their counters, and the public postings."""

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    delete,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import InstrumentedAttribute, Session, joinedload

from service.kit.db import UTCDateTime
from service.kit.pagination import PageParams, paginate
from service.kit.repository import get_by_id
from service.models import (
    ApiKey,
    ApiKeyUsage,
    ApiKeyWindow,
    Application,
    Capability,
    Field,
    Need,
)
from service.models.enums import ApiKeyStatus, ApplicationStatus
from service.needs.repository import AWARD_RESULT, awarded_at
from service.opendata import cursors


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


# ---- keys ----------------------------------------------------------------------------------

KEY_RELATIONS = (
    joinedload(ApiKey.org, innerjoin=True),
    joinedload(ApiKey.created_by, innerjoin=True),
)


def get_key(
    session: Session, key_id: int, where: ColumnElement[bool], *, for_update: bool = False
) -> ApiKey | None:
    return get_by_id(
        session, ApiKey, key_id, where=where, options=KEY_RELATIONS, for_update=for_update
    )


def key_by_digest(session: Session, digest: str) -> ApiKey | None:
    return session.scalar(select(ApiKey).where(ApiKey.secret_hash == digest))


def active_keys(session: Session, org_id: int) -> int:
    statement = select(func.count(ApiKey.id)).where(
        ApiKey.org_id == org_id, ApiKey.status == ApiKeyStatus.active
    )
    return int(session.scalar(statement) or 0)


def list_keys(
    session: Session, where: ColumnElement[bool], page: PageParams
) -> tuple[list[ApiKey], int]:
    statement = (
        select(ApiKey)
        .where(where)
        .options(*KEY_RELATIONS)
        .order_by(ApiKey.status, ApiKey.created_at.desc(), ApiKey.id.desc())
    )
    return paginate(session, statement, page)


def usage_summary(
    session: Session, key_ids: list[int], today: date, since: date
) -> dict[int, tuple[int, int, int, datetime | None]]:
    """key id → (requests today, throttled today, requests since `since`, last use)."""
    if not key_ids:
        return {}
    today_requests = func.sum(ApiKeyUsage.requests).filter(ApiKeyUsage.day == today)
    today_throttled = func.sum(ApiKeyUsage.throttled).filter(ApiKeyUsage.day == today)
    statement = (
        select(
            ApiKeyUsage.key_id,
            func.coalesce(today_requests, 0),
            func.coalesce(today_throttled, 0),
            func.coalesce(func.sum(ApiKeyUsage.requests).filter(ApiKeyUsage.day >= since), 0),
            func.max(ApiKeyUsage.last_used_at),
        )
        .where(ApiKeyUsage.key_id.in_(key_ids))
        .group_by(ApiKeyUsage.key_id)
    )
    return {
        row[0]: (int(row[1]), int(row[2]), int(row[3]), row[4])
        for row in session.execute(statement)
    }


def usage_days(session: Session, key_id: int, since: date) -> list[ApiKeyUsage]:
    statement = (
        select(ApiKeyUsage)
        .where(ApiKeyUsage.key_id == key_id, ApiKeyUsage.day >= since)
        .order_by(ApiKeyUsage.day)
    )
    return list(session.scalars(statement))


# ---- counters: one upsert each, shared by every worker process ------------------------------


def bump_window(session: Session, digest: str, minute: int) -> tuple[int, int] | None:
    """Count one request of the active key whose secret has `digest` in `minute`, and return
    (key id, requests in the minute); None when no active key has that secret.

    One INSERT … SELECT … ON CONFLICT DO UPDATE: the request's first statement writes, so on
    SQLite it takes the write lock before reading anything (no stale snapshot to upgrade)."""
    source = select(ApiKey.id, literal(minute), literal(1)).where(
        ApiKey.secret_hash == digest, ApiKey.status == ApiKeyStatus.active
    )
    statement = (
        _insert(session)(ApiKeyWindow)
        .from_select(["key_id", "minute", "requests"], source)
        .on_conflict_do_update(
            index_elements=[ApiKeyWindow.key_id, ApiKeyWindow.minute],
            set_={"requests": ApiKeyWindow.requests + 1},
        )
        .returning(ApiKeyWindow.key_id, ApiKeyWindow.requests)
    )
    row = session.execute(statement).first()
    return (int(row[0]), int(row[1])) if row is not None else None


def forget_windows(session: Session, key_id: int, before: int) -> None:
    session.execute(
        delete(ApiKeyWindow).where(ApiKeyWindow.key_id == key_id, ApiKeyWindow.minute < before)
    )


def bump_usage(session: Session, key_id: int, day: date, now: datetime, *, throttled: bool) -> None:
    answered, refused = (0, 1) if throttled else (1, 0)
    statement = (
        _insert(session)(ApiKeyUsage)
        .values(key_id=key_id, day=day, requests=answered, throttled=refused, last_used_at=now)
        .on_conflict_do_update(
            index_elements=[ApiKeyUsage.key_id, ApiKeyUsage.day],
            set_={
                "requests": ApiKeyUsage.requests + answered,
                "throttled": ApiKeyUsage.throttled + refused,
                "last_used_at": now,
            },
        )
    )
    session.execute(statement)


def rate_limit(session: Session, key_id: int) -> int:
    return int(session.scalar(select(ApiKey.rate_limit).where(ApiKey.id == key_id)) or 0)


# ---- public postings --------------------------------------------------------------------

Posting = Need | Capability
RELATIONS: dict[type[Posting], tuple[Any, ...]] = {
    model: (joinedload(model.org, innerjoin=True), joinedload(model.field, innerjoin=True))
    for model in (Need, Capability)
}


def _incremental(
    statement: Select[Any],
    updated_at: InstrumentedAttribute[datetime],
    object_id: InstrumentedAttribute[int],
    cursor: tuple[datetime, int] | None,
    since: datetime | None,
) -> Select[Any]:
    if cursor is not None:
        statement = statement.where(cursors.after(cursor, updated_at, object_id))
    if since is not None:
        statement = statement.where(updated_at >= since)
    return statement.order_by(updated_at, object_id)


def _postings(
    model: type[Posting],
    where: ColumnElement[bool],
    cursor: tuple[datetime, int] | None,
    since: datetime | None,
) -> Select[Any]:
    statement = select(model).where(where).options(*RELATIONS[model])
    return _incremental(statement, model.updated_at, model.id, cursor, since)


def postings_after(
    session: Session,
    model: type[Posting],
    where: ColumnElement[bool],
    cursor: tuple[datetime, int] | None,
    since: datetime | None,
    field: str | None,
    limit: int,
) -> list[Posting]:
    """The postings `where`, in (updated_at, id) order after `cursor`."""
    statement = _postings(model, where, cursor, since)
    if field:
        statement = statement.where(model.field_code == field)
    return list(session.scalars(statement.limit(limit)))


def removed_after(
    session: Session,
    model: type[Posting],
    where: ColumnElement[bool],
    cursor: tuple[datetime, int] | None,
    since: datetime | None,
    limit: int,
) -> list[tuple[int, datetime]]:
    """(id, updated_at) of the rows `where` (postings gone from the open data), in order."""
    columns: Any = select(model.id, model.updated_at).where(where)
    statement = _incremental(columns, model.updated_at, model.id, cursor, since)
    return [(int(row[0]), row[1]) for row in session.execute(statement.limit(limit))]


def posting(
    session: Session, model: type[Posting], posting_id: int, where: ColumnElement[bool]
) -> Posting | None:
    return get_by_id(session, model, posting_id, where=where, options=RELATIONS[model])


def stream_postings(
    session: Session,
    model: type[Posting],
    where: ColumnElement[bool],
    since: datetime | None,
    batch: int,
) -> Iterator[list[Posting]]:
    """The postings in (updated_at, id) order, `batch` at a time (a server-side cursor on
    PostgreSQL): the export never holds the whole table."""
    statement = _postings(model, where, None, since).execution_options(yield_per=batch)
    for part in session.scalars(statement).partitions():
        yield list(part)


def result_changed() -> ColumnElement[datetime]:
    """When a result last changed: the later of its need's and its application's updates (the
    need moves on to 实施中 and 已验收 after the award)."""
    later = case(
        (Need.updated_at > Application.updated_at, Need.updated_at), else_=Application.updated_at
    )
    return type_coerce(later, UTCDateTime())


def results_after(
    session: Session,
    where: ColumnElement[bool],
    cursor: tuple[datetime, int] | None,
    since: datetime | None,
    field: str | None,
    limit: int,
) -> list[tuple[Application, datetime, datetime | None]]:
    """The awarded applications of the needs `where`, in (changed, application id) order, each
    with when it changed and when it was awarded; loaded with the need, its field, the winner
    and the confirmed consortium members (what needs.presenters.award_result shows)."""
    changed = result_changed()
    statement = (
        select(Application, changed)
        .join(Need, Need.id == Application.need_id)
        .where(Application.status == ApplicationStatus.awarded, where)
        .options(*AWARD_RESULT)
    )
    if field:
        statement = statement.where(Need.field_code == field)
    if cursor is not None:
        at, last_id = cursor
        statement = statement.where(
            or_(changed > at, and_(changed == at, Application.id > last_id))
        )
    if since is not None:
        statement = statement.where(changed >= since)
    rows = session.execute(statement.order_by(changed, Application.id).limit(limit)).all()
    times = awarded_at(session, [row[0].id for row in rows])
    return [(app, at, times.get(app.id)) for app, at in rows]


def field_stats(
    session: Session,
    needs: ColumnElement[bool],
    capabilities: ColumnElement[bool],
    results: ColumnElement[bool],
) -> list[tuple[str, str, int, Decimal, int, int]]:
    """Per active field of the taxonomy: (code, name, open needs, their bounty in 元, open
    capabilities, awarded open needs)."""
    need_counts = (
        select(
            Need.field_code.label("code"),
            func.count(Need.id).label("n"),
            func.sum(Need.bounty).label("bounty"),
            func.count(Need.id).filter(results).label("awarded"),
        )
        .where(needs)
        .group_by(Need.field_code)
        .subquery()
    )
    cap_counts = (
        select(Capability.field_code.label("code"), func.count(Capability.id).label("n"))
        .where(capabilities)
        .group_by(Capability.field_code)
        .subquery()
    )
    statement = (
        select(
            Field.code,
            Field.name,
            func.coalesce(need_counts.c.n, 0),
            func.coalesce(need_counts.c.bounty, 0),
            func.coalesce(cap_counts.c.n, 0),
            func.coalesce(need_counts.c.awarded, 0),
        )
        .outerjoin(need_counts, need_counts.c.code == Field.code)
        .outerjoin(cap_counts, cap_counts.c.code == Field.code)
        .where(Field.active)
        .order_by(Field.sort_order, Field.code)
    )
    return [
        (r[0], r[1], int(r[2]), Decimal(str(r[3])), int(r[4]), int(r[5]))
        for r in session.execute(statement)
    ]
