from typing import Annotated

from fastapi import Depends, Query
from sqlalchemy.orm import Session

from service.audit.schemas import AuditEventRead
from service.audit.service import history
from service.auth.deps import CurrentUser, EnterpriseUser, OptionalUser
from service.engine.store import IndexStore, get_store
from service.kit import errors as e
from service.kit.actions import TransitionIn
from service.kit.db import SessionDep
from service.kit.routes import (
    GUARDED_ERRORS,
    ROLE_ERRORS,
    WRITE_ERRORS,
    Resource,
    create_route,
    list_route,
    route,
    routers,
)
from service.models import Need, User
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

router, public = routers("技术需求 needs", "/needs")
item = Resource(router, "/{need_id}", "need", NeedRead, service.get_readable, service.present)

StoreDep = Annotated[IndexStore, Depends(get_store)]


def _need(session: Session, user: User, need: Need) -> NeedRead:
    return presenters.need(need, user)


list_route(
    public, "", NeedRead, service.list_needs, name="list_needs", filters=NeedFilter,
    summary="需求榜单（公开；登录后按角色可见更多）", errors=None, user=OptionalUser,
)  # fmt: skip
list_route(
    public, "/results", AwardResult, results.award_results, name="list_award_results",
    summary="揭榜结果公示（公开需求的揭榜单位、授予金额与日期；公开）", errors=None, user=None,
)  # fmt: skip
item.detail("需求详情", e.responses(e.NotFound), on=public, user=OptionalUser, etag=True)
create_route(
    router, "", NeedRead, service.create, NeedCreate, name="create_need",
    summary="发布需求（保存为草稿）", user=EnterpriseUser, present=_need,
)  # fmt: skip


@router.post(
    "/clarity",
    response_model=ClarityCheck,
    responses=ROLE_ERRORS,
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


item.update(NeedUpdate, service.update, "修改需求（仅草稿或被驳回时，需带版本号）", present=_need)


def _act(session: Session, user: User, need_id: int, action: str, body: TransitionIn) -> NeedRead:
    need = service.transition(session, user, need_id, action, body)
    return presenters.need(need, user)


def _terminate(session: Session, user: User, need_id: int, body: TransitionIn) -> Need:
    return service.request_termination(session, user, need_id, body.reason)


item.actions(NEED_MACHINE, _act)
route(
    router, "POST", "/{need_id}/request-termination", _terminate, NeedRead,
    name="request_termination", summary="申请终止（发榜企业，须填写理由，通知管理员）",
    errors=WRITE_ERRORS, body=TransitionIn, optional=True,
    present=_need,
)  # fmt: skip
create_route(
    router, "/{need_id}/invitations", InvitationRead,
    lambda session, user, need_id, data: invitations.invite(
        session, user, need_id, data.capability_id
    ),
    InvitationIn, name="invite",
    summary="邀请揭榜：通知推荐成果所属机构前来揭榜（发布企业；需求须张榜中；每个成果只邀请一次）",
    errors=e.responses(e.NotAuthenticated, e.Forbidden, e.NotFound, e.BadRequest, e.Conflict),
)  # fmt: skip


def _trail(session: Session, user: User, need: Need) -> list[AuditEventRead]:
    if not service.history_allowed(user, need):
        raise e.Forbidden("只有发布企业和管理员可以查看变更记录", "Owner or admin only")
    return history(session, "need", need.id)


item.history("状态变更记录（发布企业和管理员）", list[AuditEventRead], _trail, GUARDED_ERRORS)
