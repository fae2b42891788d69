from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Response
from sqlalchemy.orm import Session

from service.audit.schemas import AuditEventRead
from service.audit.service import history
from service.auth.deps import CurrentUser, EnterpriseUser, OptionalUser
from service.engine.store import IndexStore, get_store
from service.kit.actions import TransitionIn, action_routes
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
from service.models import User
from service.needs import clarity, invitations, presenters, results, service
from service.needs.lifecycle import NEED_MACHINE
from service.needs.schemas import (
    AwardResult,
    ClarityCheck,
    InvitationIn,
    InvitationRead,
    NeedCreate,
    NeedDraft,
    NeedFilter,
    NeedRead,
    NeedUpdate,
)

router = APIRouter(prefix="/needs", tags=["技术需求 needs"])
public = APIRouter(prefix="/needs", tags=["技术需求 needs"])

StoreDep = Annotated[IndexStore, Depends(get_store)]
_WRITE_ERRORS = responses(
    NotAuthenticated, Forbidden, NotFound, InvalidTransition, StaleVersion, BadRequest
)


@public.get("", response_model=Page[NeedRead], summary="需求榜单（公开；登录后按角色可见更多）")
def list_needs(
    session: SessionDep,
    user: OptionalUser,
    page: PageDep,
    filters: Annotated[NeedFilter, Query()],
) -> Page[NeedRead]:
    return service.list_needs(session, user, filters, page)


@public.get(
    "/results",
    response_model=Page[AwardResult],
    summary="揭榜结果公示（公开需求的揭榜单位、授予金额与日期；公开）",
)
def list_award_results(session: SessionDep, page: PageDep) -> Page[AwardResult]:
    return results.award_results(session, page)


@public.get(
    "/{need_id}", response_model=NeedRead, responses=responses(NotFound), summary="需求详情"
)
def get_need(session: SessionDep, user: OptionalUser, need_id: Id, response: Response) -> NeedRead:
    need = service.get_readable(session, user, need_id)
    response.headers["ETag"] = f'W/"{need.version}"'
    return service.present(session, user, need)


@router.post(
    "",
    response_model=NeedRead,
    status_code=201,
    responses=_WRITE_ERRORS,
    summary="发布需求（保存为草稿）",
)
def create_need(session: SessionDep, user: EnterpriseUser, data: NeedCreate) -> NeedRead:
    return presenters.need(service.create(session, user, data), user)


@router.post(
    "/clarity",
    response_model=ClarityCheck,
    responses=responses(NotAuthenticated, Forbidden),
    summary="需求明确度：为正在填写的需求评分、给出提示并预估高度匹配的成果数（企业、管理员）",
)
def check_clarity(
    session: SessionDep,
    user: CurrentUser,
    data: NeedDraft,
    store: StoreDep,
    preview: Annotated[
        bool, Query(description="是否预估高度匹配的成果数（需匹配引擎；false 时只评分，立即返回）")
    ] = True,
) -> ClarityCheck:
    return clarity.check(session, user, data, store, preview=preview)


@router.patch(
    "/{need_id}",
    response_model=NeedRead,
    responses=_WRITE_ERRORS,
    summary="修改需求（仅草稿或被驳回时，需带版本号）",
)
def update_need(session: SessionDep, user: CurrentUser, need_id: Id, data: NeedUpdate) -> NeedRead:
    return presenters.need(service.update(session, user, need_id, data), user)


def _act(session: Session, user: User, need_id: int, action: str, body: TransitionIn) -> NeedRead:
    need = service.transition(session, user, need_id, action, body.reason, body.version)
    return presenters.need(need, user)


action_routes(router, NEED_MACHINE, "/{need_id}", "need", NeedRead, _act)


@router.post(
    "/{need_id}/request-termination",
    response_model=NeedRead,
    responses=_WRITE_ERRORS,
    summary="申请终止（发榜企业，须填写理由，通知管理员）",
)
def request_termination(
    session: SessionDep,
    user: CurrentUser,
    need_id: Id,
    data: Annotated[TransitionIn | None, Body()] = None,
) -> NeedRead:
    reason = (data or TransitionIn()).reason
    return presenters.need(service.request_termination(session, user, need_id, reason), user)


@router.post(
    "/{need_id}/invitations",
    response_model=InvitationRead,
    status_code=201,
    responses=responses(NotAuthenticated, Forbidden, NotFound, BadRequest, Conflict),
    summary="邀请揭榜：通知推荐成果所属机构前来揭榜（发布企业；需求须张榜中；每个成果只邀请一次）",
)
def invite(
    session: SessionDep, user: CurrentUser, need_id: Id, data: InvitationIn
) -> InvitationRead:
    return invitations.invite(session, user, need_id, data.capability_id)


@router.get(
    "/{need_id}/history",
    response_model=list[AuditEventRead],
    responses=responses(NotAuthenticated, Forbidden, NotFound),
    summary="状态变更记录（发布企业和管理员）",
)
def need_history(session: SessionDep, user: CurrentUser, need_id: Id) -> list[AuditEventRead]:
    need = service.get_readable(session, user, need_id)
    if not service.history_allowed(user, need):
        raise Forbidden("只有发布企业和管理员可以查看变更记录", "Owner or admin only")
    return history(session, "need", need.id)
