from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session

from service.applications import presenters, service
from service.applications.lifecycle import APPLICATION_MACHINE, MEMBER_MACHINE
from service.applications.schemas import (
    ApplicationCreate,
    ApplicationFilter,
    ApplicationRead,
    ApplicationUpdate,
    AwardIn,
    MembershipDecision,
)
from service.audit.schemas import AuditEventRead
from service.audit.service import history
from service.kit.routes import CONFLICT_ERRORS, Resource, create_route, list_route
from service.models import User

router = APIRouter(tags=["揭榜申请 applications"])
item = Resource(
    router, "/applications/{app_id}", "application", ApplicationRead, service.get_readable,
    service.present,
)  # fmt: skip

create_route(
    router, "/needs/{need_id}/applications", ApplicationRead, service.create, ApplicationCreate,
    name="apply", summary="揭榜（提交申请，可组成联合体）", errors=CONFLICT_ERRORS,
    present=service.present,
)  # fmt: skip
list_route(
    router, "/applications", ApplicationRead, service.list_applications, name="list_applications",
    summary="揭榜申请列表（发榜企业看收到的，申请方看自己的，管理员看全部）",
    filters=ApplicationFilter,
)  # fmt: skip
item.detail("揭榜申请详情")
item.update(
    ApplicationUpdate, service.update, "修改申请（截止前、评审前，需带版本号）", CONFLICT_ERRORS
)


def _act(session: Session, user: User, app_id: int, action: str, body: Any) -> ApplicationRead:
    if action == "award":
        app = service.award(session, user, app_id, body.amount_wan, body.version)
    elif action.endswith("_membership"):
        decision = action.removesuffix("_membership")
        app = service.decide_membership(session, user, app_id, decision, body.reason, body.version)
    else:
        app = service.transition(session, user, app_id, action, body)
    return presenters.application(app, app.need, user)


def _membership(session: Session, user: User, app_id: int, action: str, body: Any) -> Any:
    return _act(session, user, app_id, f"{action}_membership", body)


item.actions(
    APPLICATION_MACHINE, _act, actions=("shortlist", "reject", "withdraw"), errors=CONFLICT_ERRORS
)
item.actions(
    MEMBER_MACHINE, _membership, body=MembershipDecision, errors=CONFLICT_ERRORS,
    noun="membership", suffix="/membership",
)  # fmt: skip
item.actions(APPLICATION_MACHINE, _act, actions=("award",), body=AwardIn, errors=CONFLICT_ERRORS)
item.history(
    "申请状态变更记录", list[AuditEventRead], lambda s, _, app: history(s, "application", app.id)
)
