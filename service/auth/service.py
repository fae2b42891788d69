"""Sign-in sessions: login (throttled, constant work), token pairs, refresh, logout."""

from sqlalchemy.orm import Session

from service.auth import throttle
from service.auth.throttle import LOGIN_ACCOUNT, LOGIN_ADDRESS, Counted, Subject
from service.kit.errors import NotAuthenticated
from service.kit.security import TokenKind, create_token, decode_token, verify_password
from service.models import User
from service.models.enums import AccountStatus
from service.users import repository
from service.users.schemas import TokenOut, UserRead


def issue(user: User) -> TokenOut:
    """A fresh access + refresh token pair at the user's current token version."""
    access, lifetime = create_token(user.id, user.token_version, "access")
    refresh, refresh_lifetime = create_token(user.id, user.token_version, "refresh")
    return TokenOut(
        access_token=access,
        expires_in=lifetime,
        refresh_token=refresh,
        refresh_expires_in=refresh_lifetime,
        user=UserRead.model_validate(user),
    )


def login(session: Session, username: str, password: str, address: str) -> User:
    """The account for these credentials. A wrong password or unknown username is counted
    (per account and per address) and raised as `Counted`; a blocked key is a 429. An unknown
    username costs one password hash, like a known one."""
    keys = Subject(username, address).keys(LOGIN_ACCOUNT, LOGIN_ADDRESS)
    throttle.check(session, keys)
    user = repository.by_username(session, username)
    matches = verify_password(user.password_hash if user else None, password)  # always hash
    if user is None or not matches:
        throttle.count(session, keys)
        raise Counted(
            NotAuthenticated(
                "用户名或密码错误", "Wrong username or password", code="invalid_credentials"
            )
        )
    throttle.clear(session, keys)
    if not user.is_active:
        raise NotAuthenticated(
            "账号已停用，请联系管理员", "Account disabled", code="account_disabled"
        )
    if user.status == AccountStatus.refused:
        raise NotAuthenticated(
            "账号未通过审核，请联系平台管理员", "Account refused", code="account_refused"
        )
    return user


def token_user(session: Session, token: str, kind: TokenKind = "access") -> User:
    """The user behind a valid token of `kind` that has not been revoked (its version is the
    user's current `token_version`, and the account is active and not refused). Its
    organisation is not loaded (`repository.caller`)."""
    claims = decode_token(token, kind)
    user = repository.caller(session, claims.user_id) if claims is not None else None
    if (
        claims is None
        or user is None
        or not user.is_active
        or user.status == AccountStatus.refused
        or user.token_version != claims.version
    ):
        raise NotAuthenticated(
            "登录已失效，请重新登录", f"Invalid or expired {kind} token", code="invalid_token"
        )
    return user


def logout(session: Session, user: User) -> None:
    """Revoke every token of the user (all devices): they carry the old version."""
    user.token_version += 1
    session.flush()
