"""The open data API's rules: who keeps keys, their lifecycle, and the public reads."""

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from service.kit.clock import today
from service.kit.db import utcnow
from service.kit.errors import Conflict, NotFound
from service.kit.money import yuan_to_wan
from service.kit.pagination import Page, PageParams, page_of
from service.kit.versioning import flush_versioned
from service.models import ApiKey, Capability, Need, User
from service.opendata import auth, cursors, keys, presenters, repository
from service.opendata.lifecycle import API_KEY_MACHINE
from service.opendata.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    ApiKeyUsageRead,
    CursorPage,
    OpenCapability,
    OpenFieldStat,
    OpenFieldStats,
    OpenNeed,
    OpenResult,
    RemovedPosting,
    UsageDay,
)

T = TypeVar("T")

MAX_ACTIVE_KEYS = 5  # per organisation
USAGE_DAYS = 30
EXPORT_BATCH = 500


# ---- keys ------------------------------------------------------------------------------


def create_key(session: Session, user: User, data: ApiKeyCreate) -> ApiKeyCreated:
    auth.require_key_holder(user)
    assert user.org_id is not None
    if repository.active_keys(session, user.org_id) >= MAX_ACTIVE_KEYS:
        raise Conflict(
            f"本单位已有 {MAX_ACTIVE_KEYS} 个有效密钥，请先吊销不用的密钥",
            "Too many active keys",
            code="too_many_keys",
        )
    secret = keys.new_secret()
    key = ApiKey(
        org_id=user.org_id,
        created_by_id=user.id,
        name=data.name,
        prefix=keys.shown_prefix(secret),
        secret_hash=keys.digest(secret),
        rate_limit=data.rate_limit_per_minute,
    )
    session.add(key)
    API_KEY_MACHINE.start(session, key, user.id)
    row = repository.get_key(session, key.id, auth.readable_keys(user))
    assert row is not None
    return presenters.created(row, user, secret)


def _summaries(session: Session, rows: list[ApiKey]) -> dict[int, presenters.Usage]:
    day = today()
    return repository.usage_summary(
        session, [r.id for r in rows], day, day - timedelta(days=USAGE_DAYS - 1)
    )


def list_keys(session: Session, user: User, page: PageParams) -> Page[ApiKeyRead]:
    auth.require_key_reader(user)
    rows, total = repository.list_keys(session, auth.readable_keys(user), page)
    usage = _summaries(session, rows)
    return page_of([presenters.key(r, user, usage.get(r.id)) for r in rows], total, page)


def _readable_key(session: Session, user: User, key_id: int, *, for_update: bool = False) -> ApiKey:
    auth.require_key_reader(user)
    key = repository.get_key(session, key_id, auth.readable_keys(user), for_update=for_update)
    if key is None:
        raise NotFound("密钥不存在", "API key not found")
    return key


def present_key(session: Session, user: User, key: ApiKey) -> ApiKeyRead:
    return presenters.key(key, user, _summaries(session, [key]).get(key.id))


def get_key(session: Session, user: User, key_id: int) -> ApiKeyRead:
    return present_key(session, user, _readable_key(session, user, key_id))


def usage(session: Session, user: User, key_id: int) -> ApiKeyUsageRead:
    key = _readable_key(session, user, key_id)
    first = today() - timedelta(days=USAGE_DAYS - 1)
    rows = {u.day: u for u in repository.usage_days(session, key.id, first)}
    days = []
    for offset in range(USAGE_DAYS):
        day = first + timedelta(days=offset)
        row = rows.get(day)
        days.append(
            UsageDay(
                day=day, requests=row.requests if row else 0, throttled=row.throttled if row else 0
            )
        )
    return ApiKeyUsageRead(key=present_key(session, user, key), days=days)


def transition(
    session: Session, user: User, key_id: int, action: str, reason: str | None
) -> ApiKeyRead:
    key = _readable_key(session, user, key_id, for_update=True)
    API_KEY_MACHINE.require(action, user, key)
    API_KEY_MACHINE.apply(
        session, key, action, user.id, reason, changes={"revoked_at": datetime.now(UTC)}
    )
    flush_versioned(session)
    return present_key(session, user, key)


# ---- the open reads --------------------------------------------------------------------


def _cursor(value: str | None) -> tuple[datetime, int] | None:
    return cursors.decode(value) if value else None


def needs_page(
    session: Session, cursor: str | None, since: datetime | None, field: str | None, limit: int
) -> CursorPage[OpenNeed]:
    rows = repository.needs_after(
        session, auth.open_needs(), _cursor(cursor), since, field, limit + 1
    )
    return _page([presenters.need(r) for r in rows[:limit]], rows, limit)


def capabilities_page(
    session: Session, cursor: str | None, since: datetime | None, field: str | None, limit: int
) -> CursorPage[OpenCapability]:
    rows = repository.capabilities_after(
        session, auth.open_capabilities(), _cursor(cursor), since, field, limit + 1
    )
    return _page([presenters.capability(r) for r in rows[:limit]], rows, limit)


def results_page(
    session: Session, cursor: str | None, since: datetime | None, field: str | None, limit: int
) -> CursorPage[OpenResult]:
    rows = repository.results_after(
        session, auth.open_results(), _cursor(cursor), since, field, limit + 1
    )
    items = [presenters.result(app, changed, at) for app, changed, at in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return CursorPage[OpenResult](
        items=items,
        next_cursor=cursors.encode(last[1], last[0].id) if last is not None else None,
        has_more=last is not None,
    )


def _page(items: list[T], rows: Sequence[Need | Capability], limit: int) -> CursorPage[T]:
    has_more = len(rows) > limit
    last = rows[limit - 1] if has_more else None
    return CursorPage[T](
        items=items,
        next_cursor=cursors.encode(last.updated_at, last.id) if last is not None else None,
        has_more=has_more,
    )


def removed_page(
    session: Session, kind: str, cursor: str | None, since: datetime | None, limit: int
) -> CursorPage[RemovedPosting]:
    model, where = (
        (Need, auth.removed_needs())
        if kind == "needs"
        else (Capability, auth.removed_capabilities())
    )
    rows = repository.removed_after(session, model, where, _cursor(cursor), since, limit + 1)
    last = rows[limit - 1] if len(rows) > limit else None
    return CursorPage[RemovedPosting](
        items=[RemovedPosting(id=i, updated_at=at) for i, at in rows[:limit]],
        next_cursor=cursors.encode(last[1], last[0]) if last is not None else None,
        has_more=last is not None,
    )


def need(session: Session, need_id: int) -> OpenNeed:
    row = repository.need(session, need_id, auth.open_needs())
    if row is None:
        raise NotFound("需求不存在或未公开", "Need not found")
    return presenters.need(row)


def capability(session: Session, cap_id: int) -> OpenCapability:
    row = repository.capability(session, cap_id, auth.open_capabilities())
    if row is None:
        raise NotFound("成果不存在或未公开", "Capability not found")
    return presenters.capability(row)


def field_stats(session: Session) -> OpenFieldStats:
    rows = repository.field_stats(
        session, auth.open_needs(), auth.open_capabilities(), auth.open_results()
    )
    return OpenFieldStats(
        items=[
            OpenFieldStat(
                field=code,
                field_name=name,
                needs=needs,
                needs_bounty_wan=yuan_to_wan(bounty) or "0",
                capabilities=caps,
                awarded=awarded,
            )
            for code, name, needs, bounty, caps, awarded in rows
        ],
        generated_at=utcnow(),
    )


def _removed_lines(
    session: Session,
    line_type: str,
    model: type[Need] | type[Capability],
    where: ColumnElement[bool],
    since: datetime,
) -> Iterator[str]:
    cursor: tuple[datetime, int] | None = None
    while rows := repository.removed_after(session, model, where, cursor, since, EXPORT_BATCH):
        yield "".join(
            json.dumps({"type": line_type, "data": {"id": i, "updated_at": at.isoformat()}}) + "\n"
            for i, at in rows
        )
        cursor = (rows[-1][1], rows[-1][0])


def _line(kind: str, item: OpenNeed | OpenCapability | OpenResult) -> str:
    return (
        json.dumps({"type": kind, "data": item.model_dump(mode="json")}, ensure_ascii=False) + "\n"
    )


def export_lines(session: Session, since: datetime | None, kinds: list[str]) -> Iterator[str]:
    """The public data as JSON Lines, read and written a batch at a time: first a `meta`
    line (its `generated_at` is the next sync's `updated_since`), then the needs, the
    capabilities, (with `since`) the postings that left the open data since, and the
    results, each in (updated_at, id) order."""
    meta = {
        "generated_at": utcnow().isoformat(),
        "updated_since": since.isoformat() if since else None,
        "kinds": kinds,
    }
    yield json.dumps({"type": "meta", "data": meta}, ensure_ascii=False) + "\n"
    if "needs" in kinds:
        for batch in repository.stream_needs(session, auth.open_needs(), since, EXPORT_BATCH):
            yield "".join(_line("need", presenters.need(r)) for r in batch)
    if "capabilities" in kinds:
        for caps in repository.stream_capabilities(
            session, auth.open_capabilities(), since, EXPORT_BATCH
        ):
            yield "".join(_line("capability", presenters.capability(r)) for r in caps)
    if since is not None:  # an incremental export also names what left the open data
        gone = (
            ("needs", "removed_need", Need, auth.removed_needs()),
            ("capabilities", "removed_capability", Capability, auth.removed_capabilities()),
        )
        for kind, line_type, model, where in gone:
            if kind in kinds:
                yield from _removed_lines(session, line_type, model, where, since)
    if "results" in kinds:
        cursor: tuple[datetime, int] | None = None
        while True:
            rows = repository.results_after(
                session, auth.open_results(), cursor, since, None, EXPORT_BATCH
            )
            if not rows:
                break
            yield "".join(
                _line("result", presenters.result(app, changed, at)) for app, changed, at in rows
            )
            cursor = (rows[-1][1], rows[-1][0].id)
