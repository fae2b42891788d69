"""The open data API's rules: who keeps keys, their lifecycle, and the public reads."""

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from service.kit.actions import TransitionIn
from service.kit.clock import today
from service.kit.db import utcnow
from service.kit.errors import Conflict, NotFound, found
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
    return found(
        repository.get_key(session, key_id, auth.readable_keys(user), for_update=for_update),
        ("密钥不存在", "API key not found"),
    )


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
    session: Session, user: User, key_id: int, action: str, data: TransitionIn
) -> ApiKeyRead:
    key = _readable_key(session, user, key_id, for_update=True)
    API_KEY_MACHINE.require(action, user, key)
    API_KEY_MACHINE.apply(
        session, key, action, user.id, data.reason, changes={"revoked_at": datetime.now(UTC)}
    )
    flush_versioned(session)
    return present_key(session, user, key)


# ---- the open reads --------------------------------------------------------------------


@dataclass(frozen=True)
class OpenKind:
    """One kind of public posting: where it lives, what is open, what has left, its shape."""

    model: type[Need] | type[Capability]
    line: str  # its JSON Lines `type`
    open: Callable[[], ColumnElement[bool]]
    removed: Callable[[], ColumnElement[bool]]
    present: Callable[[Any], OpenNeed | OpenCapability]
    missing: str


OPEN_KINDS = {
    "needs": OpenKind(
        Need, "need", auth.open_needs, auth.removed_needs, presenters.need, "需求不存在或未公开"
    ),
    "capabilities": OpenKind(
        Capability,
        "capability",
        auth.open_capabilities,
        auth.removed_capabilities,
        presenters.capability,
        "成果不存在或未公开",
    ),
}


def _cursor(value: str | None) -> tuple[datetime, int] | None:
    return cursors.decode(value) if value else None


def _page(items: list[T], keys: Sequence[tuple[datetime, int]], limit: int) -> CursorPage[T]:
    """A page of `items` (the first `limit` of `keys`' rows; one more row means more)."""
    last = keys[limit - 1] if len(keys) > limit else None
    return CursorPage[T](
        items=items,
        next_cursor=cursors.encode(*last) if last is not None else None,
        has_more=last is not None,
    )


def postings_page(
    session: Session,
    kind: str,
    cursor: str | None,
    since: datetime | None,
    field: str | None,
    limit: int,
) -> CursorPage[Any]:
    open_ = OPEN_KINDS[kind]
    rows = repository.postings_after(
        session, open_.model, open_.open(), _cursor(cursor), since, field, limit + 1
    )
    items = [open_.present(r) for r in rows[:limit]]
    return _page(items, [(r.updated_at, r.id) for r in rows], limit)


def results_page(
    session: Session, cursor: str | None, since: datetime | None, field: str | None, limit: int
) -> CursorPage[OpenResult]:
    rows = repository.results_after(
        session, auth.open_results(), _cursor(cursor), since, field, limit + 1
    )
    items = [presenters.result(app, changed, at) for app, changed, at in rows[:limit]]
    return _page(items, [(changed, app.id) for app, changed, _ in rows], limit)


def removed_page(
    session: Session, kind: str, cursor: str | None, since: datetime | None, limit: int
) -> CursorPage[RemovedPosting]:
    open_ = OPEN_KINDS[kind]
    rows = repository.removed_after(
        session, open_.model, open_.removed(), _cursor(cursor), since, limit + 1
    )
    items = [RemovedPosting(id=i, updated_at=at) for i, at in rows[:limit]]
    return _page(items, [(at, i) for i, at in rows], limit)


def posting(session: Session, kind: str, posting_id: int) -> Any:
    open_ = OPEN_KINDS[kind]
    row = repository.posting(session, open_.model, posting_id, open_.open())
    if row is None:
        raise NotFound(open_.missing, f"{open_.line} not found")
    return open_.present(row)


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


def _removed_lines(session: Session, open_: OpenKind, since: datetime) -> Iterator[str]:
    cursor: tuple[datetime, int] | None = None
    where = open_.removed()
    while rows := repository.removed_after(
        session, open_.model, where, cursor, since, EXPORT_BATCH
    ):
        yield "".join(
            json.dumps(
                {"type": f"removed_{open_.line}", "data": {"id": i, "updated_at": at.isoformat()}}
            )
            + "\n"
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
    for kind in ("needs", "capabilities"):
        if kind in kinds:
            open_ = OPEN_KINDS[kind]
            where = open_.open()
            for batch in repository.stream_postings(
                session, open_.model, where, since, EXPORT_BATCH
            ):
                yield "".join(_line(open_.line, open_.present(r)) for r in batch)
    if since is not None:  # an incremental export also names what left the open data
        for kind in ("needs", "capabilities"):
            if kind in kinds:
                yield from _removed_lines(session, OPEN_KINDS[kind], since)
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
