from typing import Annotated, Any

from fastapi import APIRouter, Query
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
from service.auth.deps import CurrentUser
from service.kit.actions import action_routes
from service.kit.db import SessionDep
from service.kit.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidTransition,
    NotAuthenticated,
    NotFound,
    StaleVersion,
    responses,
)
from service.kit.inputs import Id
from service.kit.pagination import Page, PageDep
from service.models import Application, User

router = APIRouter(tags=["揭榜申请 applications"])
_ERRORS = responses(
    NotAuthenticated, Forbidden, NotFound, InvalidTransition, StaleVersion, BadRequest, Conflict
)


def _read(session: SessionDep, user: User, app: Application) -> ApplicationRead:
    return service.present(session, user, app)


@router.post(
    "/needs/{need_id}/applications",
    response_model=ApplicationRead,
    status_code=201,
    responses=_ERRORS,
    summary="揭榜（提交申请，可组成联合体）",
)
def apply(
    session: SessionDep, user: CurrentUser, need_id: Id, data: ApplicationCreate
) -> ApplicationRead:
    return _read(session, user, service.create(session, user, need_id, data))


@router.get(
    "/applications",
    response_model=Page[ApplicationRead],
    responses=responses(NotAuthenticated),
    summary="揭榜申请列表（发榜企业看收到的，申请方看自己的，管理员看全部）",
)
def list_applications(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    filters: Annotated[ApplicationFilter, Query()],
) -> Page[ApplicationRead]:
    return service.list_applications(session, user, filters, page)


@router.get(
    "/applications/{app_id}",
    response_model=ApplicationRead,
    responses=responses(NotAuthenticated, NotFound),
    summary="揭榜申请详情",
)
def get_application(session: SessionDep, user: CurrentUser, app_id: Id) -> ApplicationRead:
    return _read(session, user, service.get_readable(session, user, app_id))


@router.patch(
    "/applications/{app_id}",
    response_model=ApplicationRead,
    responses=_ERRORS,
    summary="修改申请（截止前、评审前，需带版本号）",
)
def update_application(
    session: SessionDep, user: CurrentUser, app_id: Id, data: ApplicationUpdate
) -> ApplicationRead:
    return _read(session, user, service.update(session, user, app_id, data))


def _act(session: Session, user: User, app_id: int, action: str, body: Any) -> ApplicationRead:
    if action == "award":
        app = service.award(session, user, app_id, body.amount_wan, body.version)
    elif action.endswith("_membership"):
        decision = action.removesuffix("_membership")
        app = service.decide_membership(session, user, app_id, decision, body.reason, body.version)
    else:
        app = service.transition(session, user, app_id, action, body.reason, body.version)
    return presenters.application(app, app.need, user)


_PREFIX = "/applications/{app_id}"
action_routes(
    router, APPLICATION_MACHINE, _PREFIX, "application", ApplicationRead, _act,
    actions=("shortlist", "reject", "withdraw"), errors=_ERRORS,
)  # fmt: skip
action_routes(
    router, MEMBER_MACHINE, _PREFIX + "/membership", "membership", ApplicationRead,
    lambda session, user, app_id, action, body: _act(
        session, user, app_id, f"{action}_membership", body
    ),
    body=MembershipDecision, errors=_ERRORS,
)  # fmt: skip
action_routes(
    router, APPLICATION_MACHINE, _PREFIX, "application", ApplicationRead, _act,
    actions=("award",), body=AwardIn, errors=_ERRORS,
)  # fmt: skip


@router.get(
    "/applications/{app_id}/history",
    response_model=list[AuditEventRead],
    responses=responses(NotAuthenticated, NotFound),
    summary="申请状态变更记录",
)
def application_history(session: SessionDep, user: CurrentUser, app_id: Id) -> list[AuditEventRead]:
    app = service.get_readable(session, user, app_id)
    return history(session, "application", app.id)
