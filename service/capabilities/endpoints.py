from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from service.audit.schemas import AuditEventRead
from service.audit.service import history
from service.auth.deps import CurrentUser, OptionalUser, ResearcherUser
from service.capabilities import presenters, service
from service.capabilities.lifecycle import CAPABILITY_MACHINE
from service.capabilities.schemas import (
    CapabilityCreate,
    CapabilityFilter,
    CapabilityRead,
    CapabilityUpdate,
)
from service.kit.actions import TransitionIn, action_routes
from service.kit.db import SessionDep
from service.kit.errors import (
    BadRequest,
    Forbidden,
    InvalidTransition,
    NotAuthenticated,
    NotFound,
    StaleVersion,
    responses,
)
from service.kit.inputs import Id
from service.kit.pagination import Page, PageDep
from service.models import User

router = APIRouter(prefix="/capabilities", tags=["科技成果 capabilities"])
public = APIRouter(prefix="/capabilities", tags=["科技成果 capabilities"])

_WRITE_ERRORS = responses(
    NotAuthenticated, Forbidden, NotFound, InvalidTransition, StaleVersion, BadRequest
)


@public.get("", response_model=Page[CapabilityRead], summary="科技成果库（公开）")
def list_capabilities(
    session: SessionDep,
    user: OptionalUser,
    page: PageDep,
    filters: Annotated[CapabilityFilter, Query()],
) -> Page[CapabilityRead]:
    return service.list_capabilities(session, user, filters, page)


@public.get(
    "/{cap_id}",
    response_model=CapabilityRead,
    responses=responses(NotFound),
    summary="科技成果详情",
)
def get_capability(
    session: SessionDep, user: OptionalUser, cap_id: Id, response: Response
) -> CapabilityRead:
    cap = service.get_readable(session, user, cap_id)
    response.headers["ETag"] = f'W/"{cap.version}"'
    return presenters.capability(cap, user)


@router.post(
    "",
    response_model=CapabilityRead,
    status_code=201,
    responses=_WRITE_ERRORS,
    summary="发布科技成果（保存为草稿）",
)
def create_capability(
    session: SessionDep, user: ResearcherUser, data: CapabilityCreate
) -> CapabilityRead:
    return presenters.capability(service.create(session, user, data), user)


@router.patch(
    "/{cap_id}",
    response_model=CapabilityRead,
    responses=_WRITE_ERRORS,
    summary="修改科技成果（仅草稿或被驳回时，需带版本号）",
)
def update_capability(
    session: SessionDep, user: CurrentUser, cap_id: Id, data: CapabilityUpdate
) -> CapabilityRead:
    return presenters.capability(service.update(session, user, cap_id, data), user)


def _act(
    session: Session, user: User, cap_id: int, action: str, body: TransitionIn
) -> CapabilityRead:
    cap = service.transition(session, user, cap_id, action, body.reason, body.version)
    return presenters.capability(cap, user)


action_routes(router, CAPABILITY_MACHINE, "/{cap_id}", "capability", CapabilityRead, _act)


@router.get(
    "/{cap_id}/history",
    response_model=list[AuditEventRead],
    responses=responses(NotAuthenticated, Forbidden, NotFound),
    summary="状态变更记录（成果方和管理员）",
)
def capability_history(session: SessionDep, user: CurrentUser, cap_id: Id) -> list[AuditEventRead]:
    cap = service.get_readable(session, user, cap_id)
    if not service.history_allowed(user, cap):
        raise Forbidden("只有成果方和管理员可以查看变更记录", "Owner or admin only")
    return history(session, "capability", cap.id)
