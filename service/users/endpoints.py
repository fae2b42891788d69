from typing import Annotated

from fastapi import APIRouter, Query, Request

from service.auth.deps import AdminUser
from service.auth.endpoints import client_address
from service.kit.db import SessionDep
from service.kit.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidTransition,
    NotAuthenticated,
    NotFound,
    TooManyRequests,
    responses,
)
from service.kit.inputs import Id
from service.kit.pagination import Page, PageDep
from service.users import passwords, service
from service.users.schemas import (
    PasswordResetOut,
    RefuseIn,
    UserCreate,
    UserFilter,
    UserRead,
    UserUpdate,
)

router = APIRouter(prefix="/users", tags=["用户 users"])
_ADMIN_ERRORS = responses(NotAuthenticated, Forbidden)


@router.get(
    "", response_model=Page[UserRead], responses=_ADMIN_ERRORS, summary="用户列表（管理员）"
)
def list_users(
    session: SessionDep,
    _: AdminUser,
    page: PageDep,
    filters: Annotated[UserFilter, Query()],
) -> Page[UserRead]:
    return service.list_users(session, filters, page)


@router.post(
    "",
    response_model=UserRead,
    status_code=201,
    responses=responses(NotAuthenticated, Forbidden, BadRequest, Conflict, NotFound),
    summary="开通账号（管理员，可开通专家、经纪人、管理员）",
)
def create_user(session: SessionDep, admin: AdminUser, data: UserCreate) -> UserRead:
    return UserRead.model_validate(service.create(session, data, admin.id))


@router.patch(
    "/{user_id}",
    response_model=UserRead,
    responses=responses(NotAuthenticated, Forbidden, NotFound),
    summary="启用/停用账号（管理员）",
)
def update_user(session: SessionDep, admin: AdminUser, user_id: Id, data: UserUpdate) -> UserRead:
    if user_id == admin.id and not data.is_active:
        raise BadRequest("不能停用自己的账号", "You cannot disable yourself", code="self_disable")
    return UserRead.model_validate(service.set_active(session, user_id, data.is_active))


_APPROVAL_ERRORS = responses(NotAuthenticated, Forbidden, NotFound, InvalidTransition)


@router.post(
    "/{user_id}/approve",
    response_model=UserRead,
    responses=_APPROVAL_ERRORS,
    summary="审核通过待审核账号（管理员）",
)
def approve_user(session: SessionDep, admin: AdminUser, user_id: Id) -> UserRead:
    return UserRead.model_validate(service.approve(session, admin, user_id))


@router.post(
    "/{user_id}/refuse",
    response_model=UserRead,
    responses=_APPROVAL_ERRORS,
    summary="审核不通过（管理员，须填写理由，告知申请人）",
)
def refuse_user(session: SessionDep, admin: AdminUser, user_id: Id, data: RefuseIn) -> UserRead:
    return UserRead.model_validate(service.refuse(session, admin, user_id, data.reason))


@router.post(
    "/{user_id}/password-reset",
    response_model=PasswordResetOut,
    responses=responses(NotAuthenticated, Forbidden, NotFound, BadRequest, TooManyRequests),
    summary="重置密码（管理员；返回一次性临时密码，用户下次登录须修改）",
)
def reset_password(
    session: SessionDep, request: Request, admin: AdminUser, user_id: Id
) -> PasswordResetOut:
    user, password = passwords.reset(session, admin, user_id, client_address(request))
    return PasswordResetOut(temporary_password=password, user=UserRead.model_validate(user))
