from collections.abc import Callable
from typing import Literal

from fastapi import APIRouter

from service.duplicates import service
from service.duplicates.lifecycle import DUPLICATE_MACHINE
from service.duplicates.schemas import DuplicateCheck, DuplicateLinkRead, DuplicateMark
from service.kit import errors as e
from service.kit.actions import action_routes
from service.kit.routes import GUARDED_ERRORS, create_route, route

router = APIRouter(prefix="/duplicates", tags=["重复发布 duplicates"])


def _check(kind: Literal["need", "capability"]) -> Callable[..., DuplicateCheck]:
    return lambda session, user, posting_id: service.check(session, user, kind, posting_id)


route(
    router, "GET", "/needs/{need_id}", _check("need"), DuplicateCheck, name="check_need",
    summary="疑似重复的需求（发布企业保存、提交后提示；经纪人与管理员审核时查看）",
    errors=GUARDED_ERRORS,
)  # fmt: skip
route(
    router, "GET", "/capabilities/{capability_id}", _check("capability"), DuplicateCheck,
    name="check_capability", errors=GUARDED_ERRORS,
    summary="疑似重复的成果（成果方保存、提交后提示；经纪人与管理员审核时查看）",
)  # fmt: skip
create_route(
    router, "", DuplicateLinkRead, service.mark, DuplicateMark, name="mark",
    summary="标记为重复（管理员，须填写理由；两条都保留并互相链接）",
    errors=e.responses(e.NotAuthenticated, e.Forbidden, e.NotFound, e.Conflict, e.BadRequest),
)  # fmt: skip
action_routes(
    router, DUPLICATE_MACHINE, "/links/{link_id}", "duplicate_link", DuplicateLinkRead,
    service.transition,
)  # fmt: skip
