from typing import Annotated

from fastapi import APIRouter, Body, Query

from service.applications import service
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
from service.postings.schemas import TransitionIn

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


def _action(action: str, summary: str) -> None:
    @router.post(
        f"/applications/{{app_id}}/{action}",
        response_model=ApplicationRead,
        responses=_ERRORS,
        summary=summary,
        name=f"{action}_application",
    )
    def endpoint(
        session: SessionDep,
        user: CurrentUser,
        app_id: Id,
        data: Annotated[TransitionIn | None, Body()] = None,
    ) -> ApplicationRead:
        body = data or TransitionIn()
        app = service.transition(session, user, app_id, action, body.reason, body.version)
        return _read(session, user, app)


_action("shortlist", "入围（发榜企业或管理员）")
_action("reject", "不予入选（须填写理由，申请方可见）")
_action("withdraw", "撤回申请（申请方）")


def _membership(action: str, summary: str) -> None:
    @router.post(
        f"/applications/{{app_id}}/membership/{action}",
        response_model=ApplicationRead,
        responses=_ERRORS,
        summary=summary,
        name=f"{action}_membership",
    )
    def endpoint(
        session: SessionDep,
        user: CurrentUser,
        app_id: Id,
        data: Annotated[MembershipDecision | None, Body()] = None,
    ) -> ApplicationRead:
        body = data or MembershipDecision()
        app = service.decide_membership(session, user, app_id, action, body.reason, body.version)
        return _read(session, user, app)


_membership("confirm", "确认加入联合体（受邀成员单位人员；全部确认后申请才提交给发榜企业）")
_membership("decline", "谢绝加入联合体（须填写理由；申请随之不成立，牵头单位可另组联合体）")


@router.post(
    "/applications/{app_id}/award",
    response_model=ApplicationRead,
    responses=_ERRORS,
    summary="确定揭榜成功并承诺悬赏金额（发榜企业或管理员）",
)
def award_application(
    session: SessionDep,
    user: CurrentUser,
    app_id: Id,
    data: Annotated[AwardIn | None, Body()] = None,
) -> ApplicationRead:
    body = data or AwardIn()
    return _read(session, user, service.award(session, user, app_id, body.amount_wan, body.version))


@router.get(
    "/applications/{app_id}/history",
    response_model=list[AuditEventRead],
    responses=responses(NotAuthenticated, NotFound),
    summary="申请状态变更记录",
)
def application_history(session: SessionDep, user: CurrentUser, app_id: Id) -> list[AuditEventRead]:
    app = service.get_readable(session, user, app_id)
    return history(session, "application", app.id)
