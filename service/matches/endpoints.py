from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query
from sqlalchemy.orm import Session

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
from service.kit.inputs import Id, Line
from service.kit.pagination import Page, PageDep, paginate
from service.matches import auth, records, repository, service
from service.matches.lifecycle import MATCH_MACHINE
from service.matches.schemas import (
    BoardRead,
    BrokerRecord,
    DealIn,
    MatchCreate,
    MatchNoteIn,
    MatchRead,
)
from service.models import Match, User
from service.models.enums import MatchOrigin, MatchStatus
from service.postings.rules import history
from service.postings.schemas import AuditEventRead

router = APIRouter(tags=["匹配 matches"])

MatchSort = Literal["-score", "score", "-created_at", "created_at", "-updated_at"]
_ERRORS = responses(
    NotAuthenticated, Forbidden, NotFound, InvalidTransition, StaleVersion, BadRequest, Conflict
)


def _require_lister(user: User) -> None:
    if user.role not in auth.LISTING_ROLES:
        raise Forbidden("你的角色不能查看匹配", "Your role may not see matches", code="wrong_role")


def _read(session: Session, user: User, match: Match) -> MatchRead:
    return MatchRead.build(match, user, repository.user_names(session, [match.broker_id]))


def _filters(
    status: MatchStatus | None = None,
    field: Annotated[Line | None, Query(max_length=40, description="需求所属领域代码")] = None,
    min_score: Annotated[
        float | None,
        Query(ge=0, le=100, description="最低匹配度（0–100）；手工匹配没有引擎评分，不参与"),
    ] = None,
    need_id: Id | None = None,
    capability_id: Id | None = None,
    broker_id: Annotated[Id | None, Query(description="业绩归属经纪人")] = None,
    origin: MatchOrigin | None = None,
) -> dict[str, Any]:
    return {
        "status": status,
        "field": field,
        "min_score": min_score,
        "need_id": need_id,
        "capability_id": capability_id,
        "broker_id": broker_id,
        "origin": origin,
    }


FiltersDep = Annotated[dict[str, Any], Depends(_filters)]


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
    filters: FiltersDep,
    sort: MatchSort = "-score",
) -> Page[MatchRead]:
    _require_lister(user)
    statement = repository.list_statement(auth.readable(user), sort=sort, **filters)
    rows, total = paginate(session, statement, page)
    names = repository.user_names(session, [m.broker_id for m in rows])
    items = [MatchRead.build(m, user, names) for m in rows]
    return Page(items=items, total=total, page=page.page, page_size=page.page_size)


@router.get(
    "/matches/board",
    response_model=BoardRead,
    responses=responses(NotAuthenticated, Forbidden),
    summary="匹配看板：各阶段数量（与列表相同的筛选，status 除外）",
)
def match_board(session: SessionDep, user: CurrentUser, filters: FiltersDep) -> BoardRead:
    _require_lister(user)
    return records.board(session, user, **(filters | {"status": None}))


@router.post(
    "/matches",
    response_model=MatchRead,
    status_code=201,
    responses=_ERRORS,
    summary="添加人工匹配（经纪人、管理员；需求与成果均须已发布）",
)
def add_match(session: SessionDep, user: CurrentUser, data: MatchCreate) -> MatchRead:
    return _read(session, user, service.add_manual(session, user, data))


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
    names = {b.id: b.display_name for b in (match.broker, user) if b is not None}
    return MatchRead.build(match, user, names)


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
    return records.broker_record(session, user, user.id)


@router.get(
    "/brokers/{broker_id}/record",
    response_model=BrokerRecord,
    responses=responses(NotAuthenticated, Forbidden, NotFound),
    summary="经纪人业绩（管理员；经纪人本人）",
)
def broker_record(session: SessionDep, user: CurrentUser, broker_id: Id) -> BrokerRecord:
    return records.broker_record(session, user, broker_id)
