from typing import Annotated

from fastapi import APIRouter, Form

from service.auth.deps import CurrentUser
from service.kit.db import SessionDep
from service.kit.errors import BadRequest, Conflict, NotAuthenticated, responses
from service.kit.inputs import Line
from service.kit.security import create_access_token
from service.users import service as users
from service.users.schemas import RegisterIn, TokenOut, UserRead

router = APIRouter(tags=["账号 auth"])


@router.post(
    "/auth/register",
    response_model=TokenOut,
    status_code=201,
    responses=responses(BadRequest, Conflict),
    summary="注册（同时登记所属机构）",
)
def register(session: SessionDep, data: RegisterIn) -> TokenOut:
    user = users.register(session, data)
    token, lifetime = create_access_token(user.id)
    return TokenOut(access_token=token, expires_in=lifetime, user=UserRead.model_validate(user))


@router.post(
    "/auth/token",
    response_model=TokenOut,
    responses=responses(NotAuthenticated),
    summary="登录（OAuth2 密码模式）",
)
def login(
    session: SessionDep,
    username: Annotated[Line, Form(max_length=100)],
    password: Annotated[Line, Form(max_length=128)],
) -> TokenOut:
    """OAuth2 password form (`username`, `password`); control characters are refused (422)."""
    user = users.authenticate(session, username, password)
    token, lifetime = create_access_token(user.id)
    return TokenOut(access_token=token, expires_in=lifetime, user=UserRead.model_validate(user))


@router.get(
    "/me", response_model=UserRead, responses=responses(NotAuthenticated), summary="当前用户"
)
def me(session: SessionDep, user: CurrentUser) -> UserRead:
    return UserRead.model_validate(users.get(session, user.id))
