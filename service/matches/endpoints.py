from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query
from sqlalchemy.orm import Session

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
from service.kit.inputs import Id, Line
from service.kit.pagination import Page, PageDep, paginate
from service.matches import auth, records, repository, service
from service.matches.schemas import (
    BoardRead,
    BrokerRecord,
    DealIn,
    MatchCreate,
    MatchNoteIn,
    MatchRead,
    NeedGroup,
)
from service.models import Match, User
from service.models.enums import MatchOrigin, MatchStatus, ScoreBand
from service.postings.rules import history
from service.postings.schemas import AuditEventRead, TransitionIn

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
    band: Annotated[
        ScoreBand | None, Query(description="匹配度档：high ≥50，medium 20–50，low <20")
    ] = None,
    q: Annotated[
        Line | None, Query(min_length=1, max_length=50, description="需求或成果标题包含的关键词")
    ] = None,
) -> dict[str, Any]:
    return {
        "status": status,
        "field": field,
        "min_score": min_score,
        "band": band,
        "q": q,
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


@router.get(
    "/matches/needs",
    response_model=Page[NeedGroup],
    responses=responses(NotAuthenticated, Forbidden),
    summary="按需求分组：各需求的匹配数与最高匹配度（与列表相同的筛选，need_id 除外）",
)
def match_needs(
    session: SessionDep, user: CurrentUser, page: PageDep, filters: FiltersDep
) -> Page[NeedGroup]:
    _require_lister(user)
    rows, total = repository.need_groups(
        session, auth.readable(user), page.offset, page.page_size, **(filters | {"need_id": None})
    )
    items = [NeedGroup.build(need_id, title, n, best) for need_id, title, n, best in rows]
    return Page(items=items, total=total, page=page.page, page_size=page.page_size)


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


def _action(action: str, summary: str) -> None:
    @router.post(
        f"/matches/{{match_id}}/{action}",
        response_model=MatchRead,
        responses=_ERRORS,
        summary=summary,
        name=f"{action}_match",
    )
    def endpoint(
        session: SessionDep,
        user: CurrentUser,
        match_id: Id,
        data: Annotated[TransitionIn | None, Body()] = None,
    ) -> MatchRead:
        body = data or TransitionIn()
        match = service.transition(session, user, match_id, action, body.reason, body.version)
        return _read(session, user, match)


_action("approve", "审核通过候选匹配（经纪人、管理员；业绩归属审核人）")
_action("reject", "否决候选匹配（须填写理由）")
_action("recommend", "推荐给需求方和成果方")
_action("connect", "安排对接（双方均有意向后）")
_action("negotiate", "进入洽谈")
_action("decline", "未成交（须填写理由）")


@router.post(
    "/matches/{match_id}/deal",
    response_model=MatchRead,
    responses=_ERRORS,
    summary="签约（须填写合同金额，万元）",
)
def deal_match(session: SessionDep, user: CurrentUser, match_id: Id, data: DealIn) -> MatchRead:
    match = service.transition(
        session, user, match_id, "deal", data.reason, data.version, data.contract_value_wan
    )
    return _read(session, user, match)


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
    return _read(session, user, service.mark_interest(session, user, match_id, body.version))


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
