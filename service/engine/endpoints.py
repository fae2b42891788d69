"""Recommendations both ways, semantic + keyword search, and the engine status for admins."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.exceptions import RequestValidationError
from sqlalchemy import ColumnElement

from service.auth.deps import AdminUser, CurrentUser, OptionalUser
from service.capabilities import auth as cap_auth
from service.capabilities import service as capabilities
from service.engine import repository
from service.engine import service as engine
from service.engine.model_info import RankModelRead, model_in_use
from service.engine.schemas import (
    CapabilityHit,
    CapabilitySummary,
    EngineStatus,
    Explained,
    HitPage,
    NeedHit,
    NeedSummary,
)
from service.engine.status import engine_status
from service.engine.store import IndexStore, get_store
from service.kit.db import SessionDep
from service.kit.errors import Forbidden, NotAuthenticated, NotFound, responses
from service.kit.inputs import Day, Id, Line
from service.kit.money import Wan, wan_to_yuan
from service.kit.pagination import PageDep
from service.models import Capability, Need, User
from service.models.enums import CallType, Maturity, Role
from service.needs import auth as need_auth
from service.needs import service as needs

router = APIRouter(tags=["匹配引擎 engine"])
public = APIRouter(tags=["匹配引擎 engine"])

StoreDep = Annotated[IndexStore, Depends(get_store)]
Limit = Annotated[int, Query(ge=1, le=50, description="返回条数")]
SearchQ = Annotated[
    Line, Query(min_length=1, max_length=200, description="检索词（语义 + 关键词）")
]
WanQuery = Annotated[Wan | None, Query(description="万元")]
_READ_ERRORS = responses(NotAuthenticated, Forbidden, NotFound)


def _privileged(user: User) -> bool:
    return user.role in (Role.broker, Role.admin)


@router.get(
    "/needs/{need_id}/recommendations",
    response_model=list[CapabilityHit],
    responses=_READ_ERRORS,
    summary="为需求推荐的科技成果（发布企业、技术经纪人、管理员）",
)
def need_recommendations(
    session: SessionDep, user: CurrentUser, store: StoreDep, need_id: Id, limit: Limit = 20
) -> list[CapabilityHit]:
    need = needs.get_readable(session, user, need_id)
    if not (need_auth.is_owner(user, need) or _privileged(user)):
        raise Forbidden(
            "只有发布企业、技术经纪人和管理员可以查看推荐", "Owner, broker or admin only"
        )
    recs = engine.recommend_capabilities(session, need, limit=limit, store=store)
    caps = repository.with_relations(session, "capability", [r.posting_id for r in recs])
    by_id = {c.id: c for c in caps}
    return [
        CapabilityHit(
            capability=CapabilitySummary.build(by_id[r.posting_id]),  # type: ignore[arg-type]
            **Explained.fields_of(r),  # type: ignore[arg-type]
        )
        for r in recs
        if r.posting_id in by_id
    ]


@router.get(
    "/capabilities/{cap_id}/recommendations",
    response_model=list[NeedHit],
    responses=_READ_ERRORS,
    summary="为科技成果匹配的需求（成果方科研人员、技术经纪人、管理员）",
)
def capability_recommendations(
    session: SessionDep, user: CurrentUser, store: StoreDep, cap_id: Id, limit: Limit = 20
) -> list[NeedHit]:
    cap = capabilities.get_readable(session, user, cap_id)
    if not (cap_auth.is_owner(user, cap) or _privileged(user)):
        raise Forbidden(
            "只有成果方、技术经纪人和管理员可以查看匹配需求", "Owner, broker or admin only"
        )
    recs = engine.recommend_needs(
        session, cap, limit=limit, readable=need_auth.readable(user), store=store
    )
    return _need_hits(session, user, recs)


def _need_hits(session: Any, user: User | None, recs: list[engine.Recommendation]) -> list[NeedHit]:
    rows = repository.with_relations(session, "need", [r.posting_id for r in recs])
    by_id = {n.id: n for n in rows}
    return [
        NeedHit(
            need=NeedSummary.build(by_id[r.posting_id], user),  # type: ignore[arg-type]
            **Explained.fields_of(r),  # type: ignore[arg-type]
        )
        for r in recs
        if r.posting_id in by_id
    ]


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "value_error", "loc": ("query", field), "msg": message, "ctx": {}}]
    )


@public.get(
    "/search/needs",
    response_model=HitPage[NeedHit],
    summary="需求语义 + 关键词检索（公开，仅张榜中的需求；只返回相关度达到阈值的结果，"
    "其后至多 5 条标为相关度较低）",
)
def search_needs(
    session: SessionDep,
    user: OptionalUser,
    store: StoreDep,
    page: PageDep,
    q: SearchQ,
    field: Annotated[Line | None, Query(max_length=40, description="所属领域代码")] = None,
    call_type: CallType | None = None,
    org_id: Id | None = None,
    bounty_min_wan: WanQuery = None,
    bounty_max_wan: WanQuery = None,
    deadline_from: Day | None = None,
    deadline_to: Day | None = None,
) -> HitPage[NeedHit]:
    if (
        bounty_min_wan is not None
        and bounty_max_wan is not None
        and bounty_min_wan > bounty_max_wan
    ):
        raise _invalid("bounty_max_wan", "悬赏上限不能低于下限")
    if deadline_from is not None and deadline_to is not None and deadline_from > deadline_to:
        raise _invalid("deadline_to", "截止日期区间的结束不能早于开始")
    conditions: list[ColumnElement[bool]] = [need_auth.readable(user)]
    if field:
        conditions.append(Need.field_code == field)
    if call_type:
        conditions.append(Need.call_type == call_type)
    if org_id is not None:
        conditions.append(need_auth.org_filter(user, org_id))
    if bounty_min_wan is not None:
        conditions.append(Need.bounty >= wan_to_yuan(bounty_min_wan))
    if bounty_max_wan is not None:
        conditions.append(Need.bounty <= wan_to_yuan(bounty_max_wan))
    if deadline_from is not None:
        conditions.append(Need.deadline >= deadline_from)
    if deadline_to is not None:
        conditions.append(Need.deadline <= deadline_to)
    recs, total, relevant = engine.search(
        session,
        "need",
        q,
        conditions,
        offset=page.offset,
        limit=page.page_size,
        store=store,
    )
    items = _need_hits(session, user, recs)
    return HitPage(
        items=items, total=total, relevant=relevant, page=page.page, page_size=page.page_size
    )


@public.get(
    "/search/capabilities",
    response_model=HitPage[CapabilityHit],
    summary="科技成果语义 + 关键词检索（公开，仅已发布成果；只返回相关度达到阈值的结果，"
    "其后至多 5 条标为相关度较低）",
)
def search_capabilities(
    session: SessionDep,
    store: StoreDep,
    page: PageDep,
    q: SearchQ,
    field: Annotated[Line | None, Query(max_length=40, description="所属领域代码")] = None,
    maturity: Maturity | None = None,
    org_id: Id | None = None,
) -> HitPage[CapabilityHit]:
    conditions: list[ColumnElement[bool]] = []
    if field:
        conditions.append(Capability.field_code == field)
    if maturity:
        conditions.append(Capability.maturity == maturity)
    if org_id is not None:
        conditions.append(Capability.org_id == org_id)
    recs, total, relevant = engine.search(
        session,
        "capability",
        q,
        conditions,
        offset=page.offset,
        limit=page.page_size,
        store=store,
    )
    rows = repository.with_relations(session, "capability", [r.posting_id for r in recs])
    by_id = {c.id: c for c in rows}
    items = [
        CapabilityHit(
            capability=CapabilitySummary.build(by_id[r.posting_id]),  # type: ignore[arg-type]
            **Explained.fields_of(r),  # type: ignore[arg-type]
        )
        for r in recs
        if r.posting_id in by_id
    ]
    return HitPage(
        items=items, total=total, relevant=relevant, page=page.page, page_size=page.page_size
    )


@router.get(
    "/engine/status",
    response_model=EngineStatus,
    responses=responses(NotAuthenticated, Forbidden),
    summary="匹配引擎状态：模型、已索引/缺失/失败数量与失败列表（管理员）",
)
def status(session: SessionDep, _: AdminUser, store: StoreDep) -> EngineStatus:
    return engine_status(session, store)


@router.get(
    "/engine/model",
    response_model=RankModelRead,
    responses=responses(NotAuthenticated, Forbidden),
    summary="匹配度模型：来源、拟合时间、标注数、留出得分与分档阈值（管理员）",
)
def rank_model(session: SessionDep, _: AdminUser) -> RankModelRead:
    return model_in_use(session)
