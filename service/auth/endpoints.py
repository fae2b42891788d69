from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import JSONResponse

from service.auth import service as sessions
from service.auth import throttle
from service.auth.deps import AccountUser
from service.auth.throttle import REGISTER_ACCOUNT, REGISTER_ADDRESS, Counted, Subject
from service.kit.db import SessionDep
from service.kit.errors import (
    BadRequest,
    Conflict,
    JiebangError,
    NotAuthenticated,
    TooManyRequests,
    error_response,
    responses,
)
from service.kit.inputs import Line
from service.kit.routes import routers
from service.users import passwords
from service.users import service as users
from service.users.schemas import PasswordChangeIn, RefreshIn, RegisterIn, TokenOut, UserRead

router, public = routers("账号 auth")


def client_address(request: Request) -> str:
    """The caller's address (behind a proxy: uvicorn's --forwarded-allow-ips decides)."""
    return request.client.host if request.client else "unknown"


@public.post(
    "/auth/register",
    response_model=TokenOut,
    status_code=201,
    responses=responses(BadRequest, Conflict, TooManyRequests),
    summary="注册（同时登记所属机构；技术转移机构的经纪人账号须管理员审核）",
)
def register(session: SessionDep, request: Request, data: RegisterIn) -> TokenOut | JSONResponse:
    keys = Subject(data.username, client_address(request)).keys(REGISTER_ACCOUNT, REGISTER_ADDRESS)
    throttle.check(session, keys)
    throttle.count(session, keys)  # every sign-up counts, kept even when refused below
    try:
        with session.begin_nested():
            user = users.register(session, data)
    except JiebangError as refusal:
        return error_response(refusal)
    return sessions.issue(user)


@public.post(
    "/auth/token",
    response_model=TokenOut,
    responses=responses(NotAuthenticated, TooManyRequests),
    summary="登录（OAuth2 密码模式）",
)
def login(
    session: SessionDep,
    request: Request,
    username: Annotated[Line, Form(max_length=100)],
    password: Annotated[Line, Form(max_length=128)],
) -> TokenOut | JSONResponse:
    """OAuth2 password form (`username`, `password`); control characters are refused (422)."""
    try:
        user = sessions.login(session, username, password, client_address(request))
    except Counted as counted:
        return error_response(counted.error)  # answered, not raised: the count commits
    return sessions.issue(user)


@public.post(
    "/auth/refresh",
    response_model=TokenOut,
    responses=responses(NotAuthenticated),
    summary="用刷新令牌换取新的访问令牌和刷新令牌",
)
def refresh(session: SessionDep, data: RefreshIn) -> TokenOut:
    user = sessions.token_user(session, data.refresh_token, "refresh")
    return sessions.issue(users.get(session, user.id))  # with its organisation


@router.post(
    "/auth/logout",
    status_code=204,
    responses=responses(NotAuthenticated),
    summary="退出登录（该账号在所有设备上的令牌全部失效）",
)
def logout(session: SessionDep, user: AccountUser) -> None:
    sessions.logout(session, user)


@router.get(
    "/me", response_model=UserRead, responses=responses(NotAuthenticated), summary="当前用户"
)
def me(session: SessionDep, user: AccountUser) -> UserRead:
    return UserRead.model_validate(users.get(session, user.id))


@router.post(
    "/me/password",
    response_model=TokenOut,
    responses=responses(BadRequest, NotAuthenticated, TooManyRequests),
    summary="修改密码（须提供当前密码；其他设备上的登录随之失效）",
)
def change_password(
    session: SessionDep, request: Request, user: AccountUser, data: PasswordChangeIn
) -> TokenOut | JSONResponse:
    try:
        changed = passwords.change(session, user, data, client_address(request))
    except Counted as counted:
        return error_response(counted.error)
    return sessions.issue(users.get(session, changed.id))
