"""Recommendations both ways, semantic + keyword search, and the engine status for admins."""

from typing import Annotated

from fastapi import Depends, Query

from service.auth.deps import AdminUser, OptionalUser
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
from service.kit.inputs import Line
from service.kit.routes import route, routers
from service.needs.schemas import NeedConditions

router, public = routers("匹配引擎 engine")

StoreDep = Annotated[IndexStore, Depends(get_store)]
Limit = Annotated[int, Query(ge=1, le=50, description="返回条数")]
SearchQ = Annotated[
    Line, Query(min_length=1, max_length=200, description="检索词（语义 + 关键词）")
]
_READ_ERRORS = responses(NotAuthenticated, Forbidden, NotFound)


_RANKED = {"limit": (Limit, 20), "store": StoreDep}
route(
    router, "GET", "/needs/{need_id}/recommendations", search.need_recommendations,
    list[CapabilityHit], name="need_recommendations", errors=_READ_ERRORS, more=_RANKED,
    summary="为需求推荐的科技成果（发布企业、技术经纪人、管理员）",
)  # fmt: skip
route(
    router, "GET", "/capabilities/{cap_id}/recommendations", search.capability_recommendations,
    list[NeedHit], name="capability_recommendations", errors=_READ_ERRORS, more=_RANKED,
    summary="为科技成果匹配的需求（成果方科研人员、技术经纪人、管理员）",
)  # fmt: skip
route(
    public, "GET", "/search/needs", search.search_needs, HitPage[NeedHit], name="search_needs",
    user=OptionalUser, filters=NeedConditions, page=True, more={"q": SearchQ, "store": StoreDep},
    summary="需求语义 + 关键词检索（公开，仅张榜中的需求；只返回相关度达到阈值的结果，"
    "其后至多 5 条标为相关度较低）",
)  # fmt: skip
route(
    public, "GET", "/search/capabilities", search.search_capabilities, HitPage[CapabilityHit],
    name="search_capabilities", user=None, filters=CapabilityConditions, page=True,
    more={"q": SearchQ, "store": StoreDep},
    summary="科技成果语义 + 关键词检索（公开，仅已发布成果；只返回相关度达到阈值的结果，"
    "其后至多 5 条标为相关度较低）",
)  # fmt: skip


@router.get(
    "/engine/status",
    response_model=EngineStatus,
    responses=responses(NotAuthenticated, Forbidden),
    summary="匹配引擎状态：模型、已索引/缺失/失败数量、后台引擎积压与失败列表（管理员）",
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
