from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Response

from service.audit.schemas import AuditEventRead
from service.audit.service import history
from service.auth.deps import CurrentUser, OptionalUser, ResearcherUser
from service.capabilities import auth, repository, service
from service.capabilities.schemas import CapabilityCreate, CapabilityRead, CapabilityUpdate
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
from service.kit.inputs import Id, Line
from service.kit.pagination import Page, PageDep, paginate
from service.models.enums import CapabilityStatus, Maturity
from service.postings.schemas import TransitionIn

router = APIRouter(prefix="/capabilities", tags=["科技成果 capabilities"])

CapabilitySort = Literal["-published_at", "-created_at", "-updated_at", "-trl", "trl"]
_WRITE_ERRORS = responses(
    NotAuthenticated, Forbidden, NotFound, InvalidTransition, StaleVersion, BadRequest
)


@router.get("", response_model=Page[CapabilityRead], summary="科技成果库（公开）")
def list_capabilities(
    session: SessionDep,
    user: OptionalUser,
    page: PageDep,
    field: Annotated[Line | None, Query(max_length=40)] = None,
    status: CapabilityStatus | None = None,
    maturity: Maturity | None = None,
    org_id: Id | None = None,
    mine: Annotated[bool, Query(description="只看本机构的成果（含草稿）")] = False,
    q: Annotated[Line | None, Query(max_length=100)] = None,
    sort: CapabilitySort = "-published_at",
) -> Page[CapabilityRead]:
    if mine:
        if user is None or user.org_id is None:
            raise NotAuthenticated("请先登录", "Authentication required")
        org_id = user.org_id
    statement = repository.list_statement(
        auth.readable(user),
        sort=sort,
        field=field,
        status=status,
        maturity=maturity,
        org_id=org_id,
        q=q,
    )
    rows, total = paginate(session, statement, page)
    return Page(
        items=[CapabilityRead.build(c, user) for c in rows],
        total=total,
        page=page.page,
        page_size=page.page_size,
    )


@router.get(
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
    return CapabilityRead.build(cap, user)


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
    return CapabilityRead.build(service.create(session, user, data), user)


@router.patch(
    "/{cap_id}",
    response_model=CapabilityRead,
    responses=_WRITE_ERRORS,
    summary="修改科技成果（仅草稿或被驳回时，需带版本号）",
)
def update_capability(
    session: SessionDep, user: CurrentUser, cap_id: Id, data: CapabilityUpdate
) -> CapabilityRead:
    return CapabilityRead.build(service.update(session, user, cap_id, data), user)


def _action(action: str, summary: str) -> None:
    @router.post(
        f"/{{cap_id}}/{action}",
        response_model=CapabilityRead,
        responses=_WRITE_ERRORS,
        summary=summary,
        name=f"{action}_capability",
    )
    def endpoint(
        session: SessionDep,
        user: CurrentUser,
        cap_id: Id,
        data: Annotated[TransitionIn | None, Body()] = None,
    ) -> CapabilityRead:
        body = data or TransitionIn()
        cap = service.transition(session, user, cap_id, action, body.reason, body.version)
        return CapabilityRead.build(cap, user)


_action("submit", "提交审核（成果方）")
_action("approve", "审核通过并发布（管理员）")
_action("reject", "驳回（管理员，须填写理由）")
_action("archive", "归档（成果方或管理员）")


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
