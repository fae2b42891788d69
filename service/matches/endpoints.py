from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from sqlalchemy.orm import Session

from service.audit.schemas import AuditEventRead
from service.audit.service import history
from service.auth.deps import CurrentUser
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
from service.matches import presenters, service
from service.matches.lifecycle import MATCH_MACHINE
from service.matches.schemas import (
    BoardRead,
    BrokerRecord,
    DealIn,
    DealRead,
    MatchCreate,
    MatchFilter,
    MatchNoteIn,
    MatchRead,
    MatchRequestIn,
    MatchRequestRead,
    MatchSort,
    NeedGroup,
)
from service.models import Match, User

router = APIRouter(tags=["匹配 matches"])

_ERRORS = responses(
    NotAuthenticated, Forbidden, NotFound, InvalidTransition, StaleVersion, BadRequest, Conflict
)


def _read(session: Session, user: User, match: Match) -> MatchRead:
    return service.present(session, user, match)


@router.get(
    "/matches",
    response_model=Page[MatchRead],
    responses=responses(NotAuthenticated, Forbidden),
    summary="匹配列表：经纪人和管理员的审核队列；需求方、成果方只看推荐给自己的",
)
def list_matches(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    filters: Annotated[MatchFilter, Query()],
    sort: MatchSort = "-score",
) -> Page[MatchRead]:
    return service.list_matches(session, user, filters, sort, page)


@router.get(
    "/matches/board",
    response_model=BoardRead,
    responses=responses(NotAuthenticated, Forbidden),
    summary="匹配看板：各阶段数量（与列表相同的筛选，status 除外）",
)
def match_board(
    session: SessionDep, user: CurrentUser, filters: Annotated[MatchFilter, Query()]
) -> BoardRead:
    return service.board(session, user, filters)


@router.get(
    "/matches/needs",
    response_model=Page[NeedGroup],
    responses=responses(NotAuthenticated, Forbidden),
    summary="按需求分组：各需求的匹配数与最高匹配度（与列表相同的筛选，need_id 除外）",
)
def match_needs(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    filters: Annotated[MatchFilter, Query()],
) -> Page[NeedGroup]:
    return service.need_groups(session, user, filters, page)


@router.post(
    "/matches",
    response_model=MatchRead,
    status_code=201,
    responses=_ERRORS,
    summary="添加人工匹配（经纪人、管理员；需求与成果均须已发布）",
)
def add_match(session: SessionDep, user: CurrentUser, data: MatchCreate) -> MatchRead:
    return _read(session, user, service.add_manual(session, user, data))


@router.post(
    "/matches/requests",
    response_model=MatchRequestRead,
    status_code=201,
    responses=_ERRORS,
    summary="请经纪人对接（需求的发布企业或成果方科研人员；同一需求与成果只申请一次）",
)
def request_broker(
    session: SessionDep, user: CurrentUser, data: MatchRequestIn
) -> MatchRequestRead:
    return service.request_broker(session, user, data)


@router.get(
    "/needs/{need_id}/deals",
    response_model=list[DealRead],
    responses=responses(NotAuthenticated, NotFound),
    summary="需求的经纪人撮合签约（发布企业、签约成果方、技术经纪人、管理员可见）",
)
def need_deals(session: SessionDep, user: CurrentUser, need_id: Id) -> list[DealRead]:
    return service.need_deals(session, user, need_id)


@router.get(
    "/matches/{match_id}",
    response_model=MatchRead,
    responses=responses(NotAuthenticated, NotFound),
    summary="匹配详情（得分分项与理由）",
)
def get_match(session: SessionDep, user: CurrentUser, match_id: Id) -> MatchRead:
    return _read(session, user, service.get_readable(session, user, match_id))


@router.patch(
    "/matches/{match_id}",
    response_model=MatchRead,
    responses=_ERRORS,
    summary="修改经纪人备注（需带版本号）",
)
def update_match(
    session: SessionDep, user: CurrentUser, match_id: Id, data: MatchNoteIn
) -> MatchRead:
    return _read(session, user, service.update_note(session, user, match_id, data))


def _act(session: Session, user: User, match_id: int, action: str, body: Any) -> MatchRead:
    value = body.contract_value_wan if action == "deal" else None
    match = service.transition(session, user, match_id, action, body.reason, body.version, value)
    return _acted(user, match)


def _acted(user: User, match: Match) -> MatchRead:
    """The answer to a step: the broker was read with the match (or is the caller, who has
    just approved it)."""
    people = (match.broker, match.requester, user)
    names = {b.id: b.display_name for b in people if b is not None}
    return presenters.match(match, user, names)


_REVIEW = ("approve", "reject", "recommend", "connect", "negotiate", "decline")
action_routes(
    router, MATCH_MACHINE, "/matches/{match_id}", "match", MatchRead, _act,
    actions=_REVIEW, errors=_ERRORS,
)  # fmt: skip
action_routes(
    router, MATCH_MACHINE, "/matches/{match_id}", "match", MatchRead, _act,
    actions=("deal",), body=DealIn, errors=_ERRORS,
)  # fmt: skip


@router.post(
    "/matches/{match_id}/interest",
    response_model=MatchRead,
    responses=_ERRORS,
    summary="表示有意向（被推荐的需求方企业或成果方机构）",
)
def mark_interest(
    session: SessionDep,
    user: CurrentUser,
    match_id: Id,
    data: Annotated[TransitionIn | None, Body()] = None,
) -> MatchRead:
    body = data or TransitionIn()
    return _acted(user, service.mark_interest(session, user, match_id, body.version))


@router.get(
    "/matches/{match_id}/history",
    response_model=list[AuditEventRead],
    responses=responses(NotAuthenticated, NotFound),
    summary="匹配的全部变更记录（双方只看推荐之后的）",
)
def match_history(session: SessionDep, user: CurrentUser, match_id: Id) -> list[AuditEventRead]:
    match = service.get_readable(session, user, match_id)
    return service.visible_history(user, match, history(session, "match", match.id))


@router.get(
    "/brokers/me/record",
    response_model=BrokerRecord,
    responses=responses(NotAuthenticated, Forbidden, NotFound),
    summary="我的经纪业绩",
)
def my_record(session: SessionDep, user: CurrentUser) -> BrokerRecord:
    return service.broker_record(session, user, user.id)


@router.get(
    "/brokers/{broker_id}/record",
    response_model=BrokerRecord,
    responses=responses(NotAuthenticated, Forbidden, NotFound),
    summary="经纪人业绩（管理员；经纪人本人）",
)
def broker_record(session: SessionDep, user: CurrentUser, broker_id: Id) -> BrokerRecord:
    return service.broker_record(session, user, broker_id)
