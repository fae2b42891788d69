"""Who is calling: typed dependencies and role guards used by every router.

A token is honoured only while its version matches the user's `token_version` (logout, a
password change or reset and disabling bump it). An account that is signed in but not in
service (pending approval, or held at a forced password change) is the public to every
read (`OptionalUser` gives None) and is refused every action (`CurrentUser`); only the
account endpoints (`AccountUser`: /me, password change, logout) serve it.
"""

from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer

from service.auth import service as sessions
from service.kit.db import SessionDep
from service.kit.errors import Forbidden, NotAuthenticated
from service.models import User
from service.models.enums import AccountStatus, Role

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def _token_user(session: SessionDep, token: Annotated[str | None, Depends(_bearer)]) -> User | None:
    return sessions.token_user(session, token) if token else None


def _account_user(user: Annotated[User | None, Depends(_token_user)]) -> User:
    if user is None:
        raise NotAuthenticated("请先登录", "Authentication required")
    return user


def _optional_user(user: Annotated[User | None, Depends(_token_user)]) -> User | None:
    return user if user is not None and user.in_service else None


def _current_user(user: Annotated[User, Depends(_account_user)]) -> User:
    if user.status == AccountStatus.pending:
        raise Forbidden(
            "账号正在等待管理员审核，审核通过前只能浏览公开信息",
            "Account awaiting approval",
            code="account_pending",
        )
    if user.must_change_password:
        raise Forbidden(
            "管理员已重置您的密码，请先修改密码",
            "Password change required",
            code="password_change_required",
        )
    return user


AccountUser = Annotated[User, Depends(_account_user)]
# Every router is mounted behind this (service/app.py): anonymous callers get 401 unless the
# route is declared on its domain's `public` router. It shares `_account_user` with the
# route's own user dependency, so the token is read once.
SIGNED_IN = Depends(_account_user)
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
AdminUser = Annotated[User, _role_guard(Role.admin)]
