"""Password hashing (argon2) and signed access tokens (JWT, HS256)."""

from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from service.config import get_settings

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_access_token(user_id: int) -> tuple[str, int]:
    """Return a signed token for `user_id` and its lifetime in seconds."""
    settings = get_settings()
    lifetime = settings.token_expire_minutes * 60
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "iat": now, "exp": now + timedelta(seconds=lifetime)}
    return jwt.encode(claims, settings.resolved_secret_key(), algorithm="HS256"), lifetime


def decode_access_token(token: str) -> int | None:
    """The user id inside a valid, unexpired token; None for anything else."""
    try:
        claims = jwt.decode(token, get_settings().resolved_secret_key(), algorithms=["HS256"])
        return int(claims["sub"])
    except (jwt.PyJWTError, KeyError, ValueError):
        return None
