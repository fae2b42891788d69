"""Who is calling: typed dependencies and role guards used by every router."""

from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer

from service.kit.db import SessionDep
from service.kit.errors import Forbidden, NotAuthenticated
from service.kit.security import decode_access_token
from service.models import User
from service.models.enums import Role

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def _optional_user(
    session: SessionDep, token: Annotated[str | None, Depends(_bearer)]
) -> User | None:
    if not token:
        return None
    user_id = decode_access_token(token)
    user = session.get(User, user_id) if user_id is not None else None
    if user is None or not user.is_active:
        raise NotAuthenticated(
            "登录已失效，请重新登录", "Invalid or expired token", code="invalid_token"
        )
    return user


def _current_user(user: Annotated[User | None, Depends(_optional_user)]) -> User:
    if user is None:
        raise NotAuthenticated("请先登录", "Authentication required")
    return user


OptionalUser = Annotated[User | None, Depends(_optional_user)]
CurrentUser = Annotated[User, Depends(_current_user)]


def _role_guard(*roles: Role) -> object:
    names = "、".join(r.label for r in roles)

    def guard(user: CurrentUser) -> User:
        if user.role not in roles:
            raise Forbidden(
                f"仅{names}可以执行此操作", "Your role may not do this", code="wrong_role"
            )
        return user

    return Depends(guard)


EnterpriseUser = Annotated[User, _role_guard(Role.enterprise)]
ResearcherUser = Annotated[User, _role_guard(Role.researcher)]
BrokerUser = Annotated[User, _role_guard(Role.broker)]
AdminUser = Annotated[User, _role_guard(Role.admin)]
