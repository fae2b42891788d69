from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Response

from service.audit.schemas import AuditEventRead
from service.audit.service import history
from service.auth.deps import CurrentUser, EnterpriseUser, OptionalUser
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
from service.kit.inputs import Day, Id, Line
from service.kit.money import Wan, wan_to_yuan
from service.kit.pagination import Page, PageDep, paginate
from service.models.enums import CallType, NeedStatus
from service.needs import auth, repository, service
from service.needs.schemas import NeedCreate, NeedRead, NeedUpdate
from service.postings.schemas import TransitionIn

router = APIRouter(prefix="/needs", tags=["技术需求 needs"])

NeedSort = Literal[
    "-published_at",
    "-created_at",
    "created_at",
    "-updated_at",
    "-bounty",
    "bounty",
    "deadline",
    "-deadline",
]
WanQuery = Annotated[Wan | None, Query(description="万元")]
_WRITE_ERRORS = responses(
    NotAuthenticated, Forbidden, NotFound, InvalidTransition, StaleVersion, BadRequest
)


@router.get("", response_model=Page[NeedRead], summary="需求榜单（公开；登录后按角色可见更多）")
def list_needs(
    session: SessionDep,
    user: OptionalUser,
    page: PageDep,
    field: Annotated[Line | None, Query(max_length=40, description="所属领域代码")] = None,
    status: NeedStatus | None = None,
    call_type: CallType | None = None,
    org_id: Id | None = None,
    mine: Annotated[bool, Query(description="只看本机构发布的需求（含草稿）")] = False,
    bounty_min_wan: WanQuery = None,
    bounty_max_wan: WanQuery = None,
    deadline_from: Day | None = None,
    deadline_to: Day | None = None,
    q: Annotated[Line | None, Query(max_length=100, description="关键词（子串匹配）")] = None,
    sort: NeedSort = "-published_at",
) -> Page[NeedRead]:
    org = None
    if mine:
        if user is None or user.org_id is None:
            raise NotAuthenticated("请先登录", "Authentication required")
        org = auth.org_filter(user, user.org_id)
    elif org_id is not None:
        org = auth.org_filter(user, org_id)
    statement = repository.list_statement(
        auth.readable(user),
        sort=sort,
        field=field,
        status=status,
        call_type=call_type,
        org=org,
        bounty_min=wan_to_yuan(bounty_min_wan) if bounty_min_wan is not None else None,
        bounty_max=wan_to_yuan(bounty_max_wan) if bounty_max_wan is not None else None,
        deadline_from=deadline_from,
        deadline_to=deadline_to,
        q=q,
    )
    rows, total = paginate(session, statement, page)
    won = service.won_by_caller(session, user, list(rows))
    return Page(
        items=[NeedRead.build(n, user, winner=n.id in won) for n in rows],
        total=total,
        page=page.page,
        page_size=page.page_size,
    )


@router.get(
    "/{need_id}", response_model=NeedRead, responses=responses(NotFound), summary="需求详情"
)
def get_need(session: SessionDep, user: OptionalUser, need_id: Id, response: Response) -> NeedRead:
    need = service.get_readable(session, user, need_id)
    response.headers["ETag"] = f'W/"{need.version}"'
    return NeedRead.build(need, user, winner=bool(service.won_by_caller(session, user, [need])))


@router.post(
    "",
    response_model=NeedRead,
    status_code=201,
    responses=_WRITE_ERRORS,
    summary="发布需求（保存为草稿）",
)
def create_need(session: SessionDep, user: EnterpriseUser, data: NeedCreate) -> NeedRead:
    return NeedRead.build(service.create(session, user, data), user)


@router.patch(
    "/{need_id}",
    response_model=NeedRead,
    responses=_WRITE_ERRORS,
    summary="修改需求（仅草稿或被驳回时，需带版本号）",
)
def update_need(session: SessionDep, user: CurrentUser, need_id: Id, data: NeedUpdate) -> NeedRead:
    return NeedRead.build(service.update(session, user, need_id, data), user)


def _action(action: str, summary: str) -> None:
    @router.post(
        f"/{{need_id}}/{action}",
        response_model=NeedRead,
        responses=_WRITE_ERRORS,
        summary=summary,
        name=f"{action}_need",
    )
    def endpoint(
        session: SessionDep,
        user: CurrentUser,
        need_id: Id,
        data: Annotated[TransitionIn | None, Body()] = None,
    ) -> NeedRead:
        body = data or TransitionIn()
        need = service.transition(session, user, need_id, action, body.reason, body.version)
        return NeedRead.build(need, user)


_action("submit", "提交审核（发布企业）")
_action("approve", "审核通过并张榜（管理员）")
_action("reject", "驳回（管理员，须填写理由）")
_action("withdraw", "撤回需求（发布企业）")


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
