from service.auth.deps import AdminUser
from service.kit.routes import ROLE_ERRORS, route, routers
from service.stats import service
from service.stats.schemas import AdminStats, PublicStats

router, public = routers("统计 stats", "/stats")

route(public, "GET", "/public", service.public_stats, PublicStats, name="public_stats",
      summary="榜单公开统计（任何人）", user=None)  # fmt: skip
route(
    router, "GET", "", lambda session, admin: service.admin_stats(session), AdminStats,
    name="admin_stats", summary="平台统计（管理员）：需求、申请、成果、匹配漏斗、经纪人排行",
    errors=ROLE_ERRORS, user=AdminUser,
)  # fmt: skip
