from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from service.audit.schemas import AuditEventRead
from service.audit.service import history
from service.auth.deps import CurrentUser
from service.kit.actions import TransitionIn
from service.kit.db import SessionDep
from service.kit.pagination import Page, PageDep
from service.kit.routes import (
    CONFLICT_ERRORS,
    GUARDED_ERRORS,
    READ_ERRORS,
    ROLE_ERRORS,
    Resource,
    create_route,
    list_route,
    route,
)
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
item = Resource(
    router, "/matches/{match_id}", "match", MatchRead, service.get_readable, service.present
)


@router.get(
    "/matches",
    response_model=Page[MatchRead],
    responses=ROLE_ERRORS,
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


route(
    router, "GET", "/matches/board", service.board, BoardRead, name="match_board",
    summary="匹配看板：各阶段数量（与列表相同的筛选，status 除外）", errors=ROLE_ERRORS,
    filters=MatchFilter,
)  # fmt: skip
list_route(
    router, "/matches/needs", NeedGroup, service.need_groups, name="match_needs",
    summary="按需求分组：各需求的匹配数与最高匹配度（与列表相同的筛选，need_id 除外）",
    filters=MatchFilter, errors=ROLE_ERRORS,
)  # fmt: skip
create_route(
    router, "/matches", MatchRead, service.add_manual, MatchCreate, name="add_match",
    summary="添加人工匹配（经纪人、管理员；需求与成果均须已发布）", errors=CONFLICT_ERRORS,
    present=service.present,
)  # fmt: skip
create_route(
    router, "/matches/requests", MatchRequestRead, service.request_broker, MatchRequestIn,
    name="request_broker", errors=CONFLICT_ERRORS,
    summary="请经纪人对接（需求的发布企业或成果方科研人员；同一需求与成果只申请一次）",
)  # fmt: skip
route(
    router, "GET", "/needs/{need_id}/deals", service.need_deals, list[DealRead], name="need_deals",
    summary="需求的经纪人撮合签约（发布企业、签约成果方、技术经纪人、管理员可见）",
    errors=READ_ERRORS,
)  # fmt: skip
item.detail("匹配详情（得分分项与理由）")
item.update(MatchNoteIn, service.update_note, "修改经纪人备注（需带版本号）", CONFLICT_ERRORS)


def _act(session: Session, user: User, match_id: int, action: str, body: Any) -> MatchRead:
    return _acted(session, user, service.transition(session, user, match_id, action, body))


def _acted(session: Session, user: User, match: Match) -> MatchRead:
    """The answer to a step: the broker was read with the match (or is the caller, who has
    just approved it)."""
    people = (match.broker, match.requester, user)
    names = {b.id: b.display_name for b in people if b is not None}
    return presenters.match(match, user, names)


_REVIEW = ("approve", "reject", "recommend", "connect", "negotiate", "decline")
item.actions(MATCH_MACHINE, _act, actions=_REVIEW, errors=CONFLICT_ERRORS)
item.actions(MATCH_MACHINE, _act, actions=("deal",), body=DealIn, errors=CONFLICT_ERRORS)
route(
    router, "POST", "/matches/{match_id}/interest",
    lambda session, user, match_id, body: service.mark_interest(
        session, user, match_id, body.version
    ),
    MatchRead, name="mark_interest", summary="表示有意向（被推荐的需求方企业或成果方机构）",
    errors=CONFLICT_ERRORS, body=TransitionIn, optional=True, present=_acted,
)  # fmt: skip
item.history(
    "匹配的全部变更记录（双方只看推荐之后的）", list[AuditEventRead],
    lambda s, user, match: service.visible_history(user, match, history(s, "match", match.id)),
)  # fmt: skip
route(
    router, "GET", "/brokers/me/record",
    lambda session, user: service.broker_record(session, user, user.id), BrokerRecord,
    name="my_record", summary="我的经纪业绩", errors=GUARDED_ERRORS,
)  # fmt: skip
route(
    router, "GET", "/brokers/{broker_id}/record", service.broker_record, BrokerRecord,
    name="broker_record", summary="经纪人业绩（管理员；经纪人本人）", errors=GUARDED_ERRORS,
)  # fmt: skip
