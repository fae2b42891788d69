from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from service.auth.deps import AdminUser
from service.auth.endpoints import client_address
from service.kit import errors as e
from service.kit.db import SessionDep
from service.kit.inputs import Id
from service.kit.routes import GUARDED_ERRORS, ROLE_ERRORS, create_route, list_route, route
from service.models import User
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
_APPROVAL_ERRORS = e.responses(e.NotAuthenticated, e.Forbidden, e.NotFound, e.InvalidTransition)


def _read(session: Session, admin: User, user: User) -> UserRead:
    return UserRead.model_validate(user)


def _set_active(session: Session, admin: User, user_id: int, data: UserUpdate) -> User:
    if user_id == admin.id and not data.is_active:
        raise e.BadRequest("不能停用自己的账号", "You cannot disable yourself", code="self_disable")
    return service.set_active(session, user_id, data.is_active)


def _refuse(session: Session, admin: User, user_id: int, data: RefuseIn) -> User:
    return service.refuse(session, admin, user_id, data.reason)


def _list(session: Session, admin: User, filters: UserFilter, page: Any) -> Any:
    return service.list_users(session, filters, page)


list_route(router, "", UserRead, _list, name="list_users", summary="用户列表（管理员）",
           filters=UserFilter, errors=ROLE_ERRORS, user=AdminUser)  # fmt: skip
create_route(
    router, "", UserRead, lambda session, admin, data: service.create(session, data, admin.id),
    UserCreate, name="create_user", summary="开通账号（管理员，可开通专家、经纪人、管理员）",
    errors=e.responses(e.NotAuthenticated, e.Forbidden, e.BadRequest, e.Conflict, e.NotFound),
    user=AdminUser, present=_read,
)  # fmt: skip
route(router, "PATCH", "/{user_id}", _set_active, UserRead, name="update_user", user=AdminUser,
      body=UserUpdate, summary="启用/停用账号（管理员）", errors=GUARDED_ERRORS,
      present=_read)  # fmt: skip
route(router, "POST", "/{user_id}/approve", service.approve, UserRead, name="approve_user",
      summary="审核通过待审核账号（管理员）", errors=_APPROVAL_ERRORS, user=AdminUser,
      present=_read)  # fmt: skip
route(router, "POST", "/{user_id}/refuse", _refuse, UserRead, name="refuse_user",
      summary="审核不通过（管理员，须填写理由，告知申请人）", errors=_APPROVAL_ERRORS,
      user=AdminUser, body=RefuseIn, present=_read)  # fmt: skip


@router.post(
    "/{user_id}/password-reset",
    response_model=PasswordResetOut,
    responses=e.responses(
        e.NotAuthenticated, e.Forbidden, e.NotFound, e.BadRequest, e.TooManyRequests
    ),
    summary="重置密码（管理员；返回一次性临时密码，用户下次登录须修改）",
)
def reset_password(
    session: SessionDep, request: Request, admin: AdminUser, user_id: Id
) -> PasswordResetOut:
    user, password = passwords.reset(session, admin, user_id, client_address(request))
    return PasswordResetOut(temporary_password=password, user=UserRead.model_validate(user))
