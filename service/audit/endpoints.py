from typing import Annotated, Any

from fastapi import APIRouter, Query

from service.applications.lifecycle import APPLICATION_MACHINE, MEMBER_MACHINE
from service.audit import service
from service.audit.schemas import AuditFilter, AuditRow
from service.auth.deps import AdminUser
from service.capabilities.lifecycle import CAPABILITY_MACHINE
from service.duplicates.lifecycle import DUPLICATE_MACHINE
from service.kit.db import SessionDep
from service.kit.errors import Forbidden, NotAuthenticated, responses
from service.kit.inputs import Id
from service.kit.pagination import Page, PageDep
from service.matches.lifecycle import MATCH_MACHINE
from service.milestones.lifecycle import MILESTONE_MACHINE
from service.needs.lifecycle import INVITATION_MACHINE, NEED_MACHINE
from service.opendata.lifecycle import API_KEY_MACHINE
from service.reviews.lifecycle import REVIEW_MACHINE
from service.subscriptions.lifecycle import SUBSCRIPTION_MACHINE
from service.users.lifecycle import ACCOUNT_MACHINE

router = APIRouter(prefix="/audit", tags=["审计 audit"])

# The audited object types are the state machines' (tests/service/audit/test_api.py checks that
# every machine the app builds is here).
AUDITED_MACHINES = (
    NEED_MACHINE,
    INVITATION_MACHINE,
    CAPABILITY_MACHINE,
    APPLICATION_MACHINE,
    MEMBER_MACHINE,
    MILESTONE_MACHINE,
    MATCH_MACHINE,
    REVIEW_MACHINE,
    ACCOUNT_MACHINE,
    API_KEY_MACHINE,
    DUPLICATE_MACHINE,
    SUBSCRIPTION_MACHINE,
)
OBJECT_TYPES = sorted({m.object_type for m in AUDITED_MACHINES})


def _as_enum(schema: dict[str, Any]) -> None:
    """Document the accepted values as an enum (the typed client gets a union of names)."""
    for part in schema.get("anyOf", []):
        if part.get("type") == "string":
            part["enum"] = list(OBJECT_TYPES)


ObjectType = Annotated[
    str | None,
    Query(
        pattern=f"^({'|'.join(OBJECT_TYPES)})$",
        description="对象类型：" + "、".join(OBJECT_TYPES),
        json_schema_extra=_as_enum,
    ),
]


@router.get(
    "",
    response_model=Page[AuditRow],
    responses=responses(NotAuthenticated, Forbidden),
    summary="全部状态变更记录（管理员）",
)
def list_audit(
    session: SessionDep,
    _: AdminUser,
    page: PageDep,
    object_type: ObjectType = None,
    object_id: Id | None = None,
    actor_id: Id | None = None,
) -> Page[AuditRow]:
    filters = AuditFilter(object_type=object_type, object_id=object_id, actor_id=actor_id)
    return service.trail(session, filters, page)
