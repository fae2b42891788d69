from fastapi import APIRouter

from service.auth.deps import AdminUser
from service.kit.db import SessionDep
from service.kit.errors import Forbidden, NotAuthenticated, responses
from service.stats import service
from service.stats.schemas import AdminStats, PublicStats

router = APIRouter(prefix="/stats", tags=["统计 stats"])
public = APIRouter(prefix="/stats", tags=["统计 stats"])


@public.get("/public", response_model=PublicStats, summary="榜单公开统计（任何人）")
def public_stats(session: SessionDep) -> PublicStats:
    return service.public_stats(session)


@router.get(
    "",
    response_model=AdminStats,
    responses=responses(NotAuthenticated, Forbidden),
    summary="平台统计（管理员）：需求、申请、成果、匹配漏斗、经纪人排行",
)
def admin_stats(session: SessionDep, _: AdminUser) -> AdminStats:
    return service.admin_stats(session)
