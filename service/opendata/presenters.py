"""Open items are cut from the anonymous web view (needs/ and capabilities/ presenters with no
caller), so the open API can never show more than the public board: contacts, reject reasons
and anonymous organisations are already gone there. API keys: their usage and buttons."""

from datetime import datetime

from service.capabilities import presenters as capability_presenters
from service.models import ApiKey, Application, Capability, Need, User
from service.models.enums import ApiKeyStatus
from service.needs import presenters as need_presenters
from service.opendata.lifecycle import API_KEY_MACHINE
from service.opendata.schemas import (
    ApiKeyCreated,
    ApiKeyRead,
    OpenCapability,
    OpenNeed,
    OpenResult,
)

NEED_FIELDS = frozenset(OpenNeed.model_fields)
CAPABILITY_FIELDS = frozenset(OpenCapability.model_fields)


def need(row: Need) -> OpenNeed:
    public = need_presenters.need(row, None)
    return OpenNeed.model_validate(public.model_dump(include=set(NEED_FIELDS)))


def capability(row: Capability) -> OpenCapability:
    public = capability_presenters.capability(row, None)
    return OpenCapability.model_validate(public.model_dump(include=set(CAPABILITY_FIELDS)))


def result(app: Application, changed: datetime, awarded_at: datetime | None) -> OpenResult:
    public = need_presenters.award_result(app, awarded_at)
    return OpenResult(**public.model_dump(), updated_at=changed)


Usage = tuple[int, int, int, datetime | None]


def key(row: ApiKey, user: User, usage: Usage | None) -> ApiKeyRead:
    today, throttled, month, last = usage or (0, 0, 0, None)
    return ApiKeyRead(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        org={"id": row.org.id, "name": row.org.name, "kind": row.org.kind},
        created_by_name=row.created_by.display_name,
        rate_limit_per_minute=row.rate_limit,
        status=ApiKeyStatus(row.status),
        status_label=ApiKeyStatus(row.status).label,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        last_used_at=last,
        requests_today=today,
        throttled_today=throttled,
        requests_30_days=month,
        actions=API_KEY_MACHINE.actions(user, row, row.status),
    )


def created(row: ApiKey, user: User, secret: str) -> ApiKeyCreated:
    return ApiKeyCreated(**key(row, user, None).model_dump(), secret=secret)
