"""Recommendations both ways, semantic + keyword search, and the engine status for admins."""

from typing import Annotated

from fastapi import Depends, Query

from service.auth.deps import AdminUser, CurrentUser, OptionalUser
from service.capabilities.schemas import CapabilityConditions
from service.engine import search
from service.engine.model_info import RankModelRead, model_in_use
from service.engine.schemas import (
    CapabilityHit,
    EngineStatus,
    HitPage,
    NeedHit,
)
from service.engine.status import engine_status
from service.engine.store import IndexStore, get_store
from service.kit.db import SessionDep
from service.kit.errors import Forbidden, NotAuthenticated, NotFound, responses
from service.kit.inputs import Id, Line
from service.kit.pagination import PageDep
from service.kit.routes import routers
from service.needs.schemas import NeedConditions

router, public = routers("匹配引擎 engine")

StoreDep = Annotated[IndexStore, Depends(get_store)]
Limit = Annotated[int, Query(ge=1, le=50, description="返回条数")]
SearchQ = Annotated[
    Line, Query(min_length=1, max_length=200, description="检索词（语义 + 关键词）")
]
_READ_ERRORS = responses(NotAuthenticated, Forbidden, NotFound)


@router.get(
    "/needs/{need_id}/recommendations",
    response_model=list[CapabilityHit],
    responses=_READ_ERRORS,
    summary="为需求推荐的科技成果（发布企业、技术经纪人、管理员）",
)
def need_recommendations(
    session: SessionDep, user: CurrentUser, store: StoreDep, need_id: Id, limit: Limit = 20
) -> list[CapabilityHit]:
    return search.need_recommendations(session, user, need_id, limit, store)


@router.get(
    "/capabilities/{cap_id}/recommendations",
    response_model=list[NeedHit],
    responses=_READ_ERRORS,
    summary="为科技成果匹配的需求（成果方科研人员、技术经纪人、管理员）",
)
def capability_recommendations(
    session: SessionDep, user: CurrentUser, store: StoreDep, cap_id: Id, limit: Limit = 20
) -> list[NeedHit]:
    return search.capability_recommendations(session, user, cap_id, limit, store)


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
    filters: Annotated[NeedConditions, Query()],
) -> HitPage[NeedHit]:
    return search.search_needs(session, user, q, filters, page, store)


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
    filters: Annotated[CapabilityConditions, Query()],
) -> HitPage[CapabilityHit]:
    return search.search_capabilities(session, q, filters, page, store)


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
