from fastapi import APIRouter
from sqlalchemy.orm import Session

from service.auth.deps import CurrentUser
from service.duplicates import service
from service.duplicates.lifecycle import DUPLICATE_MACHINE
from service.duplicates.schemas import DuplicateCheck, DuplicateLinkRead, DuplicateMark
from service.kit.actions import TransitionIn, action_routes
from service.kit.db import SessionDep
from service.kit.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotAuthenticated,
    NotFound,
    responses,
)
from service.kit.inputs import Id
from service.models import User

router = APIRouter(prefix="/duplicates", tags=["重复发布 duplicates"])


_CHECK_ERRORS = responses(NotAuthenticated, Forbidden, NotFound)


@router.get(
    "/needs/{need_id}",
    response_model=DuplicateCheck,
    responses=_CHECK_ERRORS,
    summary="疑似重复的需求（发布企业保存、提交后提示；经纪人与管理员审核时查看）",
)
def check_need(session: SessionDep, user: CurrentUser, need_id: Id) -> DuplicateCheck:
    return service.check(session, user, "need", need_id)


@router.get(
    "/capabilities/{capability_id}",
    response_model=DuplicateCheck,
    responses=_CHECK_ERRORS,
    summary="疑似重复的成果（成果方保存、提交后提示；经纪人与管理员审核时查看）",
)
def check_capability(session: SessionDep, user: CurrentUser, capability_id: Id) -> DuplicateCheck:
    return service.check(session, user, "capability", capability_id)


@router.post(
    "",
    response_model=DuplicateLinkRead,
    status_code=201,
    responses=responses(NotAuthenticated, Forbidden, NotFound, Conflict, BadRequest),
    summary="标记为重复（管理员，须填写理由；两条都保留并互相链接）",
)
def mark(session: SessionDep, user: CurrentUser, data: DuplicateMark) -> DuplicateLinkRead:
    return service.mark(session, user, data)


def _act(
    session: Session, user: User, link_id: int, action: str, body: TransitionIn
) -> DuplicateLinkRead:
    return service.transition(session, user, link_id, action, body.reason)


action_routes(
    router, DUPLICATE_MACHINE, "/links/{link_id}", "duplicate_link", DuplicateLinkRead, _act
)
