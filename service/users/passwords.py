"""Passwords: a user changes their own; an admin resets one, forcing a change at next login.
Both revoke the user's tokens (token version) and are throttled."""

import secrets
import string

from sqlalchemy.orm import Session

from service.audit.service import record_transition
from service.auth import throttle
from service.auth.throttle import PASSWORD_ACCOUNT, PASSWORD_ADDRESS, Counted, Subject
from service.kit.errors import BadRequest
from service.kit.security import hash_password, verify_password
from service.models import User
from service.users import notices
from service.users import service as users
from service.users.schemas import PasswordChangeIn

_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")


def change(session: Session, user: User, data: PasswordChangeIn, address: str) -> User:
    keys = Subject(user.username, address).keys(PASSWORD_ACCOUNT, PASSWORD_ADDRESS)
    throttle.check(session, keys)
    if not verify_password(user.password_hash, data.current_password):
        throttle.count(session, keys)
        raise Counted(
            BadRequest("当前密码不正确", "Current password is wrong", code="wrong_password")
        )
    if data.new_password == data.current_password:
        raise BadRequest(
            "新密码不能与当前密码相同",
            "New password equals the current one",
            code="password_unchanged",
        )
    throttle.clear(session, keys)
    user.password_hash = hash_password(data.new_password)
    user.must_change_password = False
    user.token_version += 1
    session.flush()
    return user


def temporary_password() -> str:
    """12 characters without look-alikes, always with letters and digits."""
    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(12))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


def reset(session: Session, admin: User, user_id: int, address: str) -> tuple[User, str]:
    """Give the user a temporary password (shown once to the admin) and force a change."""
    if user_id == admin.id:
        raise BadRequest(
            "不能重置自己的密码，请使用修改密码",
            "Use password change for yourself",
            code="self_reset",
        )
    user = users.get(session, user_id)
    keys = Subject(user.username, address).keys(PASSWORD_ACCOUNT, PASSWORD_ADDRESS)
    throttle.check(session, keys)
    throttle.count(session, keys)
    password = temporary_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.token_version += 1
    session.flush()
    record_transition(
        session, "user", user.id, "reset_password", user.status, user.status, admin.id
    )
    notices.password_reset(session, user)
    return user, password
